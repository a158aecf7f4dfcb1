/**
 * Kafka side: the event publisher's catch-up throughput, and the end-to-end lag of live events
 * through the publisher into team-sync, measured side by side in one run.
 *
 *   make bench-kafka      (writes bench/results/kafka.md)
 *
 * 1. Catch-up: EVENTS events (UserProvisioned, GroupCreated, GroupMembersAdded/Removed, user
 *    changes) over STREAMS streams, appended straight to a fresh database's Postgres event store;
 *    then a publisher per batch size (500, the default, and 2,000) on a fresh 6-partition topic each,
 *    timed from start until its checkpoint reaches the head.
 * 1b. The same topic read by a new team-sync from the log start (each chunk one Postgres transaction
 *    with its offsets), beside a bare kafkajs consumer that only parses the messages: team-sync's
 *    catch-up rate, as after a Kafka outage, against what the client alone reaches.
 * 2. Live: the SCIM API over HTTP (SCIM and admin API), with the service's projection, the publisher
 *    and team-sync (own database, fresh topic, schema and consumer group) running. Users, groups,
 *    teams linked to groups and a site-admin group are set up; then LANES writers, one per group,
 *    add and remove members, deactivate and reactivate users and pause and resume team links at
 *    RATE requests (one event each) per second for SECONDS seconds. Each event is dated at its append
 *    (events.recorded_at), at the publisher checkpoint that covered it (broker ack and checkpoint
 *    saved), and when team-sync committed it (its onApplied hook). At the end team-sync's view must
 *    equal the service's team_members and site_admins: the run fails otherwise.
 */
import { randomUUID } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { cpus } from 'node:os';
import path from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { isDeepStrictEqual } from 'node:util';
import { isMainThread, parentPort, Worker, workerData, type MessagePort } from 'node:worker_threads';
import type { Kafka } from 'kafkajs';
import { filter, firstValueFrom, timeout } from 'rxjs';
import { startProjection } from '../projections/runtime/runner';
import { platformProjection } from '../projections/platform/projection';
import { PLATFORM_READ_SCHEMA } from '../projections/platform/tables';
import { scimProjection } from '../projections/scim/projection';
import { startEventPublisher } from '../services/event-publisher/publisher';
import { composeScimApi } from '../services/scim-api/compose';
import { startTeamSync, type TeamSyncStats } from '../services/team-sync/consumer';
import { computeLag } from '../services/team-sync/offsets';
import { tablesIn } from '../services/team-sync/schema';
import { teamSyncView, type TeamSyncView } from '../services/team-sync/view';
import { loadConfig } from '../shared/config';
import { withDatabase } from '../shared/db/connection-string';
import { dropDatabase, ensureDatabase } from '../shared/db/create-database';
import { migrate } from '../shared/db/migrate';
import { createPool, type Pool } from '../shared/db/pool';
import type { EventToAppend, JsonObject } from '../shared/eventstore/port';
import { createPostgresEventStore } from '../shared/eventstore/postgres/postgres-event-store';
import { comparePositions, isAfter, type Position } from '../shared/eventstore/position';
import { createKafka } from '../shared/kafka/client';
import { createLogger } from '../shared/logging/logger';

const EVENTS = Number(process.env.EVENTS ?? 20_000);
const STREAMS = Number(process.env.STREAMS ?? 2_000);
const RATE = Number(process.env.RATE ?? 200);
const SECONDS = Number(process.env.SECONDS ?? 15);
const LANES = Number(process.env.LANES ?? 8);
const USERS = Number(process.env.USERS ?? 120);
const PARTITIONS = 6;
const BATCH_SIZES = [500, 2_000];
/** Events per append round in the catch-up setup: each stream's events of a round are one append. */
const SETUP_ROUND = 5_000;

const SCIM_TOKEN = 'bench-scim-token-0123456789abcdef0123456789abcdef';
const ADMIN_TOKEN = 'bench-admin-token-0123456789abcdef0123456789abcdef';
const HMAC_SECRET = 'bench-hmac-secret-0123456789abcdef0123';
const USER_SCHEMA = 'urn:ietf:params:scim:schemas:core:2.0:User';
const GROUP_SCHEMA = 'urn:ietf:params:scim:schemas:core:2.0:Group';
const ENTERPRISE = 'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User';
const PATCH_OP = 'urn:ietf:params:scim:api:messages:2.0:PatchOp';

const log = createLogger({ level: process.env.LOG_LEVEL ?? 'silent' });
const serverUrl = process.env.POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const brokers = (process.env.KAFKA_BROKERS ?? '127.0.0.1:9092').split(',');
const run = `${process.pid}_${Date.now().toString(36)}`;

const quantile = (values: readonly number[], q: number) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? NaN;
};
const ms = (n: number) => `${n.toFixed(1)} ms`;
const int = (n: number) => Math.round(n).toLocaleString('en-US');

function seeded(seed: number): () => number {
  let state = seed >>> 0 || 1;
  return () => {
    state = (state * 1664525 + 1013904223) >>> 0;
    return state / 2 ** 32;
  };
}

async function mapLimit<T>(items: readonly T[], limit: number, fn: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(limit, items.length) }, async () => {
      while (next < items.length) await fn(items[next++]!);
    }),
  );
}

/** The last event written (not headPosition(): that one waits for older open transactions). */
async function lastWritten(pool: Pool): Promise<Position | null> {
  const { rows } = await pool.query<{ commit: string; prepare: string }>(
    'SELECT transaction_id::text AS commit, global_position::text AS prepare FROM events ORDER BY transaction_id DESC, global_position DESC LIMIT 1',
  );
  return rows[0] ? { commit: BigInt(rows[0].commit), prepare: BigInt(rows[0].prepare) } : null;
}

async function countAfter(pool: Pool, after: Position): Promise<number> {
  const { rows } = await pool.query<{ n: number }>('SELECT count(*)::int AS n FROM events WHERE (transaction_id, global_position) > ($1::xid8, $2::bigint)', [
    after.commit.toString(),
    after.prepare.toString(),
  ]);
  return rows[0]?.n ?? 0;
}

