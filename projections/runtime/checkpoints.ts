import type { Pool, PoolClient } from '../../shared/db/pool';
import type { Position } from '../../shared/eventstore/position';

/** NOTIFY channel a checkpoint move is announced on; the payload is the projection's name. */
export const CHECKPOINT_CHANNEL = 'projection_checkpoint';

export interface CheckpointRow {
  /** The projection version the live schema was built with. */
  readonly version: number;
  /** The last position applied; null when nothing has been processed yet. */
  readonly position: Position | null;
}

interface Row {
  readonly version: number;
  readonly commit_position: bigint | null;
  readonly prepare_position: bigint | null;
}

const SELECT_ROW = 'SELECT version, commit_position, prepare_position FROM projection_checkpoints WHERE name = $1';

function toCheckpointRow(row: Row): CheckpointRow {
  const position =
    row.commit_position === null || row.prepare_position === null
      ? null
      : { commit: BigInt(row.commit_position), prepare: BigInt(row.prepare_position) };
  return { version: row.version, position };
}

/** The position the projection's live read model holds every event up to; null before the first. */
export async function readCheckpoint(pool: Pool, name: string): Promise<Position | null> {
  return (await readCheckpointRow(pool, name))?.position ?? null;
}

/** The checkpoint row, or null when the projection was never built. */
export async function readCheckpointRow(db: Pool | PoolClient, name: string): Promise<CheckpointRow | null> {
  const { rows } = await db.query<Row>(SELECT_ROW, [name]);
  return rows[0] ? toCheckpointRow(rows[0]) : null;
}

/**
 * Locks the checkpoint row until the transaction ends: whoever holds it is the only writer of the
 * projection's live rows, so runners and a rebuild's swap take turns.
 */
export async function lockCheckpointRow(client: PoolClient, name: string): Promise<CheckpointRow | null> {
  const { rows } = await client.query<Row>(`${SELECT_ROW} FOR UPDATE`, [name]);
  return rows[0] ? toCheckpointRow(rows[0]) : null;
}

/** Locks the checkpoint row, first inserting it (nothing processed, `version`) when it is missing. */
export async function claimCheckpointRow(client: PoolClient, name: string, version: number): Promise<CheckpointRow> {
  await client.query(
    'INSERT INTO projection_checkpoints (name, version) VALUES ($1, $2) ON CONFLICT (name) DO NOTHING',
    [name, version],
  );
  const row = await lockCheckpointRow(client, name);
  if (!row) throw new Error(`projection ${name}: the checkpoint row vanished while being claimed`);
  return row;
}

/**
 * Moves the checkpoint (and, for a swap, the version) and notifies CHECKPOINT_CHANNEL; call it in
 * the transaction that wrote the rows, holding the row lock. Listeners hear it when that commits.
 */
export async function writeCheckpoint(
  client: PoolClient,
  name: string,
  position: Position | null,
  version?: number,
): Promise<void> {
  const { rowCount } = await client.query(
    `WITH moved AS (
       UPDATE projection_checkpoints
          SET commit_position = $2::bigint, prepare_position = $3::bigint,
              version = coalesce($4::int, version), updated_at = now()
        WHERE name = $1
       RETURNING name)
     SELECT pg_notify('${CHECKPOINT_CHANNEL}', name) FROM moved`,
    [name, position?.commit.toString() ?? null, position?.prepare.toString() ?? null, version ?? null],
  );
  if (!rowCount) throw new Error(`projection ${name}: no checkpoint row to write`);
}

/**
 * BEGIN, work, COMMIT on one pool client. Unlike shared/db/pool's inTransaction it listens for the
 * 'error' a checked-out client emits when its connection dies mid-transaction (unheard, that event
 * ends the process), and it hands a client that could not roll back to the pool as broken.
 */
export async function inProjectionTransaction<T>(pool: Pool, work: (client: PoolClient) => Promise<T>): Promise<T> {
  const client = await pool.connect();
  let lost: Error | undefined;
  const onError = (err: Error): void => {
    lost = err;
  };
  client.on('error', onError);
  let broken = false;
  try {
    await client.query('BEGIN');
    const result = await work(client);
    await client.query('COMMIT');
    return result;
  } catch (error) {
    await client.query('ROLLBACK').catch(() => {
      broken = true;
    });
    throw error;
  } finally {
    client.removeListener('error', onError);
    client.release(lost ?? broken);
  }
}
