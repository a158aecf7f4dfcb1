import { Partitioners, type Kafka, type Message, type Producer, type RetryOptions } from 'kafkajs';
import { Client } from 'pg';
import type { Observable } from 'rxjs';
import type { Pool } from '../../shared/db/pool';
import type { EventStore, RecordedEvent } from '../../shared/eventstore/port';
import { formatPosition, type Position } from '../../shared/eventstore/position';
import { EVENT_SOURCE_PREFIX } from '../../shared/events/source';
import { createLogger, type Logger } from '../../shared/logging/logger';
import { SAVED, startCheckpointedProcessor, type CheckpointStore, type ProcessorLag } from '../../shared/subscriptions/checkpointed-processor';
import { occurredAtOf, toKafkaMessage } from './envelope';

export interface EventPublisherOptions {
  /** Holds publisher_checkpoints and the advisory lock of the active publisher. */
  readonly pool: Pool;
  readonly store: EventStore;
  readonly kafka: Kafka;
  readonly topic: string;
  /**
   * The deployment's CloudEvents source (EVENT_SOURCE), sent as `ce_source` with every event;
   * consumers skip other sources. Default `/scim-provisioning`, which only suits a topic of its own.
   */
  readonly source?: string;
  /** Partitions when the publisher creates the topic. Never change it later: keys would move partitions. */
  readonly partitions: number;
  /** Replicas per partition when the publisher creates the topic: 1 for the local broker, 3 in production. */
  readonly replicationFactor?: number;
  /** The checkpoint row; `kafka:<topic>` by default, so a new topic is published from the first event. */
  readonly name?: string;
  readonly log?: Logger;
  /** Most events in one batch (one checkpoint). */
  readonly batchSize?: number;
  /** How long a batch keeps gathering after its first event. */
  readonly batchWindowMs?: number;
  /** A batch is sent in produce requests of at most this many bytes (brokers refuse more than 1 MB by default). */
  readonly maxRequestBytes?: number;
  /** Backoff between attempts after a failure: doubles from initialMs up to maxMs, with jitter. */
  readonly retry?: { readonly initialMs: number; readonly maxMs: number };
  /** The producer's own retries of one send before the publisher backs off, reconnects and resends. */
  readonly producerRetry?: RetryOptions;
  /** How long stop() lets a send in flight finish before it disconnects the producer under it. */
  readonly stopGraceMs?: number;
  /** How often a publisher on standby (another one holds this name) asks again. */
  readonly standbyRetryMs?: number;
  /** Test hook: runs after the broker acknowledged a batch and before its checkpoint is saved. */
  readonly beforeCheckpoint?: (events: readonly RecordedEvent[]) => Promise<void>;
  readonly now?: () => number;
}

/** Events after the saved checkpoint (capped at LAG_COUNT_CAP), and the age in seconds of the oldest (by occurredAt). */
export type PublisherLag = ProcessorLag;

export interface EventPublisher {
  /** The saved checkpoint: the current value first, then every change (after each acknowledged batch). */
  readonly checkpoint$: Observable<Position | null>;
  lag(): Promise<PublisherLag>;
  /** Ends the subscription; resolves once the batch in flight was acknowledged and saved, or failed. */
  stop(): Promise<void>;
}

export const DEFAULT_BATCH_SIZE = 500;
export const DEFAULT_BATCH_WINDOW_MS = 5;
export const DEFAULT_MAX_REQUEST_BYTES = 900 * 1024;
export const DEFAULT_RETRY = Object.freeze({ initialMs: 100, maxMs: 5_000 });
/** About 3 s of retries inside kafkajs (100, 200, 400, 800, 1600 ms), then the publisher's own backoff. */
export const DEFAULT_PRODUCER_RETRY: RetryOptions = Object.freeze({ retries: 5, initialRetryTime: 100, maxRetryTime: 2_000 });
export const DEFAULT_STOP_GRACE_MS = 10_000;
export const DEFAULT_STANDBY_RETRY_MS = 5_000;
export const LAG_COUNT_CAP = 10_000;

