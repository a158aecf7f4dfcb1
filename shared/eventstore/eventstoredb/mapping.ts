import {
  ANY,
  ErrorType,
  NO_STREAM,
  START,
  STREAM_EXISTS,
  excludeSystemEvents,
  jsonEvent,
  streamNameFilter,
  type AllStreamSubscription,
  type AppendExpectedRevision,
  type CurrentRevision,
  type EventData,
  type Filter,
  type Position as ClientPosition,
  type ReadPosition,
} from '@eventstore/db-client';
import {
  DuplicateEventIdError,
  InvalidAppendError,
  WrongExpectedRevisionError,
  type EventToAppend,
  type ExpectedRevision,
  type JsonObject,
  type RecordedEvent,
  type StreamRevision,
} from '../port';
import type { Position } from '../position';

/**
 * The fields of the client's `ResolvedEvent` / `AllStreamResolvedEvent` this adapter reads
 * (@eventstore/db-client 6.x: `created` is a Date, `position` is set on $all reads and, from
 * server 22.6, on stream reads too; JSON data and metadata arrive parsed).
 */
export interface ClientResolvedEvent {
  readonly event?: {
    readonly id: string;
    readonly streamId: string;
    readonly type: string;
    readonly revision: bigint;
    readonly isJson: boolean;
    readonly data: unknown;
    readonly metadata?: unknown;
    readonly created: Date;
    readonly position?: ClientPosition;
  };
  readonly link?: unknown;
}

/** A recorded event this adapter cannot turn into the port's shape. */
export class EventDecodingError extends Error {
  constructor(
    readonly streamId: string,
    readonly revision: bigint,
    reason: string,
  ) {
    super(`EventStoreDB event ${streamId}@${revision}: ${reason}`);
    this.name = 'EventDecodingError';
  }
}

export function toClientExpectedRevision(expected: ExpectedRevision): AppendExpectedRevision {
  switch (expected) {
    case 'no_stream':
      return NO_STREAM;
    case 'stream_exists':
      return STREAM_EXISTS;
    case 'any':
      return ANY;
    default:
      if (expected < 0n) throw new RangeError(`expected revision must be >= 0, got ${expected}`);
      return expected;
  }
}

export function toEventData(event: EventToAppend): EventData {
  return jsonEvent({
    id: event.id,
    type: event.type,
    // The client's JSONType is mutable; the port's readonly objects are serialised as they are.
    data: event.data as Record<string, unknown>,
    metadata: event.metadata as Record<string, unknown>,
  });
}

/** The client reports a missing stream as `no_stream` (append) or revision -1 (some error paths). */
export function toActualRevision(current: CurrentRevision): StreamRevision | 'no_stream' {
  return typeof current === 'bigint' && current >= 0n ? current : 'no_stream';
}

function errorType(error: unknown): unknown {
  return typeof error === 'object' && error !== null ? (error as { type?: unknown }).type : undefined;
}

