import { BACKWARDS, END, EventStoreDBClient, FORWARDS, START, type AppendResult as ClientAppendResult } from '@eventstore/db-client';
import type { Logger } from '../../logging/logger';
import {
  WrongExpectedRevisionError,
  type AppendOptions,
  type AppendResult,
  type EventStore,
  type EventToAppend,
  type ReadAllOptions,
  type ReadStreamOptions,
  type RecordedEvent,
  type StreamRevision,
  type SubscribeToAllOptions,
  type Subscription,
} from '../port';
import { START as LOG_START, comparePositions, type Position } from '../position';
import {
  appendConflict,
  checkEventIds,
  fromClientPosition,
  isStreamNotFound,
  isSystemEvent,
  recordPosition,
  satisfiesExpectedRevision,
  subscriptionFilter,
  toActualRevision,
  toClientExpectedRevision,
  toEventData,
  toAppendError,
  toReadPosition,
  toRecordedEvent,
} from './mapping';
import { countEventsAfter } from './count-events';
import { adaptSubscription } from './subscription';

export interface EventStoreDbOptions {
  /** `esdb://host:2113?tls=false`; reading $all needs an admin or ops user on a secure server. */
  readonly connectionString: string;
  readonly log?: Logger;
  /** ping() fails when the server has not answered within this time. */
  readonly pingTimeoutMs?: number;
}

/** Records asked for per page while readAll/headPosition step over system records. */
const MIN_PAGE = 64;
const MAX_PAGE = 4096;