/**
 * Publishes every event of the store to one Kafka topic, in global order, keyed by stream id, on
 * the checkpointed processor (shared/subscriptions/checkpointed-processor.ts). One batch is in flight
 * at a time: it is sent (idempotent producer, acks from all in-sync replicas), and only once the
 * broker acknowledged it is its checkpoint saved. Any failure (broker or database) backs off,
 * reconnects, and resubscribes from the saved checkpoint, so a batch that failed halfway is sent
 * again whole: consumers may see an event twice, never miss one, and never see a stream out of order.
 *
 * One publisher per name is active at a time (a Postgres advisory lock, held on its own connection):
 * every API instance may run one, and the others stand by until the active one stops or dies.
 */
export function startEventPublisher(options: EventPublisherOptions): EventPublisher {
  const { pool, store, topic } = options;
  const name = options.name ?? `kafka:${topic}`;
  const source = options.source ?? EVENT_SOURCE_PREFIX;
  const log = (options.log ?? createLogger({ level: 'silent' })).child({ component: 'event-publisher', topic });
  const sender = createTopicSender({ ...options, log });
  const leadership = new Leadership(pool, `event-publisher:${name}`);
  let standingBy = false;

  /** The publisher_checkpoints row, moved only after the broker acknowledged the batch. */
  const checkpoints: CheckpointStore = {
    read: () => readCheckpoint(pool, name),
    async commit(batch, work) {
      // Another instance may already have taken over: do not publish beside it.
      leadership.assertHeld();
      await work();
      if (batch.events.length > 0) await options.beforeCheckpoint?.(batch.events);
      if (await saveCheckpoint(pool, name, batch.from, batch.to)) return SAVED;
      // Another publisher with this name, or an operator replaying from an earlier position.
      return { saved: false, stored: await readCheckpoint(pool, name) };
    },
  };

  const processor = startCheckpointedProcessor({
    store,
    checkpoints,
    handle: (events) => sender.send(events),
    batchSize: options.batchSize ?? DEFAULT_BATCH_SIZE,
    batchWindowMs: options.batchWindowMs ?? DEFAULT_BATCH_WINDOW_MS,
    retry: options.retry ?? DEFAULT_RETRY,
    standbyRetryMs: options.standbyRetryMs ?? DEFAULT_STANDBY_RETRY_MS,
    async prepare() {
      if (!(await leadership.acquire())) {
        if (!standingBy) log.info('another publisher is active under this name; standing by');
        standingBy = true;
        return 'standby';
      }
      standingBy = false;
      await sender.connect();
      return 'ready';
    },
    onSubscribe(from, { recovering }) {
      log.info({ from: from && formatPosition(from), source, recovering }, 'publishing');
    },
    onRecovered(checkpoint) {
      log.info({ checkpoint: checkpoint && formatPosition(checkpoint) }, 'publishing again after a failure');
    },
    async onFailure(error, { attempt, retryInMs, checkpoint }) {
      await sender.disconnect();
      // Whatever failed, hold the lock only on a healthy connection: acquire() reconnects.
      if (!leadership.healthy()) await leadership.release();
      log.error(
        { err: error, attempt, retryInMs, checkpoint: checkpoint && formatPosition(checkpoint) },
        'publishing failed; resending from the last saved checkpoint',
      );
    },
    async release() {
      await sender.disconnect();
      await leadership.release();
    },
    occurredAt: (event) => new Date(occurredAtOf(event)),
    lagCap: LAG_COUNT_CAP,
    ...(options.now ? { now: options.now } : {}),
    log,
  });

  return {
    checkpoint$: processor.checkpoint$,
    lag: () => processor.lag(),
    async stop() {
      // A send to an unreachable broker ends after the producer's retries; this bounds a hung one.
      const grace = setTimeout(() => void sender.disconnect(), options.stopGraceMs ?? DEFAULT_STOP_GRACE_MS);
      await processor.stop();
      clearTimeout(grace);
    },
  };
}

// ---------------------------------------------------------------------------------------------------
// Sending

