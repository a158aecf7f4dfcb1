import { inTransaction, type Pool, type PoolClient } from '../../db/pool';
import {
  DuplicateEventIdError,
  WrongExpectedRevisionError,
  type AppendResult,
  type EventToAppend,
  type ExpectedRevision,
  type StreamRevision,
} from '../port';
import { START } from '../position';
import { toPosition, type PositionRow } from './rows';

export interface AppendCommand {
  readonly streamId: string;
  readonly events: readonly EventToAppend[];
  readonly expectedRevision: ExpectedRevision;
  /** NOTIFY channel; the notification is delivered when the appending transaction commits. */
  readonly channel: string;
}

const STREAM_REVISION_KEY = 'events_stream_revision_key';
const EVENT_ID_KEY = 'events_event_id_key';

/**
 * Each lost race costs one attempt: with an exact expectation the next attempt reports the
 * winner's revision; `any` and `stream_exists` writers retry on the new head.
 */
const MAX_ATTEMPTS = 10;

/** Advisory lock class of the event store's per-stream locks (the two-key space, apart from others). */
const STREAM_LOCK_CLASS = 0x45565453;

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * Appends with the pool. Exact expectations need no lock: losing the race on the unique index is
 * their answer. `any` and `stream_exists` writers would instead retry against each other for as
 * long as the stream is busy, so they queue on a per-stream lock in a transaction of their own.
 */
export async function appendWithPool(pool: Pool, command: AppendCommand): Promise<AppendResult> {
  if (queuesOnStream(command)) return inTransaction(pool, (client) => appendInTransaction(client, command));
  return appendEvents(pool, command, autocommit);
}

/** Appends in the caller's open transaction; a per-stream lock taken here is held until it ends. */
export async function appendInTransaction(client: PoolClient, command: AppendCommand): Promise<AppendResult> {
  if (queuesOnStream(command)) {
    await client.query('SELECT pg_advisory_xact_lock($1, hashtext($2))', [STREAM_LOCK_CLASS, command.streamId]);
  }
  return appendEvents(client, command, savepointIn(client));
}

function queuesOnStream({ expectedRevision, events }: AppendCommand): boolean {
  return events.length > 0 && (expectedRevision === 'any' || expectedRevision === 'stream_exists');
}

/** Runs the INSERT so that a failure leaves the connection usable for another attempt. */
type InsertGuard = (insert: () => Promise<AppendResult>) => Promise<AppendResult>;

/** A single statement outside a transaction commits or rolls back on its own. */
const autocommit: InsertGuard = (insert) => insert();

/** Inside a transaction a failed INSERT would abort it: fence the INSERT in a savepoint. */
function savepointIn(client: PoolClient): InsertGuard {
  return async (insert) => {
    await client.query('SAVEPOINT event_store_append');
    try {
      const result = await insert();
      await client.query('RELEASE SAVEPOINT event_store_append');
      return result;
    } catch (error) {
      await client
        .query('ROLLBACK TO SAVEPOINT event_store_append; RELEASE SAVEPOINT event_store_append')
        .catch(() => undefined);
      throw error;
    }
  };
}

interface StateRow extends PositionRow {
  /** null on the row that carries the stream's head. */
  readonly event_id: string | null;
  readonly stream_id: string;
  readonly stream_revision: bigint | string;
}

interface WriteState {
  readonly found: readonly StateRow[];
  readonly head: StateRow | undefined;
}

/**
 * Appends `events` to the stream with optimistic concurrency. Idempotent by event id: checked
 * before the revision, so a retry of a write that already happened returns that write's result.
 */
async function appendEvents(
  db: Pool | PoolClient,
  command: AppendCommand,
  guard: InsertGuard,
): Promise<AppendResult> {
  const { streamId, events, expectedRevision } = command;
  checkEventIds(streamId, events);
  let conflict: unknown;
  let lastActual: StreamRevision | 'no_stream' = 'no_stream';
  for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
    const state = await readWriteState(db, streamId, events);
    const replay = await replayedWrite(db, streamId, events, state.found);
    if (replay) return replay;

    const actual = state.head ? BigInt(state.head.stream_revision) : 'no_stream';
    if (!satisfies(expectedRevision, actual)) {
      throw new WrongExpectedRevisionError(streamId, expectedRevision, actual);
    }
    if (events.length === 0) {
      return {
        nextExpectedRevision: actual === 'no_stream' ? -1n : actual,
        position: state.head ? toPosition(state.head) : START,
      };
    }
    try {
      return await guard(() => insertEvents(db, command, actual === 'no_stream' ? 0n : actual + 1n));
    } catch (error) {
      if (!isUniqueViolation(error)) throw error;
      // Another writer committed first; the next attempt sees its rows.
      conflict = error;
      lastActual = actual;
    }
  }
  // Reached when the winner stays invisible (a repeatable-read caller transaction) or the stream stays this busy.
  if (isUniqueViolation(conflict) && conflict.constraint === EVENT_ID_KEY) {
    throw new DuplicateEventIdError(streamId, /\(event_id\)=\(([^)]+)\)/.exec(conflict.detail ?? '')?.[1] ?? '');
  }
  throw new WrongExpectedRevisionError(streamId, expectedRevision, lastActual);
}

