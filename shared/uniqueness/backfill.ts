import type { Pool } from 'pg';
import { inTransaction } from '../db/pool';
import type { EventStore } from '../eventstore/port';
import type { Logger } from '../logging/logger';
import type { UniqueScope } from './keys';
import type { KeysOfStream } from './reconciler';
import { claimKeys, UniqueKeyTakenError } from './unique-key-table';

export interface BackfillResult {
  /** Owners whose missing keys were claimed (as `pending`, for the reconciler to settle). */
  readonly claimed: number;
  /** Owners whose key another owner already holds: written before the rule, left unreserved. */
  readonly conflicts: number;
}

/**
 * Claims the keys of a scope added after its owners were written: every owner that holds a key
 * of `ownerScope` (e.g. `user.userName`, held by every live user) but none of `scope` (e.g.
 * `user.email`) has its stream folded through the event-store port, so this works for every
 * store (SQL cannot read EventStoreDB's streams), and the keys its state holds in `scope` are
 * claimed `pending`. Pending keys already block other claimers; the reconciler confirms them once
 * they are older than its grace period, after re-reading the stream, so a write that changed the
 * owner meanwhile cannot leave a stale key behind. An owner whose key is already held by another
 * (two users that shared an email before the rule) is logged and skipped: its key stays
 * unreserved until its value changes. Idempotent: owners that hold a key of `scope` (in any state)
 * are not read again.
 */
export async function backfillScope(
  deps: { pool: Pool; store: EventStore; keysOf: KeysOfStream; log?: Logger },
  scope: UniqueScope,
  ownerScope: UniqueScope,
): Promise<BackfillResult> {
  const { rows } = await deps.pool.query<{ owner_stream: string; owner_id: string }>(
    `SELECT o.owner_stream, o.owner_id FROM unique_keys o
      WHERE o.scope = $2 AND o.state = 'confirmed'
        AND NOT EXISTS (SELECT 1 FROM unique_keys k WHERE k.scope = $1 AND k.owner_stream = o.owner_stream)`,
    [scope, ownerScope],
  );
  let claimed = 0;
  let conflicts = 0;
  for (const { owner_stream: stream, owner_id: id } of rows) {
    const keys = (deps.keysOf(stream, await deps.store.readStream(stream)) ?? []).filter((key) => key.scope === scope);
    if (keys.length === 0) continue;
    try {
      await inTransaction(deps.pool, (client) => claimKeys(client, { stream, id }, keys, 'pending'));
      claimed++;
    } catch (error) {
      if (!(error instanceof UniqueKeyTakenError)) throw error;
      conflicts++;
      const holders = await deps.pool.query<{ owner_stream: string }>(
        `SELECT owner_stream FROM unique_keys WHERE scope = $1 AND key = ANY($2::text[])`,
        [scope, error.keys.map((key) => key.key)],
      );
      deps.log?.warn(
        { stream, scope, heldBy: holders.rows.map((r) => r.owner_stream) },
        'a key written before its uniqueness rule is held by another owner; it stays unreserved for this one until it changes',
      );
    }
  }
  if (claimed + conflicts > 0) deps.log?.info({ scope, claimed, conflicts }, 'unique keys backfilled');
  return { claimed, conflicts };
}
