import type { Pool, PoolClient } from '../../db/pool';
import type { Logger } from '../../logging/logger';
import type {
  AppendOptions,
  AppendResult,
  EventStore,
  EventToAppend,
  ReadAllOptions,
  ReadStreamOptions,
  RecordedEvent,
  SubscribeToAllOptions,
  Subscription,
} from '../port';
import { START, type Position } from '../position';
import { appendInTransaction, runAppend, type AppendKeys } from './append';
import type { SqlStatement } from '../../db/sql-statement';
import { NotificationListener } from './listener';
import { VisibleBound } from './visible-bound';
import { EVENT_COLUMNS, positionParams, toLazyRecordedEvent, toPosition, toRecordedEvent, type EventRow, type PositionRow } from './rows';
import { PostgresSubscription, type ScannedPage, type ScannedRow } from './subscription';

export interface PostgresEventStoreOptions {
  /** Owned by the caller: close() leaves it open. */
  readonly pool: Pool;
  readonly log?: Logger;
  /** How long a live subscriber waits for a notification before it looks anyway. */
  readonly pollIntervalMs?: number;
  readonly notifyChannel?: string;
  /** Rows a subscription reads per query. */
  readonly pageSize?: number;
  /** At the live end, the shortest time between two reads of one subscription (see subscription.ts). */
  readonly liveReadIntervalMs?: number;
}

export interface PostgresEventStore extends EventStore {
  readonly kind: 'postgres';
  /**
   * Appends inside the caller's open transaction (which it neither begins nor commits), so other
   * writes can share it. Subscribers see the events, and are notified, when the caller commits.
   */
  appendToStreamInTransaction(
    client: PoolClient,
    streamId: string,
    events: readonly EventToAppend[],
    options: AppendOptions,
  ): Promise<AppendResult>;
  /**
   * Appends, claims and releases `keys` and runs `with` (data-modifying statements: an inline
   * projection's rows, a token's row) in one statement, so all of it commits or none of it does.
   * @throws WrongExpectedRevisionError, DuplicateEventIdError, KeyHeldError (append.ts).
   */
  /**
   * Committed events after `after` in position order, NOT bounded by writers still in flight: an
   * event of a transaction that commits later may land before those returned. Only for a reader
   * that has made sure no writer it cares about is in flight (a rebuild holding the live tables).
   */
  readCommitted(after: Position | undefined, maxCount: number): Promise<RecordedEvent[]>;
  appendWith(
    streamId: string,
    events: readonly EventToAppend[],
    options: AppendOptions & { readonly keys?: AppendKeys; readonly with?: readonly SqlStatement[] },
  ): Promise<AppendResult>;
}

export const DEFAULT_NOTIFY_CHANNEL = 'event_store';
export const DEFAULT_POLL_INTERVAL_MS = 500;
export const DEFAULT_PAGE_SIZE = 500;
/** 10 ms: at most 100 reads a second per subscriber when busy, well inside the 50 ms lag the service aims at. */
export const DEFAULT_LIVE_READ_INTERVAL_MS = 10;
/** readAll returns one page; callers page on with `after`. */
export const DEFAULT_READ_ALL_COUNT = 1000;