function checkEventIds(streamId: string, events: readonly EventToAppend[]): void {
  const seen = new Set<string>();
  for (const event of events) {
    if (!UUID.test(event.id)) throw new TypeError(`event id ${JSON.stringify(event.id)} is not a UUID`);
    const id = event.id.toLowerCase();
    if (seen.has(id)) throw new DuplicateEventIdError(streamId, event.id);
    seen.add(id);
  }
}

/** The rows already recorded under these event ids, and the stream's last row, in one round trip. */
async function readWriteState(
  db: Pool | PoolClient,
  streamId: string,
  events: readonly EventToAppend[],
): Promise<WriteState> {
  const { rows } = await db.query<StateRow>(
    `SELECT event_id::text AS event_id, stream_id, stream_revision,
            transaction_id::text AS transaction_id, global_position
       FROM events WHERE event_id = ANY($2::uuid[])
     UNION ALL
     (SELECT NULL, stream_id, stream_revision, transaction_id::text, global_position
        FROM events WHERE stream_id = $1 ORDER BY stream_revision DESC LIMIT 1)`,
    [streamId, events.map((e) => e.id)],
  );
  return { found: rows.filter((r) => r.event_id !== null), head: rows.find((r) => r.event_id === null) };
}

/**
 * The result of the earlier write when these ids are exactly that write (same stream, same
 * order, same count); null when none of them is recorded; DuplicateEventIdError otherwise.
 */
async function replayedWrite(
  db: Pool | PoolClient,
  streamId: string,
  events: readonly EventToAppend[],
  found: readonly StateRow[],
): Promise<AppendResult | null> {
  if (found.length === 0) return null;
  const byId = new Map(found.map((row) => [row.event_id!.toLowerCase(), row]));
  const first = byId.get(events[0]!.id.toLowerCase());
  const reused = events.find((e) => byId.has(e.id.toLowerCase()))!;
  if (!first || found.length !== events.length) throw new DuplicateEventIdError(streamId, reused.id);
  const firstRevision = BigInt(first.stream_revision);
  events.forEach((event, i) => {
    const row = byId.get(event.id.toLowerCase())!;
    const inPlace =
      row.stream_id === streamId &&
      BigInt(row.stream_revision) === firstRevision + BigInt(i) &&
      row.transaction_id === first.transaction_id;
    if (!inPlace) throw new DuplicateEventIdError(streamId, reused.id);
  });
  // One write is one transaction's rows in a stream: the earlier write must not extend past these ids.
  const lastRevision = firstRevision + BigInt(events.length - 1);
  const { rowCount } = await db.query(
    `SELECT 1 FROM events
      WHERE stream_id = $1 AND stream_revision IN ($2::bigint - 1, $3::bigint + 1) AND transaction_id = $4::xid8`,
    [streamId, firstRevision.toString(), lastRevision.toString(), first.transaction_id],
  );
  if (rowCount) throw new DuplicateEventIdError(streamId, reused.id);
  const last = byId.get(events[events.length - 1]!.id.toLowerCase())!;
  return { nextExpectedRevision: lastRevision, position: toPosition(last) };
}

function satisfies(expected: ExpectedRevision, actual: StreamRevision | 'no_stream'): boolean {
  switch (expected) {
    case 'any':
      return true;
    case 'no_stream':
      return actual === 'no_stream';
    case 'stream_exists':
      return actual !== 'no_stream';
    default:
      return actual === expected;
  }
}

/**
 * One multi-row INSERT; the NOTIFY rides in the same statement, hence the same transaction, so
 * listeners wake when the rows commit and not before. Rows are numbered in the order given, so
 * global_position follows stream_revision within the write.
 */
async function insertEvents(
  db: Pool | PoolClient,
  command: AppendCommand,
  firstRevision: StreamRevision,
): Promise<AppendResult> {
  const payload = JSON.stringify(
    command.events.map((e) => ({ id: e.id, type: e.type, data: e.data, metadata: e.metadata })),
  );
  const { rows } = await db.query<PositionRow & { stream_revision: bigint | string }>(
    `WITH inserted AS (
       INSERT INTO events (event_id, stream_id, stream_revision, event_type, data, metadata)
       SELECT (e.event->>'id')::uuid, $1, $2::bigint + e.ordinality - 1, e.event->>'type',
              e.event->'data', e.event->'metadata'
         FROM jsonb_array_elements($3::jsonb) WITH ORDINALITY AS e(event, ordinality)
        ORDER BY e.ordinality
       RETURNING stream_revision, transaction_id, global_position
     )
     SELECT stream_revision, transaction_id::text AS transaction_id, global_position,
            (SELECT pg_notify($4, '')) AS notified
       FROM inserted ORDER BY stream_revision DESC LIMIT 1`,
    [command.streamId, firstRevision.toString(), payload, command.channel],
  );
  const last = rows[0]!;
  return { nextExpectedRevision: BigInt(last.stream_revision), position: toPosition(last) };
}

interface UniqueViolation {
  readonly code: '23505';
  readonly constraint?: string;
  readonly detail?: string;
}

function isUniqueViolation(error: unknown): error is UniqueViolation {
  const e = error as Partial<UniqueViolation> | null;
  return (
    e !== null &&
    typeof e === 'object' &&
    e.code === '23505' &&
    (e.constraint === STREAM_REVISION_KEY || e.constraint === EVENT_ID_KEY)
  );
}
