import type { Pool, PoolClient } from 'pg';
import { inTransaction } from '../db/pool';
import { sql, type SqlStatement } from '../db/sql-statement';
import { DuplicateEventIdError, WrongExpectedRevisionError, type AppendResult, type EventStore, type EventToAppend, type ExpectedRevision } from '../eventstore/port';
import { KeyHeldError } from '../eventstore/postgres/append';
import { DEFAULT_NOTIFY_CHANNEL, type PostgresEventStore } from '../eventstore/postgres/postgres-event-store';
import { isEmptyChange, uniqueKey, type KeyChange, type UniqueScope } from '../uniqueness/keys';
import { claimKeys, releaseKeys, setKeyState, UniqueKeyTakenError } from '../uniqueness/unique-key-table';

/**
 * Rows of the write model that go with an append (a token's row): they commit with the events or
 * not at all. Where the store cannot share a transaction with them (EventStoreDB), `before` runs
 * with the pending key claims before the append (for a change that is safe to make early, like a
 * revocation) and `after` once the append succeeded (like a new token's row).
 */
export interface WriteModelRows {
  readonly before?: readonly SqlStatement[];
  readonly after?: readonly SqlStatement[];
}

/** One decision to record: its events, the unique keys it claims and releases, and what goes with it. */
export interface StreamWrite {
  readonly streamId: string;
  readonly events: readonly EventToAppend[];
  readonly expectedRevision: ExpectedRevision;
  readonly keys: KeyChange;
  readonly rows?: WriteModelRows;
  /** The stream's state before and after the write (what the decider decided), for inline projections. */
  readonly stateBefore?: unknown;
  readonly state?: unknown;
  /**
   * Statements that only make sense inside the append's own statement (a snapshot that reads the
   * append's revision as `head.next_revision`): dropped by a writer that cannot compose.
   */
  readonly inline?: readonly SqlStatement[];
}

/**
 * A read model kept in the append's own statement, from the decided state: what a request wrote is
 * in it the moment the write is acknowledged. Its rows must depend on the stream's state alone (not
 * on the order of writes to other streams), so that the projection runner, applying the same
 * events one by one (a rebuild; EventStoreDB), builds the very same rows.
 */
export interface InlineProjection {
  readonly name: string;
  /** The statements that bring the read model to `write.state` at the write's last revision; [] when it follows no such stream. */
  statements(write: {
    readonly streamId: string;
    readonly before: unknown;
    readonly state: unknown;
    readonly revision: bigint;
    readonly events: readonly EventToAppend[];
  }): readonly SqlStatement[];
}

/** Appends a decision's events together with the unique keys it claims and releases. */
export interface StreamWriter {
  /** Whether inline projections and `inline` statements are applied with the append (read-your-writes without waiting). */
  readonly projectsInline: boolean;
  /**
   * @throws WrongExpectedRevisionError when another writer appended first; UniqueKeyTakenError when
   * a key is held by another owner; DuplicateEventIdError; connection errors as they come.
   */
  append(write: StreamWrite): Promise<AppendResult>;
}

/**
 * Postgres event store: keys, write-model rows, the inline projection and the events in one
 * statement (one round trip, one transaction), so none of them exists without the others.
 */
export function createTransactionalWriter(store: PostgresEventStore, inlineProjections: readonly InlineProjection[] = []): StreamWriter {
  return {
    projectsInline: true,
    async append({ streamId, events, expectedRevision, keys, rows = {}, stateBefore, state, inline = [] }) {
      const { owner, claim, release } = keys;
      const revision = (typeof expectedRevision === 'bigint' ? expectedRevision : -1n) + BigInt(events.length);
      const projected =
        state === undefined || typeof expectedRevision !== 'bigint' && expectedRevision !== 'no_stream'
          ? []
          : inlineProjections.flatMap((p) => p.statements({ streamId, before: stateBefore, state, revision, events }));
      const statements = [...(rows.before ?? []), ...(rows.after ?? []), ...inline, ...projected];
      try {
        return await store.appendWith(streamId, events, {
          expectedRevision,
          ...(isEmptyChange(keys) ? {} : { keys: { ownerStream: owner.stream, ownerId: owner.id, claim, release } }),
          ...(statements.length > 0 ? { with: statements } : {}),
        });
      } catch (error) {
        if (error instanceof KeyHeldError) throw new UniqueKeyTakenError(error.keys.map((k) => uniqueKey(k.scope as UniqueScope, k.value)));
        throw error;
      }
    },
  };
}