async function messagesOn(kafka: Kafka, topic: string): Promise<number> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    return (await admin.fetchTopicOffsets(topic)).reduce((sum, p) => sum + Number(p.high) - Number(p.low), 0);
  } finally {
    await admin.disconnect();
  }
}

async function waitFor(what: string, check: () => Promise<boolean>, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await delay(20);
  }
}

// ---------------------------------------------------------------------------------------------------
// 1. Catch-up

/** EVENTS realistic events over STREAMS streams (4 users to 1 group), in a plausible global order. */
function plannedEvents(): { streamId: string; event: EventToAppend }[] {
  const random = seeded(42);
  const pick = <T>(from: readonly T[]) => from[Math.floor(random() * from.length)]!;
  const groupCount = Math.max(1, Math.round(STREAMS / 5));
  const users = Array.from({ length: Math.max(1, STREAMS - groupCount) }, (_, i) => ({ id: randomUUID(), accountId: randomUUID(), i, active: true }));
  let groups = Array.from({ length: groupCount }, (_, i) => ({ id: randomUUID(), i, members: new Set<string>() }));
  const start = Date.now() - 3_600_000;
  const planned: { streamId: string; event: EventToAppend }[] = [];
  const add = (streamId: string, type: string, data: JsonObject) => {
    const requestId = randomUUID();
    const metadata = {
      requestId,
      correlationId: requestId,
      causationId: randomUUID(),
      actor: { kind: 'scim-token', id: 'st-bench-entra' },
      source: { ip: '10.20.30.40', userAgent: 'Azure Active Directory SCIM Client' },
      occurredAt: new Date(start + planned.length * 50).toISOString(),
      schemaVersion: 1,
    };
    planned.push({ streamId, event: { id: randomUUID(), type, data, metadata } });
  };
  const provision = (user: (typeof users)[number]) => {
    const userName = `user${user.i}@bench.example.com`;
    add(`user-${user.id}`, 'UserProvisioned', {
      userId: user.id,
      attributes: {
        userName,
        externalId: randomUUID(),
        displayName: `Bench User ${user.i}`,
        name: { givenName: 'Bench', familyName: `User ${user.i}`, formatted: `Bench User ${user.i}` },
        emails: [{ value: userName, type: 'work', primary: true }],
        title: 'Engineer',
        [ENTERPRISE]: { employeeNumber: String(100_000 + user.i), department: `Department ${user.i % 17}`, costCenter: `CC-${user.i % 7}` },
      },
      active: true,
      accountId: user.accountId,
      linkedExistingAccount: false,
    });
  };
  for (let i = 0; i < Math.max(users.length, groups.length) && planned.length < EVENTS; i++) {
    if (users[i]) provision(users[i]!);
    const group = groups[Math.floor((i * groups.length) / users.length)];
    if (group && i % 4 === 3 && planned.length < EVENTS) {
      add(`group-${group.id}`, 'GroupCreated', { groupId: group.id, displayName: `Bench Group ${group.i}`, externalId: randomUUID(), memberIds: [] });
    }
  }
  // Groups not created above (EVENTS smaller than STREAMS) get no events.
  const created = new Set(planned.map((p) => p.streamId));
  groups = groups.filter((group) => created.has(`group-${group.id}`));
  while (planned.length < EVENTS) {
    const roll = random();
    if (roll < 0.65 && groups.length > 0) {
      const group = pick(groups);
      const removing = group.members.size > 0 && (roll > 0.45 || group.members.size > 60);
      if (removing) {
        const gone = [...group.members].filter(() => random() < 0.1).slice(0, 3);
        const memberIds = gone.length > 0 ? gone : [[...group.members][0]!];
        memberIds.forEach((id) => group.members.delete(id));
        add(`group-${group.id}`, 'GroupMembersRemoved', { groupId: group.id, memberIds });
      } else {
        const memberIds = [...new Set(Array.from({ length: 1 + Math.floor(random() * 3) }, () => pick(users).id))].filter((id) => !group.members.has(id));
        if (memberIds.length === 0) continue;
        memberIds.forEach((id) => group.members.add(id));
        add(`group-${group.id}`, 'GroupMembersAdded', { groupId: group.id, memberIds });
      }
    } else if (roll < 0.9) {
      const user = pick(users);
      add(`user-${user.id}`, 'UserAttributesChanged', { userId: user.id, set: { title: `Engineer ${Math.floor(random() * 5)}` }, unset: [] });
    } else {
      const user = pick(users);
      user.active = !user.active;
      add(`user-${user.id}`, user.active ? 'UserReactivated' : 'UserDeactivated', { userId: user.id });
    }
  }
  return planned;
}

/** Appends in rounds: within a round, each stream's events are one append, streams concurrently. */
async function appendPlanned(pool: Pool, store: ReturnType<typeof createPostgresEventStore>): Promise<{ streams: number; appends: number; ms: number }> {
  const planned = plannedEvents();
  const revisions = new Map<string, bigint>();
  const started = performance.now();
  let appends = 0;
  for (let from = 0; from < planned.length; from += SETUP_ROUND) {
    const byStream = new Map<string, EventToAppend[]>();
    for (const { streamId, event } of planned.slice(from, from + SETUP_ROUND)) byStream.set(streamId, [...(byStream.get(streamId) ?? []), event]);
    await mapLimit([...byStream], 16, async ([streamId, events]) => {
      const { nextExpectedRevision } = await store.appendToStream(streamId, events, { expectedRevision: revisions.get(streamId) ?? 'no_stream' });
      revisions.set(streamId, nextExpectedRevision);
    });
    appends += byStream.size;
  }
  const { rows } = await pool.query<{ n: number }>('SELECT count(*)::int AS n FROM events');
  if (rows[0]?.n !== planned.length) throw new Error(`appended ${rows[0]?.n} events, planned ${planned.length}`);
  return { streams: revisions.size, appends, ms: performance.now() - started };
}