export interface TopicSenderOptions {
  readonly kafka: Kafka;
  readonly topic: string;
  /** Partitions when the topic is created. */
  readonly partitions: number;
  readonly replicationFactor?: number;
  /** The deployment's CloudEvents source (`ce_source`). */
  readonly source?: string;
  readonly maxRequestBytes?: number;
  readonly producerRetry?: RetryOptions;
  readonly log?: Logger;
}

/** Events to one topic with the service's envelope and keys (envelope.ts): the publisher's, and a republish's. */
export interface TopicSender {
  /** Creates the topic when missing, then connects a producer (no-op while one is connected). */
  connect(): Promise<void>;
  /** Sends the events in order, acknowledged by every in-sync replica; connects first when needed. */
  send(events: readonly RecordedEvent[]): Promise<void>;
  /** Drops the producer: after a failure its sequence numbers may be off, so the next send makes a new one. */
  disconnect(): Promise<void>;
}

export function createTopicSender(options: TopicSenderOptions): TopicSender {
  const { kafka, topic } = options;
  if (!Number.isInteger(options.partitions) || options.partitions < 1) throw new Error(`partitions must be a positive integer, not ${options.partitions}`);
  const replicationFactor = options.replicationFactor ?? 1;
  const source = options.source ?? EVENT_SOURCE_PREFIX;
  const maxRequestBytes = Math.max(1, options.maxRequestBytes ?? DEFAULT_MAX_REQUEST_BYTES);
  const log = options.log ?? createLogger({ level: 'silent' });
  let producer: Producer | undefined;

  async function ensureTopic(): Promise<void> {
    const admin = kafka.admin();
    try {
      await admin.connect();
      // Asked first: kafkajs logs an error for a CreateTopics answered "already exists", which
      // would be every start. Also after a reconnect: a topic deleted meanwhile comes back with
      // its partitions, never auto-created with the broker's default.
      if ((await admin.listTopics()).includes(topic)) {
        const { topics } = await admin.fetchTopicMetadata({ topics: [topic] });
        const actual = topics[0]?.partitions.length;
        if (actual !== options.partitions) {
          log.warn({ partitions: actual, configured: options.partitions }, 'the topic exists with another partition count; keys map by the actual count');
        }
        return;
      }
      // Another instance may create it in between: kafkajs then answers false, or throws TOPIC_ALREADY_EXISTS.
      const created = await admin.createTopics({
        topics: [{ topic, numPartitions: options.partitions, replicationFactor }],
        waitForLeaders: true,
      });
      if (created) log.info({ partitions: options.partitions, replicationFactor }, 'topic created');
    } catch (error) {
      if ((error as { type?: unknown }).type !== 'TOPIC_ALREADY_EXISTS') throw error;
    } finally {
      await admin.disconnect().catch(() => undefined);
    }
  }

  async function connect(): Promise<Producer> {
    if (producer) return producer;
    await ensureTopic();
    // kafkajs requires one request in flight for idempotence; sequence numbers then keep its own
    // retries from writing a message twice. Its retries are bounded so that a long outage surfaces
    // here (kafkajs warns that this weakens exactly-once: this publisher promises at-least-once).
    const created = kafka.producer({
      idempotent: true,
      maxInFlightRequests: 1,
      createPartitioner: Partitioners.DefaultPartitioner,
      allowAutoTopicCreation: false,
      retry: options.producerRetry ?? DEFAULT_PRODUCER_RETRY,
    });
    producer = created;
    await created.connect();
    return created;
  }

  return {
    async connect() {
      await connect();
    },

    async send(events) {
      const target = await connect();
      for (const messages of chunkByBytes(
        events.map((event) => toKafkaMessage(event, source)),
        maxRequestBytes,
      )) {
        await target.send({ topic, acks: -1, messages });
      }
    },

    async disconnect() {
      const old = producer;
      producer = undefined;
      await old?.disconnect().catch(() => undefined);
    },
  };
}

// ---------------------------------------------------------------------------------------------------
// Leadership

class LeadershipLost extends Error {
  constructor() {
    super('the publisher lock connection was lost; another publisher may be active');
    this.name = 'LeadershipLost';
  }
}

