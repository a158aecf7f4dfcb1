import { setTimeout as delay } from 'node:timers/promises';
import type { Admin, Consumer, Kafka, KafkaMessage } from 'kafkajs';
import { inTransaction, type Pool, type PoolClient } from '../../shared/db/pool';
import { InvalidEventError } from '../../shared/events/consumer-parser';
import { createLogger, type Logger } from '../../shared/logging/logger';
import { applyEvent, claimRevision } from './base-state';
import { parseTeamSyncEnvelope } from './contracts';
import { computeLag, planChunk, type TeamSyncLag } from './offsets';
import { DEFAULT_TEAM_SYNC_SCHEMA, setupTeamSyncSchema, tablesIn, type TableIn } from './schema';

export const DEFAULT_TEAM_SYNC_GROUP_ID = 'team-sync';
export const DEFAULT_MAX_EVENTS_PER_TRANSACTION = 500;
export const DEFAULT_TOPIC_WAIT_MS = 60_000;

export interface TeamSyncOptions {
  /** Holds team-sync's schema: the service's database or another one. */
  readonly pool: Pool;
  readonly kafka: Kafka;
  readonly topic: string;
  readonly groupId?: string;
  readonly schema?: string;
  readonly log?: Logger;
  /** Events applied (and offsets moved) per Postgres transaction. */
  readonly maxEventsPerTransaction?: number;
  /** How long a fetch waits on the broker for new messages. */
  readonly maxWaitTimeInMs?: number;
  /** Most bytes one fetch takes from a partition (kafkajs default 1 MB): a batch is at most this. */
  readonly maxBytesPerPartition?: number;
  /** How long start waits for the topic to exist (the publisher creates it). */
  readonly topicWaitMs?: number;
  /** Called after each commit with the events it applied (not the duplicates), and when. */
  readonly onApplied?: (events: readonly AppliedEvent[], appliedAt: number) => void;
  /** The consumer stopped for good (kafkajs will not restart it): the process should exit. */
  readonly onFatal?: (error: Error) => void;
  readonly now?: () => number;
}

export interface AppliedEvent {
  readonly id: string;
  readonly type: string;
  readonly streamId: string;
  readonly revision: bigint;
  readonly position: string;
  readonly occurredAt: string;
  readonly partition: number;
  readonly offset: string;
}

export interface TeamSyncStats {
  /** Events applied to the base state. */
  readonly applied: number;
  /** Events whose (streamId, revision) was applied already: redeliveries. */
  readonly duplicates: number;
  /** Well-formed events team-sync does not know (another type, a newer version): skipped, offset moved. */
  readonly skipped: number;
  /** Messages that are not valid events: recorded in invalid_messages, skipped. */
  readonly invalid: number;
  /** Seeks to the stored offset (on assignment, after a rebalance, or when it was moved back). */
  readonly seeks: number;
  readonly transactions: number;
}

export interface TeamSync {
  readonly topic: string;
  readonly schema: string;
  readonly groupId: string;
  lag(): Promise<TeamSyncLag>;
  stats(): TeamSyncStats;
  stop(): Promise<void>;
}

type ChunkOutcome =
  | { readonly kind: 'seek'; readonly offset: bigint }
  | { readonly kind: 'applied'; readonly applied: AppliedEvent[]; readonly duplicates: number; readonly skipped: number; readonly invalid: number };

/**
 * team-sync: a Kafka consumer group over the events topic that keeps its own copy of team
 * membership (base state per aggregate, see base-state.ts and view.ts) in its own schema.
 *
 * Offsets are stored outside Kafka: each run of messages is applied in one Postgres transaction
 * that also moves `offsets.next_offset`, and nothing is ever committed to Kafka. Each batch is
 * checked against the stored offset inside that transaction (the row is locked): what was applied
 * already is skipped, and a batch that does not start at the stored offset makes the consumer seek
 * there; so a fresh assignment (Kafka has no committed offset, and hands out the log start) seeks
 * at its first batch. Events are also idempotent by (streamId, revision), so a batch the publisher
 * sent twice changes nothing.
 */
