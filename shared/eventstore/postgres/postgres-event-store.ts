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
import { appendInTransaction, appendWithPool } from './append';
import { NotificationListener } from './listener';
import { EVENT_COLUMNS, VISIBLE, positionParams, toPosition, toRecordedEvent, type EventRow, type PositionRow } from './rows';
import { PostgresSubscription, type ScannedRow } from './subscription';

export interface PostgresEventStoreOptions {
  /** Owned by the caller: close() leaves it open. */
  readonly pool: Pool;
  readonly log?: Logger;
  /** How long a live subscriber waits for a notification before it looks anyway. */
  readonly pollIntervalMs?: number;
  readonly notifyChannel?: string;
  /** Rows a subscription reads per query. */
  readonly pageSize?: number;
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
}

export const DEFAULT_NOTIFY_CHANNEL = 'event_store';
export const DEFAULT_POLL_INTERVAL_MS = 500;
export const DEFAULT_PAGE_SIZE = 500;
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

  async function readPage(
    after: Position | undefined,
    limit: number,
    streamPrefixes: readonly string[] | undefined,
  ): Promise<ScannedRow[]> {
    // Rows the filter drops still advance the scan, without their payload. ORDER BY names the
    // table's columns: the output's transaction_id is text, and would sort as text.
    const { rows } = await pool.query<ScannedRow>(
      `SELECT event_id::text AS event_id, stream_id, stream_revision, event_type,
              CASE WHEN matched THEN data END AS data, CASE WHEN matched THEN metadata END AS metadata,
              recorded_at, transaction_id::text AS transaction_id, global_position, matched
         FROM (SELECT e.*, ($4::text[] IS NULL OR e.stream_id ^@ ANY($4::text[])) AS matched
                 FROM events e
                WHERE ${VISIBLE} AND (e.transaction_id, e.global_position) > ($1::xid8, $2::bigint)
                ORDER BY e.transaction_id, e.global_position LIMIT $3) page
        ORDER BY page.transaction_id, page.global_position`,
      [...positionParams(after ?? START), Math.max(0, limit), streamPrefixes ? [...streamPrefixes] : null],
    );
    return rows;
  }

  return {
    kind: 'postgres',

    async appendToStream(streamId, events, { expectedRevision }) {
      assertOpen();
      return appendWithPool(pool, { streamId, events, expectedRevision, channel });
    },

    async appendToStreamInTransaction(client, streamId, events, { expectedRevision }) {
      assertOpen();
      return appendInTransaction(client, { streamId, events, expectedRevision, channel });
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

    async readAll({ after, maxCount = DEFAULT_READ_ALL_COUNT }: ReadAllOptions = {}): Promise<RecordedEvent[]> {
      assertOpen();
      return (await readPage(after, maxCount, undefined)).map(toRecordedEvent);
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
          released: (s) => subscriptions.delete(s),
        },
        { after, maxCount, streamPrefixes: filter?.streamPrefixes },
      );
      subscriptions.add(subscription);
      return subscription;
    },

    async headPosition(): Promise<Position | null> {
      assertOpen();
      const { rows } = await pool.query<PositionRow>(
        `SELECT e.transaction_id::text AS transaction_id, e.global_position FROM events e
          WHERE ${VISIBLE}
          ORDER BY e.transaction_id DESC, e.global_position DESC LIMIT 1`,
      );
      return rows[0] ? toPosition(rows[0]) : null;
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