/** A session-level advisory lock on a connection of its own: held while the connection lives. */
class Leadership {
  private client: Client | undefined;
  private lost = false;

  constructor(
    private readonly pool: Pool,
    private readonly key: string,
  ) {}

  /** True when this publisher holds the lock (now or already); false when another one does. */
  async acquire(): Promise<boolean> {
    if (this.client && !this.lost) return true;
    await this.release();
    const client = new Client({
      ...this.pool.options,
      application_name: 'event-publisher-lock',
      connectionTimeoutMillis: 10_000,
      keepAlive: true,
      keepAliveInitialDelayMillis: 10_000,
    });
    const lose = (): void => {
      if (this.client === client) this.lost = true;
    };
    client.on('error', lose);
    client.on('end', lose);
    try {
      await client.connect();
      const { rows } = await client.query<{ locked: boolean }>('SELECT pg_try_advisory_lock(hashtextextended($1, 0)) AS locked', [this.key]);
      if (rows[0]?.locked !== true) {
        await client.end().catch(() => undefined);
        return false;
      }
    } catch (error) {
      await client.end().catch(() => undefined);
      throw error;
    }
    this.lost = false;
    this.client = client;
    return true;
  }

  healthy(): boolean {
    return this.client !== undefined && !this.lost;
  }

  assertHeld(): void {
    if (!this.healthy()) throw new LeadershipLost();
  }

  /** Ending the session releases the lock. */
  async release(): Promise<void> {
    const client = this.client;
    this.client = undefined;
    await client?.end().catch(() => undefined);
  }
}

// ---------------------------------------------------------------------------------------------------
// Checkpoints

interface CheckpointRow {
  readonly commit_position: bigint | string;
  readonly prepare_position: bigint | string;
}

export async function readCheckpoint(pool: Pool, name: string): Promise<Position | null> {
  const { rows } = await pool.query<CheckpointRow>('SELECT commit_position, prepare_position FROM publisher_checkpoints WHERE name = $1', [name]);
  const row = rows[0];
  return row ? { commit: BigInt(row.commit_position), prepare: BigInt(row.prepare_position) } : null;
}

/** Moves the checkpoint from `expected` to `to`; false when the stored one is no longer `expected`. */
async function saveCheckpoint(pool: Pool, name: string, expected: Position | null, to: Position): Promise<boolean> {
  const { rowCount } = await pool.query(
    `INSERT INTO publisher_checkpoints AS c (name, commit_position, prepare_position, updated_at)
     VALUES ($1, $2::bigint, $3::bigint, now())
     ON CONFLICT (name) DO UPDATE
       SET commit_position = EXCLUDED.commit_position, prepare_position = EXCLUDED.prepare_position, updated_at = now()
       WHERE c.commit_position = $4::bigint AND c.prepare_position = $5::bigint`,
    [name, to.commit.toString(), to.prepare.toString(), expected?.commit.toString() ?? null, expected?.prepare.toString() ?? null],
  );
  return rowCount === 1;
}

// ---------------------------------------------------------------------------------------------------
// Batching

/** Produce requests of at most `maxBytes` (roughly: value, key and headers), at least one message each. */
export function chunkByBytes(messages: readonly Message[], maxBytes: number): Message[][] {
  const chunks: Message[][] = [];
  let chunk: Message[] = [];
  let bytes = 0;
  for (const message of messages) {
    const size = messageBytes(message);
    if (chunk.length > 0 && bytes + size > maxBytes) {
      chunks.push(chunk);
      chunk = [];
      bytes = 0;
    }
    chunk.push(message);
    bytes += size;
  }
  if (chunk.length > 0) chunks.push(chunk);
  return chunks;
}

function messageBytes(message: Message): number {
  const length = (value: unknown): number =>
    typeof value === 'string' ? Buffer.byteLength(value) : Buffer.isBuffer(value) ? value.length : 0;
  let size = 64 + length(message.key) + length(message.value);
  for (const [header, value] of Object.entries(message.headers ?? {})) size += header.length + length(value);
  return size;
}
