import type { Pool } from 'pg';
import { inTransaction } from '../db/pool';
import type { AppendResult, EventStore, EventToAppend, ExpectedRevision } from '../eventstore/port';
import type { PostgresEventStore } from '../eventstore/postgres/postgres-event-store';
import { isEmptyChange, type KeyChange } from '../uniqueness/keys';
import { claimKeys, releaseKeys, setKeyState } from '../uniqueness/unique-key-table';

/** Appends a decision's events together with the unique keys it claims and releases. */
export interface StreamWriter {
  append(streamId: string, events: readonly EventToAppend[], expectedRevision: ExpectedRevision, keys: KeyChange): Promise<AppendResult>;
}

/**
 * Postgres event store: keys and events in one transaction, so neither exists without the other.
 */
export function createTransactionalWriter(pool: Pool, store: PostgresEventStore): StreamWriter {
  return {
    append(streamId, events, expectedRevision, keys) {
      if (isEmptyChange(keys)) return store.appendToStream(streamId, events, { expectedRevision });
      return inTransaction(pool, async (client) => {
        await claimKeys(client, keys.owner, keys.claim, 'confirmed');
        await releaseKeys(client, keys.owner, keys.release);
        return store.appendToStreamInTransaction(client, streamId, events, { expectedRevision });
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
    async append(streamId, events, expectedRevision, keys) {
      if (isEmptyChange(keys)) return store.appendToStream(streamId, events, { expectedRevision });
      const { owner, claim, release } = keys;
      await inTransaction(pool, async (client) => {
        await claimKeys(client, owner, claim, 'pending');
        await setKeyState(client, owner, release, 'releasing');
      });
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
      await inTransaction(pool, async (client) => {
        await setKeyState(client, owner, claim, 'confirmed');
        await releaseKeys(client, owner, release);
      });
      return result;
    },
  };
}

export function createStreamWriter(pool: Pool, store: EventStore): StreamWriter {
  return store.kind === 'postgres'
    ? createTransactionalWriter(pool, store as PostgresEventStore)
    : createTwoPhaseWriter(pool, store);
}