export function isStreamNotFound(error: unknown): boolean {
  return errorType(error) === ErrorType.STREAM_NOT_FOUND;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Event ids are UUIDs, each used once per write (as the Postgres adapter checks them). */
export function checkEventIds(streamId: string, events: readonly EventToAppend[]): void {
  const seen = new Set<string>();
  for (const event of events) {
    if (!UUID.test(event.id)) throw new InvalidAppendError(streamId, `event id ${JSON.stringify(event.id)} is not a UUID`);
    const id = event.id.toLowerCase();
    if (seen.has(id)) throw new DuplicateEventIdError(streamId, event.id);
    seen.add(id);
  }
}

export function satisfiesExpectedRevision(expected: ExpectedRevision, actual: StreamRevision | 'no_stream'): boolean {
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
 * The port's error for the client's WrongExpectedVersionError, or undefined for any other error.
 *
 * The server answers WrongExpectedVersion in two cases: the stream is not where the writer
 * expected, or the write is a partial replay ("corrupted idempotency": its first event is
 * already recorded in this stream but the rest do not match what followed it). Under `any`,
 * and under `stream_exists` on an existing stream, only the second case can happen, and that
 * is the port's DuplicateEventIdError for the first event. Under `no_stream` or an exact
 * revision the two cannot be told apart; the writer reloads either way.
 */
export function toAppendError(
  error: unknown,
  streamId: string,
  expected: ExpectedRevision,
  events: readonly EventToAppend[],
): WrongExpectedRevisionError | DuplicateEventIdError | undefined {
  if (errorType(error) !== ErrorType.WRONG_EXPECTED_VERSION) return undefined;
  const reported = (error as { actualVersion?: CurrentRevision }).actualVersion;
  return appendConflict(streamId, expected, reported === undefined ? 'no_stream' : toActualRevision(reported), events);
}

/** See toAppendError: the port's error for a write the server refused at revision `actual`. */
export function appendConflict(
  streamId: string,
  expected: ExpectedRevision,
  actual: StreamRevision | 'no_stream',
  events: readonly EventToAppend[],
): WrongExpectedRevisionError | DuplicateEventIdError {
  if (satisfiesExpectedRevision(expected, actual) && events.length > 0) {
    return new DuplicateEventIdError(streamId, events[0]!.id);
  }
  return new WrongExpectedRevisionError(streamId, expected, actual);
}

export function fromClientPosition(position: ClientPosition): Position {
  return { commit: position.commit, prepare: position.prepare };
}

export function toReadPosition(position: Position | undefined): ReadPosition {
  return position === undefined ? START : { commit: position.commit, prepare: position.prepare };
}

/**
 * Events the service never wrote: system streams (`$stats-…`, `$$user-1` metadata, `$scavenges`)
 * and system event types (`$metadata`, `$>` links, `$streamDeleted`) in any stream.
 */
export function isSystemEvent(event: { readonly streamId: string; readonly type: string }): boolean {
  return event.streamId.startsWith('$') || event.type.startsWith('$');
}

/** Position of the log record behind a resolved event, system events included (for paging). */
export function recordPosition(resolved: ClientResolvedEvent): Position | undefined {
  const position = resolved.event?.position;
  return position === undefined ? undefined : fromClientPosition(position);
}

function isJsonObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value) && !(value instanceof Uint8Array);
}

function decodeObject(
  value: unknown,
  what: 'data' | 'metadata',
  event: { readonly streamId: string; readonly revision: bigint },
): JsonObject {
  let decoded = value;
  if (value instanceof Uint8Array) {
    // A binary event (or JSON the client failed to parse): accept bytes that are a JSON object.
    if (value.length === 0) decoded = undefined;
    else {
      try {
        decoded = JSON.parse(Buffer.from(value).toString('utf8'));
      } catch {
        throw new EventDecodingError(event.streamId, event.revision, `${what} is not JSON`);
      }
    }
  }
  // The server stores no metadata bytes for an empty metadata: the client reads that as undefined.
  if (decoded === undefined && what === 'metadata') return {};
  if (isJsonObject(decoded)) return decoded;
  throw new EventDecodingError(event.streamId, event.revision, `${what} is not a JSON object`);
}

/**
 * The port's event for a resolved event, or undefined when the adapter skips it: a system
 * event, a link (`link` set), or an entry without an event (a link whose target is gone).
 */
export function toRecordedEvent(resolved: ClientResolvedEvent): RecordedEvent | undefined {
  const event = resolved.event;
  if (event === undefined || resolved.link !== undefined || isSystemEvent(event)) return undefined;
  if (event.position === undefined) {
    throw new EventDecodingError(
      event.streamId,
      event.revision,
      'no $all position (stream reads carry one from EventStoreDB 22.6 on)',
    );
  }
  return {
    id: event.id,
    type: event.type,
    streamId: event.streamId,
    revision: event.revision,
    position: fromClientPosition(event.position),
    data: decodeObject(event.data, 'data', event),
    metadata: decodeObject(event.metadata, 'metadata', event),
    recordedAt: event.created,
  };
}

export type CheckpointReached = (subscription: AllStreamSubscription, position: ClientPosition) => void;

/**
 * Server-side filter of a $all subscription. Stream prefixes when given (a prefix never matches
 * a `$` system stream unless it starts with `$`); otherwise every non-system event type. Either
 * way the server sends a checkpoint every `checkpointInterval` × max search window (32 by default) records
 * it scans, which is what lets a processor advance past long runs of filtered-out records.
 */
export function subscriptionFilter(
  prefixes: readonly string[] | undefined,
  checkpointReached: CheckpointReached,
  checkpointInterval = 1,
): Filter {
  if (prefixes !== undefined && prefixes.length > 0) {
    return streamNameFilter({ prefixes: [...prefixes], checkpointInterval, checkpointReached });
  }
  return excludeSystemEvents({ checkpointInterval, checkpointReached });
}
