import type { Pool, PoolClient } from 'pg';
import { inTransaction } from '../db/pool';
import type { AppendResult, EventStore, EventToAppend, ExpectedRevision } from '../eventstore/port';
import type { PostgresEventStore } from '../eventstore/postgres/postgres-event-store';
import { isEmptyChange, type KeyChange } from '../uniqueness/keys';
import { claimKeys, releaseKeys, setKeyState } from '../uniqueness/unique-key-table';

/**
 * Write-side rows that go with an append. With the Postgres store both run in the append's
 * transaction; otherwise `before` runs before the append (for changes that are safe to make
 * early, like a revocation) and `after` once the append succeeded (like a new token's row).
 */
export interface SideEffects {
  readonly before?: (client: PoolClient) => Promise<void>;
  readonly after?: (client: PoolClient) => Promise<void>;
}

/** Appends a decision's events together with the unique keys it claims and releases. */
export interface StreamWriter {
  append(
    streamId: string,
    events: readonly EventToAppend[],
    expectedRevision: ExpectedRevision,
    keys: KeyChange,
    effects?: SideEffects,
  ): Promise<AppendResult>;
}

/**
 * Postgres event store: keys and events in one transaction, so neither exists without the other.
 */
export function createTransactionalWriter(pool: Pool, store: PostgresEventStore): StreamWriter {
  return {
    append(streamId, events, expectedRevision, keys, effects = {}) {
      if (isEmptyChange(keys) && !effects.before && !effects.after) return store.appendToStream(streamId, events, { expectedRevision });
      return inTransaction(pool, async (client) => {
        await claimKeys(client, keys.owner, keys.claim, 'confirmed');
        await releaseKeys(client, keys.owner, keys.release);
        await effects.before?.(client);
        const result = await store.appendToStreamInTransaction(client, streamId, events, { expectedRevision });
        await effects.after?.(client);
        return result;
      });
    },
  };
}

/**
 * Any other store (EventStoreDB): claim `pending` and mark released keys `releasing` before the
 * append, settle both after it. A crash in between leaves unsettled rows that the reconciler
 * settles from the owner stream's state, so a key is never lost and never held twice.
 */
export function createTwoPhaseWriter(pool: Pool, store: EventStore): StreamWriter {
  return {
    async append(streamId, events, expectedRevision, keys, effects = {}) {
      const { owner, claim, release } = keys;
      if (!isEmptyChange(keys) || effects.before) {
        await inTransaction(pool, async (client) => {
          await claimKeys(client, owner, claim, 'pending');
          await setKeyState(client, owner, release, 'releasing');
          await effects.before?.(client);
        });
      }
      let result: AppendResult;
      try {
        result = await store.appendToStream(streamId, events, { expectedRevision });
      } catch (error) {
        await inTransaction(pool, async (client) => {
          await releaseKeys(client, owner, claim);
          await setKeyState(client, owner, release, 'confirmed');
        });
        throw error;
      }
      if (!isEmptyChange(keys) || effects.after) {
        await inTransaction(pool, async (client) => {
          await setKeyState(client, owner, claim, 'confirmed');
          await releaseKeys(client, owner, release);
          await effects.after?.(client);
        });
      }
      return result;
    },
  };
}

export function createStreamWriter(pool: Pool, store: EventStore): StreamWriter {
  return store.kind === 'postgres'
    ? createTransactionalWriter(pool, store as PostgresEventStore)
    : createTwoPhaseWriter(pool, store);
}