export async function startTeamSync(options: TeamSyncOptions): Promise<TeamSync> {
  const { pool, kafka, topic } = options;
  const schema = options.schema ?? DEFAULT_TEAM_SYNC_SCHEMA;
  const groupId = options.groupId ?? DEFAULT_TEAM_SYNC_GROUP_ID;
  const maxPerTransaction = Math.max(1, options.maxEventsPerTransaction ?? DEFAULT_MAX_EVENTS_PER_TRANSACTION);
  const now = options.now ?? Date.now;
  const log = (options.log ?? createLogger({ level: 'silent' })).child({ component: 'team-sync', topic, groupId });
  const t = tablesIn(schema);

  await setupTeamSyncSchema(pool, schema);
  await waitForTopic(kafka, topic, options.topicWaitMs ?? DEFAULT_TOPIC_WAIT_MS);

  const stats = { applied: 0, duplicates: 0, skipped: 0, invalid: 0, seeks: 0, transactions: 0 };
  /** Per partition, the stored offset this consumer last sought to: a second gap there is real. */
  const soughtTo = new Map<number, bigint>();

  const consumer: Consumer = kafka.consumer({
    groupId,
    allowAutoTopicCreation: false,
    maxWaitTimeInMs: options.maxWaitTimeInMs ?? 1_000,
    ...(options.maxBytesPerPartition !== undefined ? { maxBytesPerPartition: options.maxBytesPerPartition } : {}),
  });
  consumer.on(consumer.events.GROUP_JOIN, ({ payload }) => {
    soughtTo.clear();
    log.info({ assignment: payload.memberAssignment, memberId: payload.memberId }, 'partitions assigned; each seeks to its stored offset at its first batch');
  });
  consumer.on(consumer.events.CRASH, ({ payload }) => {
    if (payload.restart) {
      log.warn({ err: payload.error }, 'consumer failed; kafkajs restarts it, and it resumes from the stored offsets');
    } else {
      log.fatal({ err: payload.error }, 'consumer failed for good');
      options.onFatal?.(payload.error);
    }
  });

  async function applyChunk(client: PoolClient, partition: number, messages: readonly KafkaMessage[]): Promise<ChunkOutcome> {
    const { rows } = await client.query<{ next_offset: bigint | string }>(
      `SELECT next_offset FROM ${t('offsets')} WHERE topic = $1 AND partition = $2 FOR UPDATE`,
      [topic, partition],
    );
    const stored = rows[0] ? BigInt(rows[0].next_offset) : null;
    const offsets = messages.map((m) => BigInt(m.offset));
    const plan = planChunk(stored, offsets, stored !== null && soughtTo.get(partition) === stored);
    if (plan.kind === 'seek') return plan;
    if (plan.gap) log.error({ partition, stored: String(stored), first: String(offsets[0]) }, 'records between the stored offset and the log start are gone; applying from the log start');

    const applied: AppliedEvent[] = [];
    let duplicates = 0;
    let skipped = 0;
    let invalid = 0;
    let lastOccurredAt: string | null = null;
    for (const message of messages.slice(plan.from)) {
      const parsed = parseMessage(message);
      if (parsed instanceof InvalidEventError) {
        invalid++;
        await recordInvalid(client, t, topic, partition, message, parsed);
        log.error({ partition, offset: message.offset, eventId: parsed.eventId, err: parsed }, 'not a valid event; recorded and skipped');
        continue;
      }
      lastOccurredAt = parsed.occurredAt;
      if (!(await claimRevision(client, t, parsed.streamId, parsed.revision))) {
        duplicates++;
        continue;
      }
      if (!parsed.known) {
        skipped++;
        log.debug({ type: parsed.type, schemaVersion: parsed.schemaVersion, reason: parsed.reason }, 'event skipped');
        continue;
      }
      await applyEvent(client, t, parsed);
      applied.push({
        id: parsed.id,
        type: parsed.type,
        streamId: parsed.streamId,
        revision: parsed.revision,
        position: parsed.position,
        occurredAt: parsed.occurredAt,
        partition,
        offset: message.offset,
      });
    }
    const next = offsets[offsets.length - 1]! + 1n;
    await client.query(
      `INSERT INTO ${t('offsets')} AS o (topic, partition, next_offset, last_occurred_at, updated_at) VALUES ($1, $2, $3, $4, now())
       ON CONFLICT (topic, partition) DO UPDATE
         SET next_offset = EXCLUDED.next_offset, last_occurred_at = COALESCE(EXCLUDED.last_occurred_at, o.last_occurred_at), updated_at = now()`,
      [topic, partition, next.toString(), lastOccurredAt],
    );
    return { kind: 'applied', applied, duplicates, skipped, invalid };
  }

  await consumer.connect();
  await consumer.subscribe({ topics: [topic], fromBeginning: true });
  await consumer.run({
    autoCommit: false,
    eachBatchAutoResolve: false,
    eachBatch: async ({ batch, resolveOffset, heartbeat, isRunning, isStale }) => {
      const { partition } = batch;
      for (let i = 0; i < batch.messages.length; i += maxPerTransaction) {
        if (!isRunning() || isStale()) return;
        const chunk = batch.messages.slice(i, i + maxPerTransaction);
        const outcome = await inTransaction(pool, (client) => applyChunk(client, partition, chunk));
        if (outcome.kind === 'seek') {
          stats.seeks++;
          soughtTo.set(partition, outcome.offset);
          log.info({ partition, offset: outcome.offset.toString(), fetched: chunk[0]?.offset }, 'seeking to the stored offset');
          consumer.seek({ topic, partition, offset: outcome.offset.toString() });
          return;
        }
        soughtTo.delete(partition);
        stats.transactions++;
        stats.applied += outcome.applied.length;
        stats.duplicates += outcome.duplicates;
        stats.skipped += outcome.skipped;
        stats.invalid += outcome.invalid;
        if (outcome.applied.length > 0) options.onApplied?.(outcome.applied, now());
        // Only where the next fetch starts: the offset that counts is the one just committed in Postgres.
        resolveOffset(chunk[chunk.length - 1]!.offset);
        await heartbeat();
      }
    },
  });
  log.info({ schema }, 'consuming');

  const admin: Admin = kafka.admin();
  let adminConnected: Promise<void> | undefined;

  return {
    topic,
    schema,
    groupId,
    async lag() {
      try {
        adminConnected ??= admin.connect();
        await adminConnected;
      } catch (error) {
        adminConnected = undefined;
        throw error;
      }
      const [watermarks, stored] = await Promise.all([
        admin.fetchTopicOffsets(topic),
        pool.query<{ partition: number; next_offset: bigint | string; last_occurred_at: Date | null }>(
          `SELECT partition, next_offset, last_occurred_at FROM ${t('offsets')} WHERE topic = $1`,
          [topic],
        ),
      ]);
      return computeLag(
        watermarks.map((w) => ({ partition: w.partition, high: BigInt(w.high), low: BigInt(w.low) })),
        stored.rows.map((r) => ({ partition: r.partition, nextOffset: BigInt(r.next_offset), lastOccurredAt: r.last_occurred_at })),
        now(),
      );
    },
    stats: () => ({ ...stats }),
    async stop() {
      // Waits for the batch in flight; its transaction either committed with its offsets or did not happen.
      await consumer.disconnect();
      if (adminConnected) await admin.disconnect().catch(() => undefined);
      adminConnected = undefined;
      log.info(stats, 'stopped');
    },
  };
}