export function createPostgresEventStore(options: PostgresEventStoreOptions): PostgresEventStore {
  const { pool, log } = options;
  const channel = options.notifyChannel ?? DEFAULT_NOTIFY_CHANNEL;
  const listener = new NotificationListener(
    { ...pool.options, application_name: 'event-store-listener', keepAlive: true, keepAliveInitialDelayMillis: 10_000 },
    channel,
    log,
  );
  const subscriptions = new Set<PostgresSubscription>();
  let closed = false;

  function assertOpen(): void {
    if (closed) throw new Error('the event store is closed');
  }

  const bounds = new VisibleBound(pool, listener);
  const appended = (result: AppendResult): AppendResult => {
    bounds.noteAppend();
    return result;
  };

  async function readPage(
    after: Position | undefined,
    limit: number,
    streamPrefixes: readonly string[] | undefined,
  ): Promise<ScannedPage> {
    // The bound comes first, in a statement of its own (visible-bound.ts); rows the filter drops
    // still advance the scan, without their payload (event_store_read_page).
    const { bound, heldBack } = await bounds.get();
    const { rows } = await pool.query<ScannedRow>(`SELECT * FROM event_store_read_page($1::xid8, $2::bigint, $3, $4::text[], $5::xid8)`, [
      ...positionParams(after ?? START),
      Math.max(0, limit),
      streamPrefixes ? [...streamPrefixes] : null,
      bound,
    ]);
    return { rows, heldBack };
  }

  return {
    kind: 'postgres',

    async appendToStream(streamId, events, { expectedRevision }) {
      assertOpen();
      return appended(await runAppend(pool, { streamId, events, expectedRevision, channel }));
    },

    async appendToStreamInTransaction(client, streamId, events, { expectedRevision }) {
      assertOpen();
      // Committed by the caller later: its notification tells this process's readers.
      return appendInTransaction(client, { streamId, events, expectedRevision, channel });
    },

    async appendWith(streamId, events, { expectedRevision, keys, with: statements }) {
      assertOpen();
      return appended(await runAppend(pool, { streamId, events, expectedRevision, channel, ...(keys ? { keys } : {}), ...(statements ? { with: statements } : {}) }));
    },

    async readStream(streamId, { fromRevision = 0n, maxCount }: ReadStreamOptions = {}): Promise<RecordedEvent[]> {
      assertOpen();
      const { rows } = await pool.query<EventRow>(
        `SELECT ${EVENT_COLUMNS} FROM events
          WHERE stream_id = $1 AND stream_revision >= $2::bigint
          ORDER BY stream_revision LIMIT $3`,
        [streamId, fromRevision.toString(), maxCount === undefined ? null : Math.max(0, maxCount)],
      );
      return rows.map(toRecordedEvent);
    },

    async readCommitted(after, maxCount) {
      assertOpen();
      const { rows } = await pool.query<EventRow>(
        `SELECT ${EVENT_COLUMNS} FROM events WHERE (transaction_id, global_position) > ($1::xid8, $2::bigint)
          ORDER BY transaction_id, global_position LIMIT $3`,
        [...positionParams(after ?? START), Math.max(0, maxCount)],
      );
      return rows.map(toRecordedEvent);
    },

    async readAll({ after, maxCount = DEFAULT_READ_ALL_COUNT }: ReadAllOptions = {}): Promise<RecordedEvent[]> {
      assertOpen();
      return (await readPage(after, maxCount, undefined)).rows.map(toLazyRecordedEvent);
    },

    subscribeToAll({ after, maxCount, filter }: SubscribeToAllOptions = {}): Subscription {
      assertOpen();
      listener.start();
      const subscription = new PostgresSubscription(
        {
          readPage,
          listener,
          pageSize: options.pageSize ?? DEFAULT_PAGE_SIZE,
          pollIntervalMs: options.pollIntervalMs ?? DEFAULT_POLL_INTERVAL_MS,
          liveReadIntervalMs: options.liveReadIntervalMs ?? DEFAULT_LIVE_READ_INTERVAL_MS,
          released: (s) => subscriptions.delete(s),
        },
        { after, maxCount, streamPrefixes: filter?.streamPrefixes },
      );
      subscriptions.add(subscription);
      return subscription;
    },

    async headPosition(): Promise<Position | null> {
      assertOpen();
      const { rows } = await pool.query<PositionRow>(`SELECT transaction_id, global_position FROM event_store_head()`);
      return rows[0] ? toPosition(rows[0]) : null;
    },

    async countEventsAfter(after, limit): Promise<number> {
      assertOpen();
      if (limit <= 0) return 0;
      // Bounded as subscribers' reads are (event_store_read_after): an event still in flight is not counted.
      const { rows } = await pool.query<{ behind: number }>(
        `WITH b AS MATERIALIZED (SELECT event_store_visible_bound() AS bound)
         SELECT count(*)::int AS behind FROM (
           SELECT 1 FROM events e, b
            WHERE e.transaction_id < b.bound AND (e.transaction_id, e.global_position) > ($1::xid8, $2::bigint)
            LIMIT $3) counted`,
        [...positionParams(after ?? START), limit],
      );
      return rows[0]?.behind ?? 0;
    },

    async ping(): Promise<void> {
      await pool.query('SELECT 1');
    },

    async close(): Promise<void> {
      if (closed) return;
      closed = true;
      await Promise.all([...subscriptions].map((s) => s.unsubscribe()));
      await listener.close();
    },
  };
}
