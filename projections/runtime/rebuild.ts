import { randomBytes } from 'node:crypto';
import { setTimeout as delay } from 'node:timers/promises';
import { escapeIdentifier } from 'pg';
import type { Pool, PoolClient } from '../../shared/db/pool';
import type { EventStore, RecordedEvent } from '../../shared/eventstore/port';
import { formatPosition, isAfter, type Position } from '../../shared/eventstore/position';
import { createLogger, type Logger } from '../../shared/logging/logger';
import { claimCheckpointRow, inProjectionTransaction, lockCheckpointRow, writeCheckpoint } from './checkpoints';
import { EventApplyError, liveSchema, type Projection } from './projection';

export interface RebuildOptions {
  readonly pool: Pool;
  readonly store: EventStore;
  readonly projection: Projection;
  /**
   * Set when writers keep this (stream-local) projection inline, in their appends' statements:
   * the committed events after `after`, whatever transactions are still in flight (the Postgres
   * store's readCommitted). The swap then locks the live tables, so no writer is in flight, and
   * applies the events appended meanwhile, which the inline writers put in the old tables only.
   */
  readonly readCommitted?: (after: Position | undefined, maxCount: number) => Promise<RecordedEvent[]>;
  readonly log?: Logger;
  /** Events read per page of the log, and applied per transaction. */
  readonly pageSize?: number;
  /** Aborting stops the rebuild between pages and drops its half-built schema. */
  readonly signal?: AbortSignal;
  /** Told after each page applied: the events read so far and the position reached (for a progress bar). */
  readonly onProgress?: (events: number, position: Position) => void;
}

export interface RebuildResult {
  /** Events read from the log (handled or not). */
  readonly events: number;
  /** The checkpoint the swapped-in read model holds; null when the log is empty. */
  readonly position: Position | null;
}

/**
 * Each page is one transaction, and with the Postgres store an open transaction holds back every
 * subscriber's view of later appends: pages stay small so that delay stays short.
 */
export const DEFAULT_REBUILD_PAGE_SIZE = 500;

/** Advisory lock class of projection rebuilds (two-key space, apart from the event store's). */
const REBUILD_LOCK_CLASS = 0x50524a42;
const REBUILD_LOCK_POLL_MS = 250;

/** The longest name whose `<name>_rebuild_<16 hex>` still fits Postgres' 63-byte identifiers. */
const PROJECTION_NAME = /^[a-z][a-z0-9_]{0,37}$/;

/** An evolve that threw: names the event so the operator can find it. */
export class ProjectionEvolveError extends Error {
  constructor(
    readonly projection: string,
    readonly event: RecordedEvent,
    cause: unknown,
  ) {
    // The cause's message is not repeated here: pino's error serializer appends it.
    super(`projection ${projection} failed to apply event ${event.id} (${event.type}, ${event.streamId}@${event.revision})`, {
      cause,
    });
    this.name = 'ProjectionEvolveError';
  }
}

export function assertProjectionName(name: string): void {
  if (!PROJECTION_NAME.test(name)) {
    throw new TypeError(`projection name ${JSON.stringify(name)} must match ${String(PROJECTION_NAME)}: it names Postgres schemas`);
  }
}

/**
 * Builds the projection from position zero into a fresh schema, then swaps it in for the live one
 * without downtime: queries naming `<name>_read.<table>` are answered by the old tables until the
 * swap commits and by the new ones after. Rebuilds of one projection run one at a time.
 */
export async function rebuildProjection(options: RebuildOptions): Promise<RebuildResult> {
  assertProjectionName(options.projection.name);
  return withRebuildLock(options.pool, options.projection.name, options.signal, () => buildAndSwap(options));
}

/**
 * Runs `work` holding the projection's rebuild lock (a session advisory lock on a connection of its
 * own), waiting for it while another rebuild holds it.
 */
export async function withRebuildLock<T>(
  pool: Pool,
  name: string,
  signal: AbortSignal | undefined,
  work: () => Promise<T>,
): Promise<T> {
  const client = await pool.connect();
  let lost: Error | boolean = false;
  const onError = (err: Error): void => {
    lost = err;
  };
  client.on('error', onError);
  try {
    for (;;) {
      signal?.throwIfAborted();
      const { rows } = await client.query<{ locked: boolean }>(
        'SELECT pg_try_advisory_lock($1, hashtext($2)) AS locked',
        [REBUILD_LOCK_CLASS, name],
      );
      if (rows[0]?.locked) break;
      await delay(REBUILD_LOCK_POLL_MS, undefined, signal ? { signal } : {});
    }
    try {
      return await work();
    } finally {
      // A connection that cannot unlock is discarded, which releases the lock as well.
      await client.query('SELECT pg_advisory_unlock($1, hashtext($2))', [REBUILD_LOCK_CLASS, name]).catch(() => {
        lost = true;
      });
    }
  } finally {
    client.removeListener('error', onError);
    client.release(lost);
  }
}