function parseMessage(message: KafkaMessage) {
  try {
    if (message.value === null) throw new InvalidEventError('a message without a value', undefined);
    return parseTeamSyncEnvelope(message.value);
  } catch (error) {
    if (error instanceof InvalidEventError) return error;
    throw error;
  }
}

async function recordInvalid(client: PoolClient, t: TableIn, topic: string, partition: number, message: KafkaMessage, error: InvalidEventError): Promise<void> {
  await client.query(
    `INSERT INTO ${t('invalid_messages')} (topic, partition, "offset", error, value) VALUES ($1, $2, $3, $4, $5) ON CONFLICT DO NOTHING`,
    [topic, partition, message.offset, error.message, message.value?.toString('utf8').slice(0, 100_000) ?? null],
  );
}

/** The publisher creates the topic; a consumer that subscribes first would fail. */
async function waitForTopic(kafka: Kafka, topic: string, timeoutMs: number): Promise<void> {
  const admin = kafka.admin();
  const deadline = Date.now() + timeoutMs;
  await admin.connect();
  try {
    for (;;) {
      if ((await admin.listTopics()).includes(topic)) return;
      if (Date.now() > deadline) throw new Error(`topic ${topic} does not exist (waited ${timeoutMs} ms)`);
      await delay(250);
    }
  } finally {
    await admin.disconnect().catch(() => undefined);
  }
}
