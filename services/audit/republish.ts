import type { Kafka, RetryOptions } from 'kafkajs';
import type { EventStore, RecordedEvent } from '../../shared/eventstore/port';
import { formatPosition, isAfter, type Position } from '../../shared/eventstore/position';
import type { Logger } from '../../shared/logging/logger';
import { inMemoryCheckpoints, startCheckpointedProcessor } from '../../shared/subscriptions/checkpointed-processor';
import { createTopicSender, DEFAULT_BATCH_SIZE, type TopicSender } from '../event-publisher/publisher';

export interface RepublishOptions {
  readonly store: EventStore;
  readonly kafka: Kafka;
  readonly topic: string;
  /** EVENT_SOURCE: `ce_source` of every message, as the publisher sends it. */
  readonly source: string;
  /** Partitions and replicas when the topic does not exist yet (KAFKA_TOPIC_PARTITIONS, KAFKA_REPLICATION_FACTOR). */
  readonly partitions: number;
  readonly replicationFactor: number;
  /** Exclusive: the events after this position (a consumer's checkpoint). */
  readonly from: Position;
  /** Inclusive; the end of the log when the republish starts, when omitted. */
  readonly to?: Position;
  readonly batchSize?: number;
  readonly maxRequestBytes?: number;
  readonly producerRetry?: RetryOptions;
  /** Attempts at one batch (each after kafkajs' own retries) before the republish gives up. */
  readonly maxAttempts?: number;
  readonly log: Logger;
  readonly signal?: AbortSignal;
  readonly onProgress?: (events: number, position: Position) => void;
}

export interface RepublishResult {
  readonly events: number;
  readonly first: string | null;
  readonly last: string | null;
}

export const DEFAULT_REPUBLISH_ATTEMPTS = 5;

/** The republish ended before its range: interrupted (Ctrl-C), or the broker kept failing. */
export class RepublishStoppedError extends Error {
  constructor(
    readonly result: RepublishResult,
    cause?: unknown,
  ) {
    super(
      `republish stopped after ${result.events} events${result.last ? ` (the last at ${result.last}: run it again with --from ${result.last})` : ''}${cause instanceof Error ? `: ${cause.message}` : ''}`,
      cause === undefined ? {} : { cause },
    );
    this.name = 'RepublishStoppedError';
  }
}

/** One batch, as the event publisher sends it: the same producer, envelope, key and headers (createTopicSender). */
export function republishBatch(sender: TopicSender, events: readonly RecordedEvent[]): Promise<void> {
  return sender.send(events);
}

/**
 * Sends the events after `from` up to `to` (inclusive; the log's end when the republish starts
 * otherwise) to Kafka again, in log order, on the checkpointed processor with a checkpoint of its
 * own in memory: each batch is acknowledged before the next, and a failed batch is sent again
 * whole (kafkajs' retries, then up to `maxAttempts` attempts). A consumer that lost data catches up;
 * one that had them skips them as duplicates, by stream and revision, as every consumer of the
 * topic does. The publisher's own checkpoint does not move.
 * @throws RepublishStoppedError when interrupted or when a batch failed every attempt; the events
 * before it were sent (run again from the last position it names).
 */
export async function republish(options: RepublishOptions): Promise<RepublishResult> {
  const { store, log } = options;
  const until = options.to ?? (await store.headPosition());
  const result = { events: 0, first: null as string | null, last: null as string | null };
  if (until === null || !isAfter(until, options.from)) return result;

  const sender = createTopicSender({
    kafka: options.kafka,
    topic: options.topic,
    partitions: options.partitions,
    replicationFactor: options.replicationFactor,
    source: options.source,
    ...(options.maxRequestBytes ? { maxRequestBytes: options.maxRequestBytes } : {}),
    ...(options.producerRetry ? { producerRetry: options.producerRetry } : {}),
    log,
  });
  const maxAttempts = options.maxAttempts ?? DEFAULT_REPUBLISH_ATTEMPTS;
  let failure: unknown;
  const stop = new AbortController();
  const processor = startCheckpointedProcessor({
    store,
    checkpoints: inMemoryCheckpoints(options.from),
    until,
    batchSize: options.batchSize ?? DEFAULT_BATCH_SIZE,
    async prepare() {
      await sender.connect();
      return 'ready';
    },
    async handle(events) {
      await republishBatch(sender, events);
      result.events += events.length;
      result.first ??= formatPosition(events[0]!.position);
      result.last = formatPosition(events[events.length - 1]!.position);
      options.onProgress?.(result.events, events[events.length - 1]!.position);
    },
    async onFailure(error, { attempt, retryInMs }) {
      await sender.disconnect();
      if (attempt >= maxAttempts) {
        failure = error;
        stop.abort();
      } else {
        log.warn({ err: error, attempt, retryInMs }, 'republishing a batch failed; sending it again');
      }
    },
    release: () => sender.disconnect(),
    log,
  });
  const stopProcessor = () => void processor.stop();
  stop.signal.addEventListener('abort', stopProcessor, { once: true });
  options.signal?.addEventListener('abort', stopProcessor, { once: true });
  try {
    if ((await processor.finished) === 'stopped') throw new RepublishStoppedError(result, failure);
  } finally {
    options.signal?.removeEventListener('abort', stopProcessor);
  }
  return result;
}