/**
 * Whether an append that failed certainly wrote nothing. Anything else (a timeout, a lost
 * connection, an unavailable leader) may have committed after all.
 */
function certainlyNotWritten(error: unknown): boolean {
  return error instanceof WrongExpectedRevisionError || error instanceof DuplicateEventIdError || error instanceof TypeError;
}

async function run(client: PoolClient, statements: readonly SqlStatement[] = []): Promise<void> {
  for (const statement of statements) await client.query(statement.text, [...statement.values]);
}

/**
 * Any other store (EventStoreDB): claim `pending` and mark released keys `releasing` before the
 * append, settle both after it. When the append certainly failed, the claims it made are taken
 * back; when its outcome is unknown (it may have committed) the keys stay unsettled and the
 * reconciler settles them from the owner stream's state, so a key is never lost and never held twice.
 */
export function createTwoPhaseWriter(pool: Pool, store: EventStore, notifyChannel = DEFAULT_NOTIFY_CHANNEL): StreamWriter {
  return {
    projectsInline: false,
    async append({ streamId, events, expectedRevision, keys, rows = {} }) {
      const { owner, claim, release } = keys;
      // A key the owner held already (a value that only changed case) is claimed again: it must
      // never be given up when this write fails.
      const held = await heldBy(pool, owner.stream, claim);
      if (!isEmptyChange(keys) || rows.before) {
        await inTransaction(pool, async (client) => {
          await claimKeys(client, owner, claim, 'pending');
          await setKeyState(client, owner, release, 'releasing');
          await run(client, rows.before);
        });
      }
      let result: AppendResult;
      try {
        result = await store.appendToStream(streamId, events, { expectedRevision });
      } catch (error) {
        if (certainlyNotWritten(error) && !isEmptyChange(keys)) {
          await inTransaction(pool, async (client) => {
            await releaseKeys(client, owner, claim.filter((k) => !held.has(keyId(k))));
            await restoreValues(client, owner.stream, held);
            await setKeyState(client, owner, release, 'confirmed');
          });
        }
        throw error;
      }
      // The settle, and the notification that lets caches elsewhere drop the stream's old state.
      const notify = sql('SELECT pg_notify($1, $2)', [notifyChannel, `${streamId} ${result.nextExpectedRevision}`]);
      if (isEmptyChange(keys) && !rows.after) await pool.query(notify.text, [...notify.values]);
      else {
        await inTransaction(pool, async (client) => {
          await setKeyState(client, owner, claim, 'confirmed');
          await releaseKeys(client, owner, release);
          await run(client, [...(rows.after ?? []), notify]);
        });
      }
      return result;
    },
  };
}

const keyId = (k: { scope: string; key: string }) => `${k.scope}\u0000${k.key}`;

interface HeldKey {
  readonly scope: string;
  readonly key: string;
  readonly value: string;
  readonly state: string;
}

/** Which of these keys the owner already holds, with the value and state they have now, by keyId. */
async function heldBy(pool: Pool, ownerStream: string, keys: KeyChange['claim']): Promise<Map<string, HeldKey>> {
  if (keys.length === 0) return new Map();
  const { rows } = await pool.query<HeldKey>(
    `SELECT k.scope, k.key, k.value, k.state FROM unique_keys k JOIN unnest($1::text[], $2::text[]) AS r(scope, key) ON k.scope = r.scope AND k.key = r.key
      WHERE k.owner_stream = $3`,
    [keys.map((k) => k.scope), keys.map((k) => k.key), ownerStream],
  );
  return new Map(rows.map((r) => [keyId(r), r]));
}

/** Puts keys the owner held before a failed write back as they were (a re-claim may have changed the value's case). */
async function restoreValues(client: PoolClient, ownerStream: string, held: ReadonlyMap<string, HeldKey>): Promise<void> {
  for (const k of held.values()) {
    await client.query(`UPDATE unique_keys SET value = $3, state = $4, changed_at = clock_timestamp() WHERE scope = $1 AND key = $2 AND owner_stream = $5`, [
      k.scope,
      k.key,
      k.value,
      k.state,
      ownerStream,
    ]);
  }
}

/** The writer that fits the store: one statement with Postgres (and its inline projections), two phases elsewhere. */
export function createStreamWriter(pool: Pool, store: EventStore, inlineProjections: readonly InlineProjection[] = []): StreamWriter {
  return store.kind === 'postgres' ? createTransactionalWriter(store as PostgresEventStore, inlineProjections) : createTwoPhaseWriter(pool, store);
}
