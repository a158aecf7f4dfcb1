import type { Pool } from 'pg';
import { inTransaction } from '../db/pool';
import type { EventStore, RecordedEvent } from '../eventstore/port';
import type { Logger } from '../logging/logger';
import type { UniqueKey } from './keys';

/** The keys an owner stream's current state holds, by folding its events. */
export type KeysOfStream = (streamId: string, events: readonly RecordedEvent[]) => readonly UniqueKey[] | undefined;

export interface ReconcileResult {
  readonly confirmed: number;
  readonly released: number;
}

/**
 * Settles keys a two-phase write left `pending` or `releasing` (the process died between the
 * claim and the settle): the owner stream's state is the truth. A key its state holds becomes
 * `confirmed`; one it does not hold is released. Only rows older than `olderThanMs` are touched,
 * so writes still in flight are left to settle themselves.
 */
export async function reconcileUnsettledKeys(deps: { pool: Pool; store: EventStore; keysOf: KeysOfStream; log?: Logger }, olderThanMs: number): Promise<ReconcileResult> {
  const { rows } = await deps.pool.query<{ owner_stream: string }>(
    `SELECT DISTINCT owner_stream FROM unique_keys
      WHERE state <> 'confirmed' AND changed_at < clock_timestamp() - make_interval(secs => $1::double precision / 1000)`,
    [olderThanMs],
  );
  let confirmed = 0;
  let released = 0;
  for (const { owner_stream: stream } of rows) {
    const held = deps.keysOf(stream, await deps.store.readStream(stream));
    if (held === undefined) {
      deps.log?.warn({ stream }, 'unsettled keys of a stream no decider knows; left as they are');
      continue;
    }
    const isHeld = (scope: string, key: string) => held.some((k) => k.scope === scope && k.key === key);
    await inTransaction(deps.pool, async (client) => {
      const unsettled = await client.query<{ scope: string; key: string }>(
        `SELECT scope, key FROM unique_keys WHERE owner_stream = $1 AND state <> 'confirmed' FOR UPDATE`,
        [stream],
      );
      for (const { scope, key } of unsettled.rows) {
        if (isHeld(scope, key)) {
          await client.query(`UPDATE unique_keys SET state = 'confirmed', changed_at = clock_timestamp() WHERE scope = $1 AND key = $2`, [scope, key]);
          confirmed++;
        } else {
          await client.query(`DELETE FROM unique_keys WHERE scope = $1 AND key = $2`, [scope, key]);
          released++;
        }
      }
    });
  }
  if (confirmed + released > 0) deps.log?.info({ confirmed, released }, 'unsettled unique keys reconciled');
  return { confirmed, released };
}
