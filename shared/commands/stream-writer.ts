import { Pool, type PoolClient } from 'pg';
import { sql, type SqlStatement } from '../db/sql-statement';
import {
  DuplicateEventIdError,
  InvalidAppendError,
  WrongExpectedRevisionError,
  type AppendResult,
  type EventStore,
  type EventToAppend,
  type ExpectedRevision,
} from '../eventstore/port';
import { KeyHeldError } from '../eventstore/postgres/append';
import { DEFAULT_NOTIFY_CHANNEL, type PostgresEventStore } from '../eventstore/postgres/postgres-event-store';
import { isEmptyChange, uniqueKey, type KeyChange, type UniqueScope } from '../uniqueness/keys';
import { claimKeys, KEY_OWNER_LOCK_CLASS, releaseKeys, setKeyState, UniqueKeyTakenError } from '../uniqueness/unique-key-table';

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
 * Whether an append that failed certainly wrote nothing: the store refused it (another writer
 * appended first, an event id already recorded) or the adapter refused it before sending
 * anything. Anything else (a timeout, a lost connection, an unavailable leader, an error after the
 * request went out) may have committed after all.
 */
function certainlyNotWritten(error: unknown): boolean {
  return error instanceof WrongExpectedRevisionError || error instanceof DuplicateEventIdError || error instanceof InvalidAppendError;
}

async function run(client: PoolClient, statements: readonly SqlStatement[] = []): Promise<void> {
  for (const statement of statements) await client.query(statement.text, [...statement.values]);
}

/** The revision the stream has if an append of unknown outcome landed; undefined when it cannot be told. */
function revisionIfLanded(expectedRevision: ExpectedRevision, eventCount: number): bigint | undefined {
  if (expectedRevision === 'no_stream') return BigInt(eventCount - 1);
  return typeof expectedRevision === 'bigint' ? expectedRevision + BigInt(eventCount) : undefined;
}

export interface TwoPhaseWriterOptions {
  /** The channel appends are announced on (the change feed's). */
  readonly notifyChannel?: string;
  /**
   * Where the writer takes the connection it holds an owner's lock on for the length of a write.
   * Default: a pool of its own (as large as `pool`, connections closed when idle), so that writers
   * holding locks can never take every connection an append or a settle needs.
   */
  readonly lockPool?: Pool;
}

/**
 * Any other store (EventStoreDB): claim `pending` and mark released keys `releasing` before the
 * append, settle both after it.
 *
 * - When the append certainly failed, the claims it made are taken back and keys the owner held
 *   already (a re-claim that only changed a value's case) are put back as they were.
 * - When its outcome is unknown (a timeout, a lost connection: it may have committed), nothing is
 *   taken back: the keys stay `pending` / `releasing` and the reconciler settles them from the
 *   owner stream's state (shared/uniqueness/reconciler.ts). Every instance is told to drop its
 *   memory of the stream.
 * - Writes that change an owner's keys hold that owner's advisory lock (KEY_OWNER_LOCK_CLASS) on
 *   one connection from before they read what it holds until they settled: two instances writing
 *   the same owner at once (a client retrying on another instance) take turns, so one's failure
 *   can never take back a key the other's committed append holds. Writes of other owners do not wait.
 *
 * So a key is never held twice and never lost.
 */
