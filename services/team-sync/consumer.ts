import { setTimeout as delay } from 'node:timers/promises';
import type { Admin, Consumer, EachBatchHandler, Kafka, KafkaMessage, RetryOptions } from 'kafkajs';
import { inTransaction, type Pool, type PoolClient } from '../../shared/db/pool';
import { InvalidEventError } from '../../shared/events/consumer-parser';
import { EVENT_SOURCE_PREFIX, eventSourceOf } from '../../shared/events/source';
import { createLogger, type Logger } from '../../shared/logging/logger';
import { openBaseStateChunk } from './base-state';
import { parseTeamSyncEnvelope } from './contracts';
import { createCrashRestart } from './crash-restart';
import { computeLag, planChunk, type TeamSyncLag } from './offsets';
import { DEFAULT_TEAM_SYNC_SCHEMA, setupTeamSyncSchema, tablesIn, type TableIn } from './schema';

export const DEFAULT_TEAM_SYNC_GROUP_ID = 'team-sync';
export const DEFAULT_MAX_EVENTS_PER_TRANSACTION = 500;
/**
 * The longest one chunk's transaction keeps applying (ms) before it commits what it has and the
 * consumer heartbeats: kafkajs heartbeats only between chunks, and a 500-event chunk on a busy
 * Postgres (a catch-up after a broker outage beside a saturated API) took longer than the 10 s
 * session, so the coordinator evicted the member again and again and it never caught up.
 */
export const DEFAULT_CHUNK_BUDGET_MS = 1_000;
export const DEFAULT_TOPIC_WAIT_MS = 60_000;

/**
 * How long the group coordinator waits for a member's heartbeat before it gives the member's
 * partitions to the others (kafkajs' default is 30 s). A member killed without leaving the group
 * (kill -9, a crash, a lost machine) holds its partitions that long, and a restarted process,
 * which joins as a new member, waits for it. Brokers accept 6 s to 30 min by default
 * (group.min.session.timeout.ms / group.max.session.timeout.ms). Static membership
 * (group.instance.id, KIP-345), which would let a restarted process take its old place at once,
 * is not offered by kafkajs 2.2.4: its consumer sends no group instance id.
 */
export const DEFAULT_SESSION_TIMEOUT_MS = 10_000;

/**
 * The consumer group timings for a session timeout: heartbeats every second at most (kafkajs
 * heartbeats between fetches and after each applied chunk, so a rebalance is noticed within about
 * a second: kafkajs' default is 3 s), and a rebalance waits up to twice the session for the
 * members to rejoin (a member in the middle of a chunk finishes it first).
 */
export function groupTimings(sessionTimeoutMs: number): { sessionTimeout: number; heartbeatInterval: number; rebalanceTimeout: number } {
  return {
    sessionTimeout: sessionTimeoutMs,
    heartbeatInterval: Math.max(100, Math.min(1_000, Math.floor(sessionTimeoutMs / 3))),
    rebalanceTimeout: Math.max(2 * sessionTimeoutMs, 20_000),
  };
}

/**
 * kafkajs' retries for team-sync's consumer: backoff from 300 ms, doubling, capped at 2 s (kafkajs'
 * default cap is 30 s). When they run out kafkajs restarts the consumer after the last backoff,
 * so after a broker outage the consumer is back within about 2 s of the broker (kafkajs' defaults
 * had it wait 10-14 s). Use the same for the client (createKafka's retry): the consumer's
 * reconnect goes through it.
 */
export const TEAM_SYNC_RETRY: RetryOptions = Object.freeze({ initialRetryTime: 300, maxRetryTime: 2_000, retries: 5 });