interface CatchUpResult {
  readonly batchSize: number;
  readonly totalMs: number;
  readonly firstAckMs: number;
  readonly steadyRate: number;
  readonly batches: number;
  readonly messages: number;
}

async function catchUp(pool: Pool, store: ReturnType<typeof createPostgresEventStore>, topic: string, batchSize: number, head: Position): Promise<CatchUpResult> {
  const kafka = createKafka({ brokers, clientId: `bench-kafka-catchup-${batchSize}` });
  const marks: { position: Position; at: number }[] = [];
  const started = Date.now();
  const publisher = startEventPublisher({ pool, store, kafka, topic, partitions: PARTITIONS, batchSize, log });
  const subscription = publisher.checkpoint$.subscribe((position) => position && marks.push({ position, at: Date.now() }));
  try {
    await firstValueFrom(publisher.checkpoint$.pipe(filter((p) => p !== null && !isAfter(head, p)), timeout({ first: 300_000 })));
  } finally {
    subscription.unsubscribe();
    await publisher.stop();
  }
  const ended = marks[marks.length - 1]!.at;
  const first = marks[0]!;
  const afterFirst = await countAfter(pool, first.position);
  return {
    batchSize,
    totalMs: ended - started,
    firstAckMs: first.at - started,
    steadyRate: (afterFirst * 1000) / Math.max(1, ended - first.at),
    batches: marks.length,
    messages: await messagesOn(kafka, topic),
  };
}

interface ConsumerCatchUp {
  /** Start → the last event applied (team-sync: committed with its offsets; bare: counted). */
  readonly totalMs: number;
  /** Start → the first event applied: connect, join, assignment. */
  readonly firstMs: number;
  /** Events per second from the first event to the last. */
  readonly steadyRate: number;
  readonly transactions?: number;
}

/**
 * Dates one consumer's catch-up from now: `arrived` counts events as they are applied (at `at`,
 * ms since the epoch); `result` waits (300 s at most) until `expected` have arrived.
 * @throws Error from `result` when fewer than `expected` arrived in 300 s.
 */
function catchUpClock(what: string, expected: number) {
  const started = Date.now();
  let count = 0;
  let first: number | undefined;
  let reachedAll!: (at: number) => void;
  const done = new Promise<number>((resolve) => (reachedAll = resolve));
  return {
    arrived(events: number, at: number): void {
      first ??= at;
      count += events;
      if (count >= expected) reachedAll(at);
    },
    async result(): Promise<ConsumerCatchUp> {
      const last = await Promise.race([done, delay(300_000).then(() => Promise.reject(new Error(`${what} had ${count} of ${expected} events after 300 s`)))]);
      return { totalMs: last - started, firstMs: first! - started, steadyRate: ((expected - 1) * 1000) / Math.max(1, last - first!) };
    },
  };
}

/**
 * A new team-sync (fresh consumer group and schema) applies the whole topic: `expected` events,
 * every one of a type it applies. Timed from its start until its onApplied hook has seen them all.
 */
async function teamSyncCatchUp(pool: Pool, topic: string, expected: number): Promise<ConsumerCatchUp> {
  const clock = catchUpClock('team-sync', expected);
  const teamSync = await startTeamSync({
    pool,
    kafka: createKafka({ brokers, clientId: 'bench-kafka-team-sync-catchup' }),
    topic,
    groupId: `bench-kafka-team-sync-catchup-${run}`,
    schema: 'bench_catchup_team_sync',
    log,
    onApplied: (events, at) => clock.arrived(events.length, at),
  });
  try {
    return { ...(await clock.result()), transactions: teamSync.stats().transactions };
  } finally {
    await teamSync.stop();
  }
}

/** The reference beside team-sync: a bare kafkajs consumer (fresh group) that only parses each message's JSON. */
async function bareConsumerCatchUp(topic: string, expected: number): Promise<ConsumerCatchUp> {
  const consumer = createKafka({ brokers, clientId: 'bench-kafka-bare-catchup' }).consumer({ groupId: `bench-kafka-bare-catchup-${run}` });
  const clock = catchUpClock('the bare consumer', expected);
  await consumer.connect();
  try {
    await consumer.subscribe({ topics: [topic], fromBeginning: true });
    await consumer.run({
      eachBatch: async ({ batch }) => {
        for (const message of batch.messages) if (message.value) JSON.parse(message.value.toString('utf8'));
        clock.arrived(batch.messages.length, Date.now());
      },
    });
    return await clock.result();
  } finally {
    await consumer.disconnect();
  }
}

// ---------------------------------------------------------------------------------------------------
// 2. Live
//
// The main thread is the API process as `make run` starts it (SCIM API, projection and publisher);
// team-sync runs in a worker thread, as its own process would, and so does the load generator, the
// identity provider's side. Every thread dates events with the same clock (Date.now).

interface UserState {
  readonly i: number;
  id: string;
  active: boolean;
}

interface LaneState {
  readonly lane: number;
  readonly groupId: string;
  readonly members: string[];
  teamId: string | null;
}

type WorkerTask =
  | { readonly kind: 'team-sync'; readonly syncUrl: string; readonly topic: string; readonly groupId: string; readonly schema: string }
  | { readonly kind: 'load'; readonly base: string; readonly users: UserState[]; readonly lanes: LaneState[] };

/** To the team-sync thread: the writes start ('mark', for its event-loop utilisation) and end ('mark'), then 'stop'. */
type ToTeamSync = 'mark' | 'stop';

type FromWorker =
  | { readonly kind: 'ready' }
  | { readonly kind: 'applied'; readonly ids: string[]; readonly at: number }
  | { readonly kind: 'stopped'; readonly stats: TeamSyncStats; readonly loop: number }
  | { readonly kind: 'load-start'; readonly t0: number }
  | { readonly kind: 'load-done'; readonly requestMs: number[]; readonly failures: string[]; readonly loop: number; readonly t0: number; readonly ended: number }
  | { readonly kind: 'error'; readonly message: string };