export function createTwoPhaseWriter(pool: Pool, store: EventStore, { notifyChannel = DEFAULT_NOTIFY_CHANNEL, lockPool: givenLockPool }: TwoPhaseWriterOptions = {}): StreamWriter {
  let ownLockPool: Pool | undefined;
  const lockPool = (): Pool =>
    givenLockPool ??
    (ownLockPool ??= (() => {
      const created = new Pool({ ...pool.options, idleTimeoutMillis: 10_000, allowExitOnIdle: true });
      created.on('error', () => undefined);
      return created;
    })());
  const notify = (streamId: string, revision: bigint) => sql('SELECT pg_notify($1, $2)', [notifyChannel, `${streamId} ${revision}`]);

  async function append({ streamId, events, expectedRevision, keys, rows = {} }: StreamWrite, client: PoolClient | undefined): Promise<AppendResult> {
    const { owner, claim, release } = keys;
    const db = client ?? pool;
    // A key the owner held already (a value that only changed case) is claimed again: it must
    // never be given up when this write fails.
    const held = client ? await heldBy(client, owner.stream, claim) : new Map<string, HeldKey>();
    if (client) {
      await inClientTransaction(client, async () => {
        await claimKeys(client, owner, claim, 'pending');
        await setKeyState(client, owner, release, 'releasing');
        await run(client, rows.before);
      });
    }
    let result: AppendResult;
    try {
      result = await store.appendToStream(streamId, events, { expectedRevision });
    } catch (error) {
      if (certainlyNotWritten(error)) {
        if (client && !isEmptyChange(keys)) {
          await inClientTransaction(client, async () => {
            await releaseKeys(client, owner, claim.filter((k) => !held.has(keyId(k))));
            await restoreValues(client, owner.stream, held);
            await setKeyState(client, owner, release, 'confirmed');
          });
        }
      } else {
        // It may have landed: instances that remember the stream must read it again.
        const revision = revisionIfLanded(expectedRevision, events.length);
        if (revision !== undefined) {
          const maybe = notify(streamId, revision);
          await db.query(maybe.text, [...maybe.values]).catch(() => undefined);
        }
      }
      throw error;
    }
    // The settle, and the notification that lets caches elsewhere drop the stream's old state.
    const announce = notify(streamId, result.nextExpectedRevision);
    if (!client && !rows.after) await pool.query(announce.text, [...announce.values]);
    else {
      const settleOn = client ?? (await pool.connect());
      try {
        await inClientTransaction(settleOn, async () => {
          await setKeyState(settleOn, owner, claim, 'confirmed');
          await releaseKeys(settleOn, owner, release);
          await run(settleOn, [...(rows.after ?? []), announce]);
        });
      } finally {
        if (!client) settleOn.release();
      }
    }
    return result;
  }

  return {
    projectsInline: false,
    async append(write) {
      // Only a write that claims, releases or writes rows before the append needs the owner's lock.
      if (isEmptyChange(write.keys) && !write.rows?.before) return append(write, undefined);
      const client = await lockPool().connect();
      let broken: Error | undefined;
      const onError = (err: Error) => void (broken = err);
      client.on('error', onError);
      try {
        await client.query('SELECT pg_advisory_lock($1, hashtext($2))', [KEY_OWNER_LOCK_CLASS, write.keys.owner.stream]);
        try {
          return await append(write, client);
        } finally {
          await client.query('SELECT pg_advisory_unlock($1, hashtext($2))', [KEY_OWNER_LOCK_CLASS, write.keys.owner.stream]).catch((err: Error) => void (broken ??= err));
        }
      } finally {
        client.off('error', onError);
        // A connection whose unlock failed may still hold the lock: it is closed, not pooled.
        client.release(broken ?? false);
      }
    },
  };
}

/** `work` in a transaction on `client` (which the caller holds and releases). */
async function inClientTransaction(client: PoolClient, work: () => Promise<void>): Promise<void> {
  await client.query('BEGIN');
  try {
    await work();
    await client.query('COMMIT');
  } catch (error) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw error;
  }
}

const keyId = (k: { scope: string; key: string }) => `${k.scope}\u0000${k.key}`;

interface HeldKey {
  readonly scope: string;
  readonly key: string;
  readonly value: string;
  readonly state: string;
}

/** Which of these keys the owner already holds, with the value and state they have now, by keyId. */
async function heldBy(client: PoolClient, ownerStream: string, keys: KeyChange['claim']): Promise<Map<string, HeldKey>> {
  if (keys.length === 0) return new Map();
  const { rows } = await client.query<HeldKey>(
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