export interface TeamSyncOptions {
  /** Holds team-sync's schema: the service's database or another one. */
  readonly pool: Pool;
  readonly kafka: Kafka;
  readonly topic: string;
  /**
   * The deployment whose events team-sync applies: the `ce_source` its publisher sends
   * (EVENT_SOURCE). Messages of any other source (another deployment on the same topic) are
   * skipped: their offsets move, nothing else happens. Default `/scim-provisioning`, the
   * publisher's default.
   */
  readonly source?: string;
  readonly groupId?: string;
  readonly schema?: string;
  readonly log?: Logger;
  /** See DEFAULT_SESSION_TIMEOUT_MS. */
  readonly sessionTimeoutMs?: number;
  /** kafkajs' retries for the consumer; TEAM_SYNC_RETRY by default. */
  readonly retry?: RetryOptions;
  /** Aborts a start still in progress (waiting for the topic, joining): it then rejects with the signal's reason. */
  readonly signal?: AbortSignal;
  /** Events applied (and offsets moved) per Postgres transaction. */
  readonly maxEventsPerTransaction?: number;
  /** A transaction commits once it has applied for this long (ms), even short of maxEventsPerTransaction (DEFAULT_CHUNK_BUDGET_MS; 0: one event per transaction). */
  readonly chunkBudgetMs?: number;
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
  /** Messages of another deployment (another `ce_source`, or none): skipped. */
  readonly foreign: number;
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
  | {
      readonly kind: 'applied';
      /** How many of the chunk's messages this transaction took (the rest wait for the next one). */
      readonly consumed: number;
      readonly applied: AppliedEvent[];
      readonly duplicates: number;
      readonly skipped: number;
      readonly invalid: number;
      readonly foreign: number;
    };

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
 *
 * Group membership: stop() leaves the group (kafkajs' disconnect sends LeaveGroup), so the other
 * members take the partitions at once; a member that dies without leaving holds them for the
 * session timeout (DEFAULT_SESSION_TIMEOUT_MS). A start that fails, or is aborted, disconnects
 * what it connected: no consumer is left in the group.
 */
export async function startTeamSync(options: TeamSyncOptions): Promise<TeamSync> {
  const { pool, kafka, topic } = options;
  const schema = options.schema ?? DEFAULT_TEAM_SYNC_SCHEMA;
  const groupId = options.groupId ?? DEFAULT_TEAM_SYNC_GROUP_ID;
  const maxPerTransaction = Math.max(1, options.maxEventsPerTransaction ?? DEFAULT_MAX_EVENTS_PER_TRANSACTION);
  const chunkBudgetMs = Math.max(0, options.chunkBudgetMs ?? DEFAULT_CHUNK_BUDGET_MS);
  const now = options.now ?? Date.now;
  const followed = options.source ?? EVENT_SOURCE_PREFIX;
  const log = (options.log ?? createLogger({ level: 'silent' })).child({ component: 'team-sync', topic, groupId });
  const t = tablesIn(schema);
  const { signal } = options;

  await setupTeamSyncSchema(pool, schema);
  await waitForTopic(kafka, topic, options.topicWaitMs ?? DEFAULT_TOPIC_WAIT_MS, signal);

  const stats = { applied: 0, duplicates: 0, skipped: 0, invalid: 0, foreign: 0, seeks: 0, transactions: 0 };
  /** Other deployments' sources seen on the topic, each logged once (a bounded set). */
  const foreignSources = new Set<string>();
  /** Per partition, the stored offset this consumer last sought to: a second gap there is real. */
  const soughtTo = new Map<number, bigint>();

  /** Set once team-sync stops (or its start fails): no restart after that. */
  let stopping = false;
  const retry = options.retry ?? TEAM_SYNC_RETRY;
  const consumer: Consumer = kafka.consumer({
    groupId,
    ...groupTimings(options.sessionTimeoutMs ?? DEFAULT_SESSION_TIMEOUT_MS),
    retry,
    allowAutoTopicCreation: false,
    maxWaitTimeInMs: options.maxWaitTimeInMs ?? 1_000,
    ...(options.maxBytesPerPartition !== undefined ? { maxBytesPerPartition: options.maxBytesPerPartition } : {}),
  });
  consumer.on(consumer.events.GROUP_JOIN, ({ payload }) => {
    soughtTo.clear();
    log.info(
      { assignment: payload.memberAssignment, memberId: payload.memberId, joinMs: payload.duration },
      'partitions assigned; each seeks to its stored offset at its first batch',
    );
  });
  const crashes = createCrashRestart({
    log,
    backoffMs: retry.maxRetryTime ?? TEAM_SYNC_RETRY.maxRetryTime!,
    stopped: () => stopping || signal?.aborted === true,
    restart: async () => {
      await consumer.connect();
      await consumer.subscribe({ topics: [topic], fromBeginning: true });
      if (!stopping) await consumer.run(runOptions);
      // stop() may have disconnected while this connected: leave nothing running after it.
      if (stopping) await consumer.disconnect();
    },
    ...(options.onFatal ? { onFatal: options.onFatal } : {}),
  });
  consumer.on(consumer.events.CRASH, ({ payload }) => crashes.onCrash(payload));

  /** Applies `messages` from the stored offset on, until they end or `deadline` (performance.now()) passes with at least one taken. */
  async function applyChunk(client: PoolClient, partition: number, messages: readonly KafkaMessage[], deadline: number): Promise<ChunkOutcome> {
    const { rows } = await client.query<{ next_offset: bigint | string }>(
      `SELECT next_offset FROM ${t('offsets')} WHERE topic = $1 AND partition = $2 FOR UPDATE`,
      [topic, partition],
    );
    const stored = rows[0] ? BigInt(rows[0].next_offset) : null;
    const offsets = messages.map((m) => BigInt(m.offset));
    const plan = planChunk(stored, offsets, stored !== null && soughtTo.get(partition) === stored);
    if (plan.kind === 'seek') return plan;
    if (plan.gap) log.error({ partition, stored: String(stored), first: String(offsets[0]) }, 'records between the stored offset and the log start are gone; applying from the log start');

    // Parsed up front: the chunk reads the revisions of every stream it may apply in one round trip.
    const taken = messages.slice(plan.from).map((message) => {
      // Before anything else: another deployment's streams (its scim-settings, its users) are not ours.
      const source = eventSourceOf(message.headers);
      return { message, source, parsed: source === followed ? parseMessage(message) : undefined };
    });
    const chunk = await openBaseStateChunk(
      client,
      t,
      taken.flatMap(({ parsed }) => (parsed && !(parsed instanceof InvalidEventError) ? [parsed.streamId] : [])),
    );
    const applied: AppliedEvent[] = [];
    let duplicates = 0;
    let skipped = 0;
    let invalid = 0;
    let foreign = 0;
    let lastOccurredAt: string | null = null;
    let consumed = plan.from;
    for (const { message, source, parsed } of taken) {
      if (consumed > plan.from && performance.now() >= deadline) break;
      consumed++;
      if (parsed === undefined) {
        foreign++;
        noteForeign(source ?? '(none)');
        continue;
      }
      if (parsed instanceof InvalidEventError) {
        invalid++;
        await recordInvalid(client, t, topic, partition, message, parsed);
        log.error({ partition, offset: message.offset, eventId: parsed.eventId, err: parsed }, 'not a valid event; recorded and skipped');
        continue;
      }
      lastOccurredAt = parsed.occurredAt;
      const outcome = await chunk.apply(parsed);
      if (outcome === 'duplicate') {
        duplicates++;
        continue;
      }
      if (outcome === 'unknown') {
        skipped++;
        log.debug({ type: parsed.type, schemaVersion: parsed.schemaVersion, reason: parsed.known ? undefined : parsed.reason }, 'event skipped');
        continue;
      }
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
    await chunk.flush();
    const next = offsets[consumed - 1]! + 1n;
    await client.query(
      `INSERT INTO ${t('offsets')} AS o (topic, partition, next_offset, last_occurred_at, updated_at) VALUES ($1, $2, $3, $4, now())
       ON CONFLICT (topic, partition) DO UPDATE
         SET next_offset = EXCLUDED.next_offset, last_occurred_at = COALESCE(EXCLUDED.last_occurred_at, o.last_occurred_at), updated_at = now()`,
      [topic, partition, next.toString(), lastOccurredAt],
    );
    return { kind: 'applied', consumed, applied, duplicates, skipped, invalid, foreign };
  }

  function noteForeign(source: string): void {
    if (foreignSources.has(source) || foreignSources.size >= 100) return;
    foreignSources.add(source);
    log.info({ source, following: followed }, 'skipping the events of another deployment on this topic (another ce_source)');
  }

  const applyBatch: EachBatchHandler = async ({ batch, resolveOffset, heartbeat, isRunning, isStale }) => {
    const { partition } = batch;
    for (let i = 0; i < batch.messages.length; ) {
      if (!isRunning() || isStale()) return;
      const chunk = batch.messages.slice(i, i + maxPerTransaction);
      const deadline = performance.now() + chunkBudgetMs;
      const outcome = await inTransaction(pool, (client) => applyChunk(client, partition, chunk, deadline));
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
      stats.foreign += outcome.foreign;
      if (outcome.applied.length > 0) options.onApplied?.(outcome.applied, now());
      // Only where the next fetch starts: the offset that counts is the one just committed in Postgres.
      resolveOffset(chunk[outcome.consumed - 1]!.offset);
      i += outcome.consumed;
      await heartbeat();
    }
  };

  const runOptions = { autoCommit: false, eachBatchAutoResolve: false, eachBatch: applyBatch };
  try {
    signal?.throwIfAborted();
    await consumer.connect();
    await consumer.subscribe({ topics: [topic], fromBeginning: true });
    await consumer.run(runOptions);
    signal?.throwIfAborted();
  } catch (error) {
    stopping = true;
    crashes.cancel();
    // Leave nothing behind: a consumer that joined would keep partitions from the healthy members.
    await consumer.disconnect().catch(() => undefined);
    throw error;
  }
  log.info({ schema, source: followed }, 'consuming');

  const lagReader = createLagReader({ kafka, pool, schema, topic, now });

  return {
    topic,
    schema,
    groupId,
    lag: () => lagReader.lag(),
    stats: () => ({ ...stats }),
    async stop() {
      stopping = true;
      crashes.cancel();
      // Waits for the batch in flight; its transaction either committed with its offsets or did not happen.
      await consumer.disconnect();
      await lagReader.close();
      log.info(stats, 'stopped');
    },
  };
}

export interface LagReader {
  lag(): Promise<TeamSyncLag>;
  close(): Promise<void>;
}

/**
 * team-sync's lag from the topic's high watermarks (an admin client, connected at the first call)
 * and its stored offsets; it needs no running consumer, so /metrics answers while one starts.
 */
export function createLagReader({ kafka, pool, schema, topic, now = Date.now }: { kafka: Kafka; pool: Pool; schema: string; topic: string; now?: () => number }): LagReader {
  const t = tablesIn(schema);
  const admin: Admin = kafka.admin();
  let adminConnected: Promise<void> | undefined;
  return {
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
    async close() {
      if (adminConnected) await admin.disconnect().catch(() => undefined);
      adminConnected = undefined;
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
async function waitForTopic(kafka: Kafka, topic: string, timeoutMs: number, signal?: AbortSignal): Promise<void> {
  const admin = kafka.admin();
  const deadline = Date.now() + timeoutMs;
  await admin.connect();
  try {
    for (;;) {
      signal?.throwIfAborted();
      if ((await admin.listTopics()).includes(topic)) return;
      if (Date.now() > deadline) throw new Error(`topic ${topic} does not exist (waited ${timeoutMs} ms)`);
      await delay(250, undefined, signal ? { signal } : {});
    }
  } finally {
    await admin.disconnect().catch(() => undefined);
  }
}