export function createEventStoreDbEventStore(options: EventStoreDbOptions): EventStore {
  const client = EventStoreDBClient.connectionString(options.connectionString);
  const log = options.log;
  const pingTimeoutMs = options.pingTimeoutMs ?? 5000;
  const subscriptions = new Set<Subscription>();

  async function collect<T>(read: AsyncIterable<T>): Promise<T[]> {
    const items: T[] = [];
    for await (const item of read) items.push(item);
    return items;
  }

  /** Position of the event at `revision` of a stream, read back from the server. */
  async function positionAtRevision(streamId: string, revision: StreamRevision): Promise<Position> {
    const [resolved] = await collect(client.readStream(streamId, { direction: FORWARDS, fromRevision: revision, maxCount: 1 }));
    const position = resolved?.event?.position;
    if (resolved?.event?.revision !== revision || position === undefined) {
      throw new Error(
        `EventStoreDB returned no $all position for ${streamId}@${revision} after appending it (a server from 22.6 on is required)`,
      );
    }
    return fromClientPosition(position);
  }

  /** Revision and position of a stream's last event; undefined when the stream does not exist. */
  async function streamHead(streamId: string): Promise<{ revision: StreamRevision; position: Position } | undefined> {
    let resolved;
    try {
      [resolved] = await collect(client.readStream(streamId, { direction: BACKWARDS, fromRevision: END, maxCount: 1 }));
    } catch (error) {
      if (isStreamNotFound(error)) return undefined;
      throw error;
    }
    const event = resolved?.event;
    if (event === undefined) return undefined;
    if (event.position === undefined) {
      throw new Error(`EventStoreDB returned no $all position for ${streamId}@${event.revision} (a server from 22.6 on is required)`);
    }
    return { revision: event.revision, position: fromClientPosition(event.position) };
  }

  /**
   * The port promises the position of the last event written. The server's append position is
   * that of the write: for one event it is the event's own (commit = prepare = its log
   * position); for several it pairs the last event's log position with the first's, which is
   * no event's position; for an idempotent re-append older servers send none. Those cases read
   * the last event back.
   */
  async function lastEventPosition(
    streamId: string,
    eventCount: number,
    result: ClientAppendResult,
  ): Promise<Position> {
    if (eventCount === 1 && result.position !== undefined) return fromClientPosition(result.position);
    return positionAtRevision(streamId, result.nextExpectedRevision);
  }

  return {
    kind: 'eventstoredb',

    async appendToStream(
      streamId: string,
      events: readonly EventToAppend[],
      { expectedRevision }: AppendOptions,
    ): Promise<AppendResult> {
      checkEventIds(streamId, events);
      if (events.length === 0) {
        // Nothing to write: check the expectation against the stream as it is now, as the
        // Postgres adapter does, and answer with its last event (-1 and the log start if none).
        const head = await streamHead(streamId);
        const actual = head?.revision ?? 'no_stream';
        if (!satisfiesExpectedRevision(expectedRevision, actual)) {
          throw new WrongExpectedRevisionError(streamId, expectedRevision, actual);
        }
        return head === undefined
          ? { nextExpectedRevision: -1n, position: LOG_START }
          : { nextExpectedRevision: head.revision, position: head.position };
      }
      let result: ClientAppendResult;
      try {
        result = await client.appendToStream(streamId, events.map(toEventData), {
          expectedRevision: toClientExpectedRevision(expectedRevision),
        });
      } catch (error) {
        throw toAppendError(error, streamId, expectedRevision, events) ?? error;
      }
      // Only with throwOnAppendFailure=false in the connection string does a conflict land here.
      if (!result.success) {
        throw appendConflict(streamId, expectedRevision, toActualRevision(result.nextExpectedRevision), events);
      }
      return {
        nextExpectedRevision: result.nextExpectedRevision,
        position: await lastEventPosition(streamId, events.length, result),
      };
    },

    async readStream(streamId: string, readOptions: ReadStreamOptions = {}): Promise<RecordedEvent[]> {
      const { fromRevision, maxCount } = readOptions;
      if (maxCount !== undefined && maxCount <= 0) return [];
      const events: RecordedEvent[] = [];
      try {
        const read = client.readStream(streamId, {
          direction: FORWARDS,
          fromRevision: fromRevision ?? START,
          ...(maxCount !== undefined ? { maxCount } : {}),
        });
        for await (const resolved of read) {
          const event = toRecordedEvent(resolved);
          if (event !== undefined) events.push(event);
        }
      } catch (error) {
        if (isStreamNotFound(error)) return [];
        throw error;
      }
      return events;
    },

    /**
     * ESDB reads $all from a position inclusively; the port's `after` is exclusive, so the
     * record at `after` is dropped. System records are skipped, and pages are read until
     * `maxCount` events are found or the log ends: a short page means the end of the log.
     */
    async readAll({ after, maxCount }: ReadAllOptions = {}): Promise<RecordedEvent[]> {
      const limit = maxCount ?? Number.POSITIVE_INFINITY;
      if (limit <= 0) return [];
      const events: RecordedEvent[] = [];
      let cursor = after;
      for (;;) {
        const wanted = limit - events.length;
        // +1: the record at the cursor comes back again and is dropped.
        const pageSize = Number.isFinite(wanted) ? Math.min(Math.max(wanted + 1, MIN_PAGE), MAX_PAGE) : undefined;
        const page = await collect(
          client.readAll({
            direction: FORWARDS,
            fromPosition: toReadPosition(cursor),
            ...(pageSize !== undefined ? { maxCount: pageSize } : {}),
          }),
        );
        const start = cursor;
        for (const resolved of page) {
          const position = recordPosition(resolved);
          if (position === undefined) continue;
          if (cursor !== undefined && comparePositions(position, cursor) <= 0) continue;
          cursor = position;
          const event = toRecordedEvent(resolved);
          if (event === undefined) continue;
          events.push(event);
          if (events.length >= limit) return events;
        }
        if (pageSize === undefined || page.length < pageSize) return events;
        if (cursor === start) throw new Error('EventStoreDB readAll: a full page did not move past the cursor');
      }
    },

    subscribeToAll({ after, filter }: SubscribeToAllOptions = {}): Subscription {
      const subscription: Subscription = adaptSubscription(
        (onCheckpoint) =>
          // ESDB starts a $all subscription strictly after fromPosition: the port's `after`.
          client.subscribeToAll({
            fromPosition: toReadPosition(after),
            filter: subscriptionFilter(filter?.streamPrefixes, (_subscription, position) => onCheckpoint(position)),
          }),
        {
          ...(after !== undefined ? { after } : {}),
          ...(log !== undefined ? { log } : {}),
          onStop: () => subscriptions.delete(subscription),
        },
      );
      subscriptions.add(subscription);
      return subscription;
    },

    /**
     * Position of the last non-system event: system records (stats, scavenges, metadata) are
     * never delivered to a subscriber, so a head that counted them would show a lag that
     * processors could never close.
     */
    async headPosition(): Promise<Position | null> {
      let cursor: Position | undefined;
      for (;;) {
        const page = await collect(
          client.readAll({ direction: BACKWARDS, fromPosition: cursor === undefined ? END : toReadPosition(cursor), maxCount: MIN_PAGE }),
        );
        const start = cursor;
        for (const resolved of page) {
          const position = recordPosition(resolved);
          if (position === undefined) continue;
          if (cursor !== undefined && comparePositions(position, cursor) >= 0) continue;
          cursor = position;
          // The position is all that is needed: an event that cannot be decoded is still the head.
          const event = resolved.event;
          if (event !== undefined && resolved.link === undefined && !isSystemEvent(event)) return position;
        }
        if (page.length < MIN_PAGE) return null;
        if (cursor === start) throw new Error('EventStoreDB headPosition: a full page did not move past the cursor');
      }
    },

    countEventsAfter(after: Position | undefined, limit: number): Promise<number> {
      return countEventsAfter((readOptions) => client.readAll(readOptions), after, limit);
    },

    async ping(): Promise<void> {
      const read = client.readAll({ direction: BACKWARDS, fromPosition: END, maxCount: 1 });
      const answered = collect(read);
      // Settles after a timeout too; its outcome then no longer matters.
      answered.catch(() => undefined);
      let timer: NodeJS.Timeout | undefined;
      try {
        await Promise.race([
          answered,
          new Promise<never>((_, reject) => {
            timer = setTimeout(() => {
              void read.cancel().catch(() => undefined);
              reject(new Error(`EventStoreDB did not answer within ${pingTimeoutMs} ms`));
            }, pingTimeoutMs);
          }),
        ]);
      } finally {
        clearTimeout(timer);
      }
    },

    async close(): Promise<void> {
      await Promise.all([...subscriptions].map((subscription) => subscription.unsubscribe()));
      await client.dispose();
    },
  };
}