async function httpCall(base: string, failures: string[], what: string, method: string, urlPath: string, body?: unknown): Promise<Record<string, unknown>> {
  const admin = urlPath.startsWith('/api/');
  const res = await fetch(`${base}${urlPath}`, {
    method,
    headers: {
      Authorization: `Bearer ${admin ? ADMIN_TOKEN : SCIM_TOKEN}`,
      ...(body === undefined ? {} : { 'Content-Type': admin ? 'application/vnd.api+json' : 'application/scim+json' }),
    },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const text = await res.text();
  if (!res.ok) failures.push(`${what}: ${res.status} ${text.slice(0, 200)}`);
  return text ? (JSON.parse(text) as Record<string, unknown>) : {};
}

const patchOp = (...Operations: unknown[]) => ({ schemas: [PATCH_OP], Operations });

/** team-sync as its own process would run it; reports what it applied, and when, to the main thread. */
async function teamSyncWorker(task: Extract<WorkerTask, { kind: 'team-sync' }>, port: MessagePort): Promise<void> {
  const pool = createPool(task.syncUrl, 10);
  const teamSync = await startTeamSync({
    pool,
    kafka: createKafka({ brokers, clientId: 'bench-kafka-team-sync' }),
    topic: task.topic,
    groupId: task.groupId,
    schema: task.schema,
    log,
    onApplied: (events, at) => port.postMessage({ kind: 'applied', ids: events.map((e) => e.id), at } satisfies FromWorker),
  });
  const marks: ReturnType<typeof performance.eventLoopUtilization>[] = [];
  await new Promise<void>((resolve) => {
    port.on('message', (message: ToTeamSync) => {
      if (message === 'mark') marks.push(performance.eventLoopUtilization());
      else resolve();
    });
    port.postMessage({ kind: 'ready' } satisfies FromWorker);
  });
  port.removeAllListeners('message');
  const loop = marks[0] && marks[1] ? performance.eventLoopUtilization(marks[1], marks[0]).utilization : NaN;
  await teamSync.stop();
  await pool.end();
  port.postMessage({ kind: 'stopped', stats: teamSync.stats(), loop } satisfies FromWorker);
}

/**
 * The steady writers: one per lane, each owning its group, its team and every LANES-th user (so no
 * two requests race on one stream), one request (one event) every LANES/RATE seconds. A writer that
 * falls behind its schedule sends its next request at once.
 */
async function loadWorker(task: Extract<WorkerTask, { kind: 'load' }>, port: MessagePort): Promise<void> {
  const failures: string[] = [];
  const requestMs: number[] = [];
  const call = (what: string, method: string, urlPath: string, body?: unknown) => httpCall(task.base, failures, what, method, urlPath, body);
  const intervalMs = (LANES * 1000) / RATE;
  const t0 = Date.now() + 100;
  const end = t0 + SECONDS * 1000;
  port.postMessage({ kind: 'load-start', t0 } satisfies FromWorker);
  await delay(t0 - Date.now());
  const elu = performance.eventLoopUtilization();
  await Promise.all(
    task.lanes.map(async (lane) => {
      const random = seeded(1000 + lane.lane);
      const pick = <T>(from: readonly T[]) => from[Math.floor(random() * from.length)];
      const own = task.users.filter((u) => u.i % LANES === lane.lane);
      const members = new Set(lane.members);
      let paused = false;
      for (let k = 0; ; k++) {
        const due = t0 + (lane.lane * intervalMs) / LANES + k * intervalMs;
        if (due >= end) break;
        await delay(Math.max(0, due - Date.now()));
        const started = performance.now();
        const roll = random();
        const outsiders = task.users.filter((u) => !members.has(u.id));
        if (roll < 0.05 && lane.teamId) {
          paused = !paused;
          await call(paused ? 'pause' : 'resume', 'PATCH', `/api/v2/admin/teams/${lane.teamId}/scim-group-mapping`, {
            data: { type: 'scim-group-mapping', attributes: { 'scim-sync-paused': paused } },
          });
        } else if (roll < 0.25 && own.length > 0) {
          const user = pick(own)!;
          user.active = !user.active;
          await call('set active', 'PATCH', `/scim/v2/Users/${user.id}`, patchOp({ op: 'replace', path: 'active', value: user.active }));
        } else if ((roll < 0.65 && outsiders.length > 0) || members.size === 0) {
          const user = pick(outsiders)!;
          members.add(user.id);
          await call('add member', 'PATCH', `/scim/v2/Groups/${lane.groupId}`, patchOp({ op: 'add', path: 'members', value: [{ value: user.id }] }));
        } else {
          const id = pick([...members])!;
          members.delete(id);
          await call('remove member', 'PATCH', `/scim/v2/Groups/${lane.groupId}`, patchOp({ op: 'remove', path: `members[value eq "${id}"]` }));
        }
        requestMs.push(performance.now() - started);
      }
    }),
  );
  const ended = Date.now();
  port.postMessage({ kind: 'load-done', requestMs, failures, loop: performance.eventLoopUtilization(elu).utilization, t0, ended } satisfies FromWorker);
}

/** A worker thread running this file, compiled by tsx's CommonJS hook as the main thread is. */
function startWorker(task: WorkerTask, onMessage: (message: FromWorker) => void): Worker {
  const worker = new Worker(`require('tsx/cjs'); require(${JSON.stringify(__filename)});`, { eval: true, workerData: task });
  worker.on('message', (message: FromWorker) => onMessage(message));
  worker.on('error', (error) => onMessage({ kind: 'error', message: String(error) }));
  return worker;
}

interface LiveResult {
  readonly setupEvents: number;
  readonly events: number;
  readonly types: Record<string, number>;
  readonly writeSeconds: number;
  readonly requests: number;
  readonly failures: string[];
  readonly requestMs: number[];
  readonly published: number[];
  readonly applied: number[];
  readonly publishedToApplied: number[];
  readonly unapplied: number;
  readonly drainMs: number;
  readonly batches: number;
  readonly view: TeamSyncView;
  readonly equal: boolean;
  readonly diff: string[];
  readonly apiLoop: number;
  readonly teamSyncLoop: number;
  readonly loadLoop: number;
  readonly processCpu: number;
  readonly stats: TeamSyncStats;
}

async function serviceTeamView(pool: Pool): Promise<TeamSyncView> {
  const s = `"${PLATFORM_READ_SCHEMA}"`;
  const members = await pool.query<{ team_id: string; account_id: string; kind: 'user' | 'service-account'; username: string }>(
    `SELECT team_id, account_id::text AS account_id, kind, username FROM ${s}.team_members ORDER BY team_id COLLATE "C", account_id::text COLLATE "C"`,
  );
  const admins = await pool.query<{ account_id: string }>(`SELECT account_id::text AS account_id FROM ${s}.site_admins ORDER BY account_id::text COLLATE "C"`);
  return {
    teamMembers: members.rows.map((r) => ({ teamId: r.team_id, accountId: r.account_id, kind: r.kind, username: r.username })),
    siteAdmins: admins.rows.map((r) => r.account_id),
  };
}

async function live(url: string, syncUrl: string, topic: string, groupId: string, schema: string, cleanups: (() => Promise<void>)[]): Promise<LiveResult> {
  await migrate(url);
  await ensureDatabase(syncUrl);
  const pool = createPool(url, 20);
  const syncPool = createPool(syncUrl, 2);
  const store = createPostgresEventStore({ pool });
  const admin = createKafka({ brokers, clientId: 'bench-kafka-live-admin' }).admin();
  await admin.connect();
  cleanups.push(async () => {
    await admin.disconnect();
    await store.close();
    await pool.end();
    await syncPool.end();
  });
  const config = loadConfig({
    DATABASE_URL: url,
    SCIM_BOOTSTRAP_TOKEN: SCIM_TOKEN,
    ADMIN_BOOTSTRAP_TOKEN: ADMIN_TOKEN,
    TOKEN_HMAC_SECRET: HMAC_SECRET,
    SCIM_RATE_LIMIT_PER_SECOND: '1000000',
    // The bench pauses and resumes links far faster than the admin API's 10 per minute allows.
    ADMIN_SETTINGS_RATE_LIMIT_PER_SECOND: '1000000',
    ADMIN_TEAM_LINK_RATE_LIMIT_PER_MINUTE: '1000000',
  });
  // Both read models, as `make run` keeps them: a write updates the scim one in its own transaction.
  const runner = startProjection({ pool, store, projection: platformProjection, log });
  cleanups.push(() => runner.stop());
  const scimRunner = startProjection({ pool, store, projection: scimProjection, log });
  cleanups.push(() => scimRunner.stop());
  await firstValueFrom(runner.caughtUp$.pipe(filter(Boolean)));
  await firstValueFrom(scimRunner.caughtUp$.pipe(filter(Boolean)));

  const publisher = startEventPublisher({ pool, store, kafka: createKafka({ brokers, clientId: 'bench-kafka-publisher' }), topic, partitions: PARTITIONS, log });
  cleanups.push(() => publisher.stop());
  const checkpoints: { position: Position; at: number }[] = [];
  publisher.checkpoint$.subscribe((position) => position && checkpoints.push({ position, at: Date.now() }));

  // team-sync, in its own thread and database.
  const appliedAt = new Map<string, number>();
  let workerError: string | undefined;
  let teamSyncReady!: () => void;
  let teamSyncStopped!: (message: Extract<FromWorker, { kind: 'stopped' }>) => void;
  const ready = new Promise<void>((resolve) => (teamSyncReady = resolve));
  const stopped = new Promise<Extract<FromWorker, { kind: 'stopped' }>>((resolve) => (teamSyncStopped = resolve));
  const teamSyncThread = startWorker({ kind: 'team-sync', syncUrl, topic, groupId, schema }, (message) => {
    if (message.kind === 'applied') for (const id of message.ids) if (!appliedAt.has(id)) appliedAt.set(id, message.at);
    if (message.kind === 'ready') teamSyncReady();
    if (message.kind === 'stopped') teamSyncStopped(message);
    if (message.kind === 'error') workerError = message.message;
  });
  let teamSyncResult: Extract<FromWorker, { kind: 'stopped' }> | undefined;
  const stopTeamSync = async () => {
    if (teamSyncResult) return;
    teamSyncThread.postMessage('stop' satisfies ToTeamSync);
    teamSyncResult = await Promise.race([stopped, delay(30_000).then(() => undefined)]);
    await teamSyncThread.terminate();
  };
  cleanups.push(stopTeamSync);
  await Promise.race([ready, delay(60_000).then(() => Promise.reject(new Error(`team-sync did not start: ${workerError}`)))]);

  const api = composeScimApi({ config, pool, eventStore: store, log, clock: { now: () => new Date() }, checkpoints: { scim: scimRunner.checkpoint$, platform: runner.checkpoint$ } });
  await api.initialise();
  const server = await new Promise<Server>((resolve) => {
    const listening = api.app.listen(0, '127.0.0.1', () => resolve(listening));
  });
  cleanups.push(() => new Promise<void>((resolve) => server.close(() => resolve())).then(() => api.close()));
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const setupFailures: string[] = [];
  const call = (what: string, method: string, urlPath: string, body?: unknown) => httpCall(base, setupFailures, what, method, urlPath, body);

  /** team-sync's stored offsets against the topic's high watermarks. */
  const teamSyncBehind = async () => {
    const [watermarks, stored] = await Promise.all([
      admin.fetchTopicOffsets(topic),
      syncPool.query<{ partition: number; next_offset: string; last_occurred_at: Date | null }>(
        `SELECT partition, next_offset::text, last_occurred_at FROM ${tablesIn(schema)('offsets')} WHERE topic = $1`,
        [topic],
      ),
    ]);
    return computeLag(
      watermarks.map((w) => ({ partition: w.partition, high: BigInt(w.high), low: BigInt(w.low) })),
      stored.rows.map((r) => ({ partition: r.partition, nextOffset: BigInt(r.next_offset), lastOccurredAt: r.last_occurred_at })),
      Date.now(),
    ).eventsBehind;
  };
  /** Everything written so far is published, applied by team-sync, and in the service's read model. */
  const caughtUp = async () => {
    const head = await lastWritten(pool);
    if (head === null) return;
    await firstValueFrom(publisher.checkpoint$.pipe(filter((p) => p !== null && !isAfter(head, p)), timeout({ first: 60_000 })));
    await waitFor('team-sync', async () => {
      if (workerError) throw new Error(`team-sync worker: ${workerError}`);
      return (await teamSyncBehind()) === 0;
    });
    await firstValueFrom(runner.checkpoint$.pipe(filter((p) => p !== null && !isAfter(head, p)), timeout({ first: 60_000 })));
  };

  // Setup: users, one group per lane, a team following each group but the last, which grants site admin.
  const users: UserState[] = Array.from({ length: USERS }, (_, i) => ({ i, id: '', active: i % 11 !== 5 }));
  await mapLimit(users, 8, async (user) => {
    const userName = `member${user.i}@bench.example.com`;
    const created = await call('create user', 'POST', '/scim/v2/Users', {
      schemas: [USER_SCHEMA, ENTERPRISE],
      userName,
      active: user.active,
      displayName: `Member ${user.i}`,
      name: { givenName: 'Member', familyName: String(user.i) },
      emails: [{ value: userName, type: 'work', primary: true }],
      [ENTERPRISE]: { department: `Department ${user.i % 7}` },
    });
    user.id = created.id as string;
  });
  const lanes: LaneState[] = await Promise.all(
    Array.from({ length: LANES }, async (_, lane) => {
      const members = users.filter((u) => (u.i + lane) % 4 === 0).map((u) => u.id);
      const group = await call('create group', 'POST', '/scim/v2/Groups', {
        schemas: [GROUP_SCHEMA],
        displayName: `Bench Group ${lane}`,
        members: members.map((value) => ({ value })),
      });
      return { lane, groupId: group.id as string, members, teamId: null };
    }),
  );
  for (const lane of lanes.slice(0, -1)) {
    const team = await call('create team', 'POST', '/api/v2/admin/teams', {
      data: { type: 'teams', attributes: { name: `bench-${lane.lane}`, 'service-accounts': lane.lane === 0 ? ['deploy-bot', 'ci-robot'] : [] } },
    });
    lane.teamId = (team.data as { id: string }).id;
    await call('link team', 'POST', `/api/v2/admin/teams/${lane.teamId}/scim-group-mapping`, {
      data: { type: 'scim-group-mapping', attributes: { 'scim-group-id': lane.groupId } },
    });
  }
  await call('site-admin group', 'PATCH', '/api/v2/admin/scim-settings', {
    data: { type: 'scim-settings', attributes: { 'site-admin-group-scim-id': lanes[lanes.length - 1]!.groupId } },
  });
  if (setupFailures.length > 0) throw new Error(`setup failed: ${setupFailures.join('; ')}`);
  await caughtUp();
  const setupHead = (await lastWritten(pool))!;
  const setupEvents = Number((await pool.query<{ n: number }>('SELECT count(*)::int AS n FROM events')).rows[0]?.n);

  // Steady writes, from the load thread: utilisation and CPU from its start to its last response.
  let elu = performance.eventLoopUtilization();
  let cpu = process.cpuUsage();
  const load = await new Promise<Extract<FromWorker, { kind: 'load-done' }>>((resolve, reject) => {
    const thread = startWorker({ kind: 'load', base, users, lanes }, (message) => {
      if (message.kind === 'load-start') {
        // Sent 100 ms before its first request.
        setTimeout(() => {
          elu = performance.eventLoopUtilization();
          cpu = process.cpuUsage();
          teamSyncThread.postMessage('mark' satisfies ToTeamSync);
        }, Math.max(0, message.t0 - Date.now()));
      }
      if (message.kind === 'load-done') resolve(message);
      if (message.kind === 'error') reject(new Error(`load worker: ${message.message}`));
    });
    thread.once('exit', () => reject(new Error('the load worker exited without its results')));
  });
  teamSyncThread.postMessage('mark' satisfies ToTeamSync);
  const apiLoop = performance.eventLoopUtilization(elu).utilization;
  const { user, system } = process.cpuUsage(cpu);
  const t0 = load.t0;
  const writesEnded = load.ended;
  const processCpu = (user + system) / 1000 / Math.max(1, Date.now() - t0);
  await caughtUp();

  // Lag of every event written after the setup.
  const { rows } = await pool.query<{ event_id: string; event_type: string; transaction_id: string; global_position: string; recorded_at: Date }>(
    `SELECT event_id::text, event_type, transaction_id::text, global_position::text, recorded_at FROM events
      WHERE (transaction_id, global_position) > ($1::xid8, $2::bigint) ORDER BY transaction_id, global_position`,
    [setupHead.commit.toString(), setupHead.prepare.toString()],
  );
  const types: Record<string, number> = {};
  const published: number[] = [];
  const applied: number[] = [];
  const publishedToApplied: number[] = [];
  let unapplied = 0;
  let c = 0;
  let lastApplied = 0;
  let lastRecorded = 0;
  for (const row of rows) {
    types[row.event_type] = (types[row.event_type] ?? 0) + 1;
    const position = { commit: BigInt(row.transaction_id), prepare: BigInt(row.global_position) };
    // Checkpoints only move forward: the first one at or after the event's position covered it.
    while (c < checkpoints.length && comparePositions(checkpoints[c]!.position, position) < 0) c++;
    const publishedAt = checkpoints[c]?.at;
    const recorded = row.recorded_at.getTime();
    lastRecorded = Math.max(lastRecorded, recorded);
    if (publishedAt !== undefined) published.push(publishedAt - recorded);
    const at = appliedAt.get(row.event_id);
    if (at === undefined) unapplied++;
    else {
      applied.push(at - recorded);
      if (publishedAt !== undefined) publishedToApplied.push(at - publishedAt);
      lastApplied = Math.max(lastApplied, at);
    }
  }
  const batches = checkpoints.filter((cp) => isAfter(cp.position, setupHead)).length;

  const [mine, service] = await Promise.all([teamSyncView(syncPool, schema), serviceTeamView(pool)]);
  const equal = isDeepStrictEqual(mine, service);
  const diff: string[] = [];
  if (!equal) {
    const key = (m: TeamSyncView['teamMembers'][number]) => JSON.stringify(m);
    const theirs = new Set(service.teamMembers.map(key));
    const ours = new Set(mine.teamMembers.map(key));
    diff.push(...mine.teamMembers.filter((m) => !theirs.has(key(m))).map((m) => `team-sync only: ${key(m)}`));
    diff.push(...service.teamMembers.filter((m) => !ours.has(key(m))).map((m) => `service only: ${key(m)}`));
    if (!isDeepStrictEqual(mine.siteAdmins, service.siteAdmins)) diff.push(`site admins: team-sync ${JSON.stringify(mine.siteAdmins)} service ${JSON.stringify(service.siteAdmins)}`);
  }
  await stopTeamSync();
  if (!teamSyncResult) throw new Error('team-sync did not stop');

  return {
    setupEvents,
    events: rows.length,
    types,
    writeSeconds: (writesEnded - t0) / 1000,
    requests: load.requestMs.length,
    failures: load.failures,
    requestMs: load.requestMs,
    published,
    applied,
    publishedToApplied,
    unapplied,
    drainMs: lastApplied - lastRecorded,
    batches,
    view: mine,
    equal,
    diff,
    apiLoop,
    teamSyncLoop: teamSyncResult.loop,
    loadLoop: load.loop,
    processCpu,
    stats: teamSyncResult.stats,
  };
}

// ---------------------------------------------------------------------------------------------------

async function main(): Promise<number> {
  const catchUpUrl = withDatabase(serverUrl, `bench_kafka_${run}`);
  const liveUrl = withDatabase(serverUrl, `bench_kafka_live_${run}`);
  const syncUrl = withDatabase(serverUrl, `bench_kafka_sync_${run}`);
  const topics = BATCH_SIZES.map((size) => `bench-kafka-catchup-${size}-${run}`);
  const liveTopic = `bench-kafka-live-${run}`;
  const groupId = `bench-kafka-team-sync-${run}`;
  const schema = 'bench_team_sync';
  const admin = createKafka({ brokers, clientId: 'bench-kafka-admin' }).admin();
  const cleanups: (() => Promise<void>)[] = [];
  const started = Date.now();
  try {
    // 1. Catch-up
    await migrate(catchUpUrl);
    const pool = createPool(catchUpUrl, 20);
    const store = createPostgresEventStore({ pool });
    let setup: Awaited<ReturnType<typeof appendPlanned>>;
    const results: CatchUpResult[] = [];
    let consumers: { teamSync: ConsumerCatchUp; bare: ConsumerCatchUp };
    try {
      setup = await appendPlanned(pool, store);
      const head = (await lastWritten(pool))!;
      for (const [i, batchSize] of BATCH_SIZES.entries()) results.push(await catchUp(pool, store, topics[i]!, batchSize, head));
      // Side by side on the first topic: team-sync (Postgres transactions with its offsets) and a bare consumer.
      consumers = { teamSync: await teamSyncCatchUp(pool, topics[0]!, EVENTS), bare: await bareConsumerCatchUp(topics[0]!, EVENTS) };
    } finally {
      await store.close();
      await pool.end();
      await dropDatabase(catchUpUrl);
    }

    // 2. Live
    const result = await live(liveUrl, syncUrl, liveTopic, groupId, schema, cleanups);
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();

    const row = (name: string, values: readonly number[]) =>
      `| ${name} | ${ms(quantile(values, 0.5))} | ${ms(quantile(values, 0.9))} | ${ms(quantile(values, 0.99))} | ${ms(Math.max(...values))} | ${values.length} |`;
    const teams = new Set(result.view.teamMembers.map((m) => m.teamId)).size;
    const report = [
      `# Kafka: publisher catch-up throughput and end-to-end lag into team-sync`,
      ``,
      `Command: \`make bench-kafka\` (EVENTS=${EVENTS} STREAMS=${STREAMS} RATE=${RATE} SECONDS=${SECONDS} LANES=${LANES} USERS=${USERS}); ${new Date().toISOString()}; ` +
        `node ${process.version}; ${process.platform}, ${cpus().length} cores. Local single-node Kafka (${brokers.join(',')}), local PostgreSQL; ` +
        `topics of ${PARTITIONS} partitions, replication factor 1; total run ${((Date.now() - started) / 1000).toFixed(0)} s.`,
      ``,
      `## 1. Catch-up: a new publisher sends the whole log to a new topic`,
      ``,
      `${int(EVENTS)} events (UserProvisioned, GroupCreated, GroupMembersAdded/Removed, UserAttributesChanged, UserDeactivated/Reactivated) ` +
        `in ${int(setup.streams)} streams, appended to the Postgres event store in ${int(setup.appends)} appends (${(setup.ms / 1000).toFixed(1)} s); ` +
        `then one publisher per batch size, each on a fresh topic, timed from start until its checkpoint reached the head.`,
      ``,
      `| batchSize | total (start → checkpoint at head) | events/s overall | first ack (topic, connect, first batch) | events/s after the first ack | batches (checkpoints) | events per batch | messages on topic |`,
      `|---|---|---|---|---|---|---|---|`,
      ...results.map(
        (r) =>
          `| ${r.batchSize} | ${int(r.totalMs)} ms | ${int((EVENTS * 1000) / r.totalMs)} | ${int(r.firstAckMs)} ms | ${int(r.steadyRate)} | ${r.batches} | ${int(EVENTS / r.batches)} | ${int(r.messages)} |`,
      ),
      ``,
      `A batch also ends batchWindowMs (5 ms) after its first event, and the store's subscription reads the next page of 500 rows only once the ` +
        `previous one is consumed: so with batchSize 2,000 the window, not the size, cuts most batches, and they stay near 500 events.`,
      ``,
      `## 1b. Catch-up: a new team-sync applies the whole topic, beside a bare consumer`,
      ``,
      `The ${int(EVENTS)} events on the batchSize ${BATCH_SIZES[0]} topic, read by a new consumer group from the log start: team-sync (its own schema in the ` +
        `same database; each chunk of a partition's batch one Postgres transaction with its offsets: ${consumers.teamSync.transactions} transactions), ` +
        `then, as the reference, a bare kafkajs consumer that only parses each message's JSON. Each is timed from its start.`,
      ``,
      `| consumer | total (start → last event) | first event (connect, join, assignment) | events/s after the first event |`,
      `|---|---|---|---|`,
      ...(
        [
          ['team-sync', consumers.teamSync],
          ['bare kafkajs consumer (reference)', consumers.bare],
        ] as const
      ).map(([name, c]) => `| ${name} | ${int(c.totalMs)} ms | ${int(c.firstMs)} ms | ${int(c.steadyRate)} |`),
      ``,
      `team-sync ÷ bare consumer, events/s after the first event: **${(consumers.teamSync.steadyRate / consumers.bare.steadyRate).toFixed(2)}**.`,
      ``,
      `## 2. Live: SCIM API → event store → publisher → Kafka → team-sync`,
      ``,
      `Setup over HTTP (${result.setupEvents} events): ${USERS} users, ${LANES} groups, ${LANES - 1} teams each linked to a group (one with 2 service accounts), ` +
        `the last group as site-admin group. Then ${LANES} writers (one per group, each request one event) scheduled at ${RATE} requests/s in all for ${SECONDS} s ` +
        `(a writer behind its schedule sends its next request at once): ${result.requests} requests took ${result.writeSeconds.toFixed(1)} s → ${result.events} events, ` +
        `**${(result.events / result.writeSeconds).toFixed(0)} events/s achieved** ${JSON.stringify(result.types)}. Publisher batchSize 500 (default), ${result.batches} checkpoints for these events; ` +
        `team-sync in its own database, ${result.stats.transactions} transactions in all. One Node process, three threads: the API (SCIM and admin API, ` +
        `projection, publisher, as \`make run\` runs them), team-sync, and the load generator; during the writes their event loops were ` +
        `${(result.apiLoop * 100).toFixed(0)}%, ${(result.teamSyncLoop * 100).toFixed(0)}% and ${(result.loadLoop * 100).toFixed(0)}% busy, ` +
        `and the process used ${(result.processCpu * 100).toFixed(0)}% of a core (Kafka and PostgreSQL share the same ${cpus().length} cores).`,
      ``,
      `| measure | p50 | p90 | p99 | max | samples |`,
      `|---|---|---|---|---|---|`,
      row('append (events.recorded_at, at insert) → published (broker ack, publisher checkpoint saved)', result.published),
      row('append → applied by team-sync (its transaction committed)', result.applied),
      row('published → applied by team-sync', result.publishedToApplied),
      row('SCIM/admin write request (HTTP round trip, waits for the read model)', result.requestMs),
      ``,
      `Team-sync had applied every event ${int(result.drainMs)} ms after the last append; ${result.unapplied} events without an applied time ` +
        `(duplicates or skipped: ${JSON.stringify({ duplicates: result.stats.duplicates, skipped: result.stats.skipped, invalid: result.stats.invalid })}); ` +
        `${result.failures.length} failed requests.`,
      ``,
      `Team-sync's view equals the service's team_members and site_admins: **${result.equal ? 'yes' : 'NO'}** ` +
        `(${result.view.teamMembers.length} team members in ${teams} teams, ${result.view.siteAdmins.length} site admins).`,
      ...(result.diff.length > 0 ? ['', ...result.diff.slice(0, 20).map((d) => `- ${d}`)] : []),
      ...(result.failures.length > 0 ? ['', ...result.failures.slice(0, 20).map((f) => `- failed: ${f}`)] : []),
      ``,
    ].join('\n');
    process.stdout.write(report);
    writeFileSync(path.join(__dirname, 'results', 'kafka.md'), report);
    return result.equal && result.failures.length === 0 && result.unapplied === 0 ? 0 : 1;
  } finally {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup().catch((error: unknown) => console.error('cleanup:', error));
    await dropDatabase(liveUrl).catch((error: unknown) => console.error('drop:', error));
    await dropDatabase(syncUrl).catch((error: unknown) => console.error('drop:', error));
    await dropDatabase(catchUpUrl).catch(() => undefined);
    try {
      await admin.connect();
      const existing = new Set(await admin.listTopics());
      const mine = [...topics, liveTopic].filter((t) => existing.has(t));
      if (mine.length > 0) await admin.deleteTopics({ topics: mine, timeout: 10_000 });
      await admin.deleteGroups([groupId]).catch(() => undefined);
    } catch (error) {
      console.error('topic cleanup:', error);
    } finally {
      await admin.disconnect();
    }
  }
}

if (isMainThread) {
  main().then(
    (code) => process.exit(code),
    (error: unknown) => {
      console.error(error);
      process.exit(1);
    },
  );
} else {
  const task = workerData as WorkerTask;
  const port = parentPort!;
  (task.kind === 'team-sync' ? teamSyncWorker(task, port) : loadWorker(task, port)).catch((error: unknown) => {
    port.postMessage({ kind: 'error', message: error instanceof Error ? (error.stack ?? error.message) : String(error) } satisfies FromWorker);
  });
}
