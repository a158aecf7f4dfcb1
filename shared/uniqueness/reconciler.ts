import type { Pool } from 'pg';
import { inTransaction } from '../db/pool';
import type { EventStore, RecordedEvent } from '../eventstore/port';
import type { Logger } from '../logging/logger';
import type { UniqueKey } from './keys';
import { KEY_OWNER_LOCK_CLASS } from './unique-key-table';

/** The keys an owner stream's current state holds, by folding its events. */
export type KeysOfStream = (streamId: string, events: readonly RecordedEvent[]) => readonly UniqueKey[] | undefined;

export interface ReconcileResult {
  readonly confirmed: number;
  readonly released: number;
}

/**
 * Settles keys a two-phase write left `pending` or `releasing` (the process died between the
 * claim and the settle, or the append's outcome was unknown: a timeout, a lost connection): the
 * owner stream's state is the truth. A key its state holds becomes `confirmed`; one it does not
 * hold is released. Only rows unchanged for `olderThanMs` are touched, so writes still in flight
 * are left to settle themselves: it must be longer than an append can take (EventStoreDB's
 * deadline, 10 s by default).
 *
 * Per owner, in one transaction: it takes the owner's two-phase write lock (KEY_OWNER_LOCK_CLASS,
 * so no write of that owner is between its claim and its settle), locks the rows, reads the
 * stream, then settles: a claim made while it read cannot be released on a stale reading.
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
    await inTransaction(deps.pool, async (client) => {
      await client.query('SELECT pg_advisory_xact_lock($1, hashtext($2))', [KEY_OWNER_LOCK_CLASS, stream]);
      const unsettled = await client.query<{ scope: string; key: string }>(
        `SELECT scope, key FROM unique_keys
          WHERE owner_stream = $1 AND state <> 'confirmed' AND changed_at < clock_timestamp() - make_interval(secs => $2::double precision / 1000)
          FOR UPDATE`,
        [stream, olderThanMs],
      );
      if (unsettled.rows.length === 0) return;
      const held = deps.keysOf(stream, await deps.store.readStream(stream));
      if (held === undefined) {
        deps.log?.warn({ stream }, 'unsettled keys of a stream no decider knows; left as they are');
        return;
      }
      const isHeld = (scope: string, key: string) => held.some((k) => k.scope === scope && k.key === key);
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
