import type { Position } from './position';

export type { Position } from './position';

/** Stream revisions are 0-based: the first event of a stream has revision 0. */
export type StreamRevision = bigint;

/**
 * - `no_stream`: the stream must not exist yet.
 * - `stream_exists`: the stream must have at least one event.
 * - `any`: no check.
 * - a bigint: the revision of the stream's last event must equal it.
 */
export type ExpectedRevision = 'no_stream' | 'stream_exists' | 'any' | StreamRevision;

export type JsonObject = { readonly [key: string]: unknown };

export interface EventToAppend {
  /** A UUID chosen by the writer; re-appending the same ids is idempotent. */
  readonly id: string;
  readonly type: string;
  readonly data: JsonObject;
  readonly metadata: JsonObject;
}

export interface RecordedEvent {
  readonly id: string;
  readonly type: string;
  readonly streamId: string;
  readonly revision: StreamRevision;
  readonly position: Position;
  readonly data: JsonObject;
  readonly metadata: JsonObject;
  readonly recordedAt: Date;
  /**
   * `data` and `metadata` as the JSON text the store holds, when the adapter has it at hand (the
   * Postgres store's subscriptions): a reader that only passes them on sends these as they are.
   */
  readonly json?: { readonly data: string; readonly metadata: string };
}

export interface AppendResult {
  /** Revision of the last event now in the stream. */
  readonly nextExpectedRevision: StreamRevision;
  /** Global position of the last event written (or of the original write when idempotent). */
  readonly position: Position;
}

export interface AppendOptions {
  readonly expectedRevision: ExpectedRevision;
}

export interface ReadStreamOptions {
  readonly fromRevision?: StreamRevision;
  readonly maxCount?: number;
}

export interface ReadAllOptions {
  /** Exclusive: only events strictly after this position. Omitted: from the beginning. */
  readonly after?: Position;
  readonly maxCount?: number;
}

export interface SubscriptionFilter {
  /** Only events whose stream id starts with one of these prefixes. */
  readonly streamPrefixes?: readonly string[];
}

export interface SubscribeToAllOptions extends ReadAllOptions {
  readonly filter?: SubscriptionFilter;
}

/**
 * What a subscription yields: events in global order, a `checkpoint` when the store has
 * scanned past events the filter dropped (so a processor can save progress without
 * matching events), and `caughtUp` once, when catch-up reaches the live end.
 */
export type SubscriptionMessage =
  | { readonly kind: 'event'; readonly event: RecordedEvent }
  | { readonly kind: 'checkpoint'; readonly position: Position }
  | { readonly kind: 'caughtUp'; readonly position: Position | null };

export interface Subscription extends AsyncIterable<SubscriptionMessage> {
  /** Stops the subscription; a pending iteration ends without error. */
  unsubscribe(): Promise<void>;
}

export interface EventStore {
  readonly kind: 'postgres' | 'eventstoredb';
  appendToStream(
    streamId: string,
    events: readonly EventToAppend[],
    options: AppendOptions,
  ): Promise<AppendResult>;
  /** Events of one stream in revision order; an absent stream reads as []. */
  readStream(streamId: string, options?: ReadStreamOptions): Promise<RecordedEvent[]>;
  /** One page of the global log in position order, only events whose write has committed. */
  readAll(options?: ReadAllOptions): Promise<RecordedEvent[]>;
  /** Catch-up from `after`, then live, never skipping an event and never yielding one twice. */
  subscribeToAll(options?: SubscribeToAllOptions): Subscription;
  /** Last position in the global log, for readiness and lag. */
  headPosition(): Promise<Position | null>;
  /**
   * How many events after `after` (from the start when omitted) a subscriber can read now, counted
   * up to `limit` and no further, so that a long backlog costs no more than `limit` rows to measure.
   * Counts what readAll would return: the service's events, never the store's own system records.
   */
  countEventsAfter(after: Position | undefined, limit: number): Promise<number>;
  ping(): Promise<void>;
  close(): Promise<void>;
}

export class WrongExpectedRevisionError extends Error {
  constructor(
    readonly streamId: string,
    readonly expected: ExpectedRevision,
    /** Revision of the stream's last event, or 'no_stream'. */
    readonly actual: StreamRevision | 'no_stream',
  ) {
    super(
      `stream ${streamId}: expected revision ${String(expected)}, actual ${String(actual)}`,
    );
    this.name = 'WrongExpectedRevisionError';
  }
}

/** An event id was re-used for a different event (another stream or another position). */
export class DuplicateEventIdError extends Error {
  constructor(
    readonly streamId: string,
    readonly eventId: string,
  ) {
    super(`event id ${eventId} already recorded elsewhere than stream ${streamId} at this write`);
    this.name = 'DuplicateEventIdError';
  }
}

/**
 * An append the adapter refused before sending anything (an event id that is not a UUID): nothing
 * was written. A TypeError, as the bad argument it is; a writer may count on nothing having
 * landed, which it may not for any other TypeError (one raised after the request went out).
 */
export class InvalidAppendError extends TypeError {
  constructor(
    readonly streamId: string,
    message: string,
  ) {
    super(message);
    this.name = 'InvalidAppendError';
  }
}