/** rebuildProjection without the lock: the caller holds it. */
export async function buildAndSwap(options: RebuildOptions): Promise<RebuildResult> {
  const { pool, store, projection, signal } = options;
  const log = (options.log ?? createLogger({ level: 'silent' })).child({ component: 'projection-rebuild', projection: projection.name });
  const pageSize = options.pageSize ?? DEFAULT_REBUILD_PAGE_SIZE;
  const live = liveSchema(projection);
  const started = Date.now();

  await dropLeftoverSchemas(pool, projection.name, log);
  const schema = `${projection.name}_rebuild_${randomSuffix()}`;
  await inProjectionTransaction(pool, async (client) => {
    await client.query(`CREATE SCHEMA ${escapeIdentifier(schema)}`);
    await client.query(projection.createTables(schema));
  });
  log.info({ schema, version: projection.version }, 'rebuild started');

  try {
    let position: Position | null = null;
    let events = 0;
    // Catch-up outside any lock: the live read model keeps being written and read meanwhile.
    for (;;) {
      signal?.throwIfAborted();
      const page = await store.readAll({ after: position ?? undefined, maxCount: pageSize });
      if (page.length === 0) break;
      await inProjectionTransaction(pool, (client) => applyEvents(client, projection, page, schema));
      position = page[page.length - 1]!.position;
      events += page.length;
      options.onProgress?.(events, position);
    }

    const swap = await inProjectionTransaction(pool, async (client) => {
      // Holding the row, no runner can commit: reading on to the head puts the rebuild at or past
      // the live checkpoint, as every event a runner has committed is visible to readAll by now.
      const replaced = await lockCheckpointRow(client, projection.name);
      const current = replaced ?? (await claimCheckpointRow(client, projection.name, projection.version));
      const inline = options.readCommitted && projection.streamLocal && (await lockLiveTables(client, live));
      const read = inline ? options.readCommitted! : (after: Position | undefined, maxCount: number) => store.readAll({ after, maxCount });
      for (;;) {
        const page = await read(position ?? undefined, pageSize);
        if (page.length === 0) break;
        await applyEvents(client, projection, page, schema);
        position = page[page.length - 1]!.position;
        events += page.length;
        options.onProgress?.(events, position);
      }
      // Ahead only when the store checkpointed past events readAll does not return; none lie between.
      const checkpoint = current.position !== null && (position === null || isAfter(current.position, position)) ? current.position : position;
      const liveExists = await schemaExists(client, live);
      const retired = liveExists ? `${projection.name}_retired_${randomSuffix()}` : null;
      if (retired) await client.query(`ALTER SCHEMA ${escapeIdentifier(live)} RENAME TO ${escapeIdentifier(retired)}`);
      await client.query(`ALTER SCHEMA ${escapeIdentifier(schema)} RENAME TO ${escapeIdentifier(live)}`);
      await writeCheckpoint(client, projection.name, checkpoint, projection.version);
      return { retired, checkpoint, replacedVersion: replaced?.version ?? null };
    });

    log.info(
      {
        events,
        position: swap.checkpoint && formatPosition(swap.checkpoint),
        version: projection.version,
        replacedVersion: swap.replacedVersion,
        ms: Date.now() - started,
      },
      'rebuild swapped in',
    );
    if (swap.retired) {
      // Outside the swap: DROP waits for queries still reading the old tables, and nobody waits on it.
      await pool
        .query(`DROP SCHEMA ${escapeIdentifier(swap.retired)} CASCADE`)
        .catch((err: unknown) => log.warn({ err, schema: swap.retired }, 'retired schema not dropped; the next rebuild drops it'));
    }
    return { events, position: swap.checkpoint };
  } catch (error) {
    // After a committed swap the name no longer exists and this does nothing.
    await pool.query(`DROP SCHEMA IF EXISTS ${escapeIdentifier(schema)} CASCADE`).catch(() => undefined);
    throw error;
  }
}

/** Applies the events the projection handles, in order, in the caller's transaction. */
export async function applyEvents(
  client: PoolClient,
  projection: Projection,
  events: readonly RecordedEvent[],
  schema: string,
): Promise<void> {
  const handled = events.filter((event) => projection.canHandle(event));
  if (handled.length === 0) return;
  try {
    await projection.apply(client, handled, schema);
  } catch (error) {
    if (error instanceof ProjectionEvolveError) throw error;
    const event = error instanceof EventApplyError ? error.event : handled[0]!;
    throw new ProjectionEvolveError(projection.name, event, error instanceof EventApplyError ? error.cause : error);
  }
}

/**
 * Takes every table of the live schema in ACCESS EXCLUSIVE mode: writers that already named them
 * hold a lock until they end, and new ones wait here. False when there is no live schema yet.
 */
async function lockLiveTables(client: PoolClient, live: string): Promise<boolean> {
  const { rows } = await client.query<{ name: string }>(`SELECT tablename AS name FROM pg_tables WHERE schemaname = $1 ORDER BY tablename`, [live]);
  if (rows.length === 0) return false;
  await client.query(`LOCK TABLE ${rows.map((r) => `${escapeIdentifier(live)}.${escapeIdentifier(r.name)}`).join(', ')} IN ACCESS EXCLUSIVE MODE`);
  return true;
}

export async function schemaExists(db: Pool | PoolClient, schema: string): Promise<boolean> {
  const { rowCount } = await db.query('SELECT 1 FROM pg_namespace WHERE nspname = $1', [schema]);
  return (rowCount ?? 0) > 0;
}

/** Schemas a crashed rebuild left behind (half-built or retired); only safe under the rebuild lock. */
async function dropLeftoverSchemas(pool: Pool, name: string, log: Logger): Promise<void> {
  const { rows } = await pool.query<{ nspname: string }>('SELECT nspname FROM pg_namespace WHERE nspname ~ $1', [
    `^${name}_(rebuild|retired)_[0-9a-f]{16}$`,
  ]);
  for (const { nspname } of rows) {
    await pool.query(`DROP SCHEMA ${escapeIdentifier(nspname)} CASCADE`);
    log.info({ schema: nspname }, 'leftover schema dropped');
  }
}

function randomSuffix(): string {
  return randomBytes(8).toString('hex');
}
