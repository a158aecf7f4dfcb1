import { randomUUID } from 'node:crypto';
import type { IHeaders, Kafka } from 'kafkajs';
import pino from 'pino';
import { Registry } from 'prom-client';
import { filter, firstValueFrom, timeout } from 'rxjs';
import type { RecordedEvent } from '../../shared/eventstore/port';
import { isAfter } from '../../shared/eventstore/position';
import { parseEnvelope } from '../../shared/events/consumer-parser';
import { EVENT_CONTRACTS } from '../../shared/events/contract';
import { createKafka } from '../../shared/kafka/client';
import { createLogger } from '../../shared/logging/logger';
import { toEnvelope } from '../../services/event-publisher/envelope';
import { publisherMetrics } from '../../services/event-publisher/metrics';
import { startEventPublisher, type EventPublisher, type EventPublisherOptions } from '../../services/event-publisher/publisher';
import { resolveKafkaSync } from '../helpers/kafka';
import { ownBroker, ownBrokerUnavailable } from '../helpers/kafka-broker';
import { GROUP_SCHEMA, newUser, patchOp, startScimApi, type ScimApiUnderTest } from '../helpers/scim-api';

/**
 * The publisher against the real broker: every event arrives, per stream in order, with its envelope
 * and CloudEvents headers; a broker outage and a crash between send and checkpoint lose nothing.
 * Jest registers tests synchronously, so the broker is resolved synchronously (resolveKafkaSync).
 */
const target = resolveKafkaSync();
// The broker restart alone takes ~4 s; the workload test runs ~2,000 requests.
jest.setTimeout(90_000);
const log = createLogger({ level: process.env.TEST_LOG_LEVEL ?? 'silent' });

if ('skip' in target) {
  if (process.env.CI === 'true') {
    test(`event publisher: no broker in CI (${target.skip})`, () => {
      throw new Error(`CI always starts a Kafka broker (scripts/kafka.sh start), but: ${target.skip}`);
    });
  } else {
    console.warn(`event publisher tests skipped: ${target.skip}`);
    test(`event publisher tests skipped: ${target.skip}`, () => undefined);
  }
} else {
  const brokers = target.brokers;
  /**
   * The outage test stops and restarts a broker of its own (scripts/kafka.sh on another port,
   * sharing the jars), so Kafka tests running beside it in other jest workers keep theirs.
   */
  const outageSkip = ownBrokerUnavailable();

  describe(`event publisher against ${brokers.join(',')}`, () => {
    const topics: string[] = [];
    let kafka: Kafka;

    beforeAll(() => {
      kafka = createKafka({ brokers, clientId: 'event-publisher-test', connectionTimeout: 1000, retry: { retries: 3, initialRetryTime: 100, maxRetryTime: 1000 } });
    });

    afterAll(async () => {
      const admin = kafka.admin();
      await admin.connect();
      await admin.deleteTopics({ topics, timeout: 10_000 }).catch(() => undefined);
      await admin.disconnect();
    });

    const newTopic = () => {
      const topic = `scim-events-test-${randomUUID()}`;
      topics.push(topic);
      return topic;
    };

    const startPublisher = (api: ScimApiUnderTest, topic: string, options: Partial<EventPublisherOptions> = {}, on: string[] = brokers) =>
      startEventPublisher({
        pool: api.db.pool,
        store: api.store,
        // Few retries inside kafkajs (under NODE_ENV=test it retries 15 times): an outage reaches the publisher's own loop.
        kafka: createKafka({
          brokers: on,
          clientId: 'event-publisher-under-test',
          log: (options.log ?? log).child({ component: 'kafka' }),
          connectionTimeout: 1000,
          retry: { retries: 2, initialRetryTime: 100, maxRetryTime: 500 },
        }),
        topic,
        partitions: 3,
        source: SOURCE,
        log,
        ...options,
      });

    /** Every message on the topic, read from the beginning by a new consumer group. */
    async function consumeAll(topic: string, from: Kafka = kafka): Promise<Received[]> {
      const admin = from.admin();
      await admin.connect();
      const offsets = await admin.fetchTopicOffsets(topic).finally(() => admin.disconnect());
      const total = offsets.reduce((sum, p) => sum + Number(p.high) - Number(p.low), 0);
      const consumer = from.consumer({ groupId: `event-publisher-test-${randomUUID()}`, allowAutoTopicCreation: false });
      const received: Received[] = [];
      try {
        await consumer.connect();
        await consumer.subscribe({ topics: [topic], fromBeginning: true });
        await new Promise<void>((resolve, reject) => {
          const timer = setTimeout(() => reject(new Error(`${received.length} of ${total} messages on ${topic} within 30 s`)), 30_000);
          if (total === 0) resolve();
          void consumer.run({
            eachBatch: async ({ batch }) => {
              for (const m of batch.messages) {
                received.push({ partition: batch.partition, offset: BigInt(m.offset), key: m.key?.toString(), value: m.value?.toString() ?? '', headers: textHeaders(m.headers) });
              }
              if (received.length >= total) {
                clearTimeout(timer);
                resolve();
              }
            },
          });
        });
      } finally {
        await consumer.disconnect();
      }
      return received.sort((a, b) => a.partition - b.partition || (a.offset < b.offset ? -1 : 1));
    }

    it('publishes every event of a 2,000-request SCIM workload, per stream in revision order, with envelope and headers', async () => {
      const api = await startScimApi('publisher_workload');
      const topic = newTopic();
      const publisher = startPublisher(api, topic);
      try {
        const started = Date.now();
        const workload = await runWorkload(api, { requests: 2000, concurrency: 8, prefix: 'a' });
        const written = Date.now();
        expect(workload.failures).toEqual([]);
        await publishedEverything(api, publisher);
        const published = Date.now();
        const events = await api.allEvents();

        // Catch-up: a second publisher sends the whole log to a new topic.
        const catchUpTopic = newTopic();
        const catchUpStarted = Date.now();
        const catchUp = startPublisher(api, catchUpTopic);
        // After the first acknowledged batch the topic exists and the producer is connected: steady state.
        const firstBatch = firstValueFrom(catchUp.checkpoint$.pipe(filter((p) => p !== null))).then((position) => ({ position, at: Date.now() }));
        await publishedEverything(api, catchUp);
        const catchUpEnded = Date.now();
        const catchUpMs = catchUpEnded - catchUpStarted;
        const { position: firstCheckpoint, at: firstAt } = await firstBatch;
        const afterFirst = events.filter((e) => isAfter(e.position, firstCheckpoint)).length;
        const steadyRate = Math.round((afterFirst * 1000) / Math.max(1, catchUpEnded - firstAt));
        await catchUp.stop();

        const messages = await consumeAll(topic);
        expect(messages).toHaveLength(events.length);
        expect(new Set(messages.map((m) => m.headers.ce_id))).toEqual(new Set(events.map((e) => e.id)));
        const byId = new Map(events.map((e) => [e.id, e]));
        for (const message of messages) {
          const event = byId.get(message.headers.ce_id ?? '')!;
          expect(message.key).toBe(event.streamId);
          expect(JSON.parse(message.value)).toEqual(toEnvelope(event));
          expect(message.headers).toEqual(expectedHeaders(event));
          // A type without a contract yet reaches consumers as one to skip.
          const known = Object.prototype.hasOwnProperty.call(EVENT_CONTRACTS, event.type);
          expect(parseEnvelope(message.value)).toMatchObject({ known, type: event.type, revision: event.revision });
        }
        const streams = inStreamOrder(messages);
        expect(streams.duplicates).toBe(0);
        expect(streams.gaps).toEqual([]);
        expect(streams.splitAcrossPartitions).toEqual([]);
        expect(new Set(messages.map((m) => m.partition)).size).toBe(3);
        expect((await consumeAll(catchUpTopic)).length).toBe(events.length);

        const types = countBy(events, (e) => e.type);
        console.log(
          `[event-publisher] ${workload.requests} SCIM requests (${Math.round((workload.requests * 1000) / (written - started))} req/s, ${JSON.stringify(workload.ops)}) ` +
            `-> ${events.length} events in ${streams.count} streams ${JSON.stringify(types)}; ` +
            `live: all acknowledged ${published - written} ms after the last write (${Math.round((events.length * 1000) / (published - started))} events/s end to end); ` +
            `catch-up of the whole log by a new publisher: ${catchUpMs} ms = ${Math.round((events.length * 1000) / catchUpMs)} events/s ` +
            `including topic creation and connect, ${steadyRate} events/s after the first batch`,
        );
      } finally {
        await publisher.stop();
        await api.close();
      }
    });

    (outageSkip ? it.skip : it)('survives a broker outage: SCIM writes keep succeeding, and the topic ends up with every event, none out of order', async () => {
      await ensureBrokerRunning();
      const api = await startScimApi('publisher_outage');
      const topic = `scim-events-outage-${randomUUID()}`;
      const outageKafka = createKafka({ brokers: [OUTAGE_BROKER], clientId: 'event-publisher-outage-test', connectionTimeout: 1000 });
      const entries: { msg: string }[] = [];
      const recorded = pino({ level: 'info' }, { write: (line: string) => void entries.push(JSON.parse(line) as { msg: string }) });
      const publisher = startPublisher(
        api,
        topic,
        { retry: { initialMs: 100, maxMs: 2000 }, producerRetry: { retries: 2, initialRetryTime: 100, maxRetryTime: 500 }, log: recorded },
        [OUTAGE_BROKER],
      );
      try {
        // The broker goes down in the middle of a workload, with batches in flight.
        let stopped: Promise<void> | undefined;
        let outageStarted = 0;
        const first = await runWorkload(api, {
          requests: 500,
          concurrency: 8,
          prefix: 'b1',
          afterRequest: (done) => {
            if (done !== 150) return;
            outageStarted = Date.now();
            stopped = stopBroker();
          },
        });
        expect(first.failures).toEqual([]);
        await stopped;

        // Still down: writes keep succeeding, and the lag shows what waits.
        const waiting = (await api.allEvents()).length;
        const during = await runWorkload(api, { requests: 150, concurrency: 8, prefix: 'b2' });
        expect(during.failures).toEqual([]);
        const writtenWhileDown = (await api.allEvents()).length - waiting;
        const lag = await publisher.lag();
        expect(lag.eventsBehind).toBeGreaterThanOrEqual(writtenWhileDown);
        expect(lag.secondsBehind).toBeGreaterThan(0);
        const registry = new Registry();
        publisherMetrics(registry, publisher);
        expect(await registry.getSingleMetricAsString('scim_publisher_events_behind')).toContain(`scim_publisher_events_behind ${lag.eventsBehind}`);
        expect(await registry.getSingleMetricAsString('scim_publisher_seconds_behind')).toMatch(/scim_publisher_seconds_behind [1-9][0-9.]*/);

        await ensureBrokerRunning();
        const outageMs = Date.now() - outageStarted;
        const after = await runWorkload(api, { requests: 100, concurrency: 8, prefix: 'b3' });
        expect(after.failures).toEqual([]);
        await publishedEverything(api, publisher, 60_000);
        expect(await publisher.lag()).toEqual({ eventsBehind: 0, secondsBehind: 0 });
        await new Promise((resolve) => setTimeout(resolve, 1100)); // past the one-lag-per-scrape reuse
        expect(await registry.metrics()).toContain('scim_publisher_events_behind 0\n');

        // It went through its failure path: backed off, reconnected, resent from the checkpoint.
        const failures = entries.filter((e) => e.msg === 'publishing failed; resending from the last saved checkpoint').length;
        expect(failures).toBeGreaterThan(0);
        expect(entries.some((e) => e.msg === 'publishing again after a failure')).toBe(true);

        const events = await api.allEvents();
        const messages = await consumeAll(topic, outageKafka);
        expect(new Set(messages.map((m) => m.headers.ce_id))).toEqual(new Set(events.map((e) => e.id)));
        const streams = inStreamOrder(messages);
        expect(streams.gaps).toEqual([]);
        expect(streams.splitAcrossPartitions).toEqual([]);
        console.log(
          `[event-publisher] outage of ${outageMs} ms in the middle of a workload: ${lag.eventsBehind} events waited (${lag.secondsBehind.toFixed(1)} s behind), ${failures} failed attempts; ` +
            `${events.length} events -> ${messages.length} messages (${streams.duplicates} duplicates), no gaps`,
        );
      } finally {
        await publisher.stop();
        await api.close();
        await stopBroker();
      }
    }, 120_000);
    if (outageSkip) console.warn(`event publisher outage test skipped: ${outageSkip}`);

    it('runs one publisher per topic: a second one stands by, and takes over from the checkpoint when the first stops', async () => {
      const api = await startScimApi('publisher_standby');
      const topic = newTopic();
      const first = startPublisher(api, topic);
      let second: EventPublisher | undefined;
      try {
        expect((await runWorkload(api, { requests: 40, concurrency: 4, prefix: 'd1' })).failures).toEqual([]);
        await publishedEverything(api, first);
        second = startPublisher(api, topic, { standbyRetryMs: 100 });
        expect((await runWorkload(api, { requests: 40, concurrency: 4, prefix: 'd2' })).failures).toEqual([]);
        await publishedEverything(api, first);
        expect(await firstValueFrom(second.checkpoint$)).toBeNull(); // on standby: it has not even read the checkpoint
        await first.stop();
        expect((await runWorkload(api, { requests: 40, concurrency: 4, prefix: 'd3' })).failures).toEqual([]);
        await publishedEverything(api, second);
      } finally {
        await first.stop();
        await second?.stop();
      }
      const events = await api.allEvents();
      const messages = await consumeAll(topic);
      expect(messages.map((m) => m.headers.ce_id).sort()).toEqual(events.map((e) => e.id).sort());
      expect(inStreamOrder(messages)).toMatchObject({ duplicates: 0, gaps: [] });
      await api.close();
    });

    it('sends a batch again when the publisher dies between the acknowledgement and the checkpoint: duplicates of exactly that batch, no gaps', async () => {
      const api = await startScimApi('publisher_crash');
      const topic = newTopic();
      const workload = await runWorkload(api, { requests: 80, concurrency: 8, prefix: 'c' });
      expect(workload.failures).toEqual([]);
      const events = await api.allEvents();

      let failedBatch: readonly RecordedEvent[] | undefined;
      const publisher = startPublisher(api, topic, {
        batchSize: 25,
        retry: { initialMs: 10, maxMs: 50 },
        beforeCheckpoint: async (batch) => {
          if (failedBatch) return;
          failedBatch = batch;
          throw new Error('killed between send and checkpoint');
        },
      });
      try {
        await publishedEverything(api, publisher);
      } finally {
        await publisher.stop();
      }

      expect(failedBatch?.map((e) => e.id)).toEqual(events.slice(0, failedBatch?.length).map((e) => e.id));
      const messages = await consumeAll(topic);
      expect(messages).toHaveLength(events.length + failedBatch!.length);
      const deliveries = countBy(messages, (m) => m.headers.ce_id ?? '');
      const resent = new Set(failedBatch!.map((e) => e.id));
      for (const event of events) expect({ id: event.id, deliveries: deliveries[event.id] }).toEqual({ id: event.id, deliveries: resent.has(event.id) ? 2 : 1 });
      const streams = inStreamOrder(messages);
      expect(streams.gaps).toEqual([]);
      expect(streams.duplicates).toBe(failedBatch!.length);
      await api.close();
    });
  });
}

// ---------------------------------------------------------------------------------------------------

interface Received {
  readonly partition: number;
  readonly offset: bigint;
  readonly key: string | undefined;
  readonly value: string;
  readonly headers: Record<string, string | undefined>;
}

async function publishedEverything(api: ScimApiUnderTest, publisher: EventPublisher, ms = 30_000): Promise<void> {
  const head = await api.store.headPosition();
  if (head === null) return;
  await firstValueFrom(publisher.checkpoint$.pipe(filter((p) => p !== null && !isAfter(head, p)), timeout({ first: ms })));
}

/** The deployment the publishers under test name as the events' source. */
const SOURCE = '/scim-provisioning/event-publisher-test';

/** The outage test's own broker: another port and data folder, the same jars. */
const outage = ownBroker(19192);
const OUTAGE_BROKER = outage.address;
const stopBroker = () => outage.stop();
/** `kafka.sh start` returns at once when the broker runs, and waits until it answers otherwise. */
const ensureBrokerRunning = () => outage.start();

function textHeaders(headers: IHeaders | undefined): Record<string, string | undefined> {
  return Object.fromEntries(Object.entries(headers ?? {}).map(([name, value]) => [name, value?.toString()]));
}

function expectedHeaders(event: RecordedEvent): Record<string, string> {
  return {
    ce_specversion: '1.0',
    ce_id: event.id,
    ce_source: SOURCE,
    ce_subject: event.streamId,
    ce_type: event.type,
    ce_time: String(event.metadata.occurredAt),
    'content-type': 'application/json',
  };
}

/**
 * Reads the topic as a consumer that dedupes by (streamId, revision) would: per stream, in offset
 * order, revision n must follow n - 1 (a gap otherwise); a revision already seen is a duplicate.
 */
function inStreamOrder(messages: readonly Received[]) {
  const last = new Map<string, bigint>();
  const partitionOf = new Map<string, number>();
  const gaps: string[] = [];
  const split = new Set<string>();
  let duplicates = 0;
  for (const message of messages) {
    const envelope = JSON.parse(message.value) as { streamId: string; revision: string };
    const revision = BigInt(envelope.revision);
    const seen = last.get(envelope.streamId) ?? -1n;
    if (revision <= seen) duplicates++;
    else if (revision === seen + 1n) last.set(envelope.streamId, revision);
    else gaps.push(`${envelope.streamId}: ${revision} after ${seen}`);
    const partition = partitionOf.get(envelope.streamId) ?? message.partition;
    if (partition !== message.partition) split.add(envelope.streamId);
    partitionOf.set(envelope.streamId, partition);
  }
  return { count: last.size, duplicates, gaps, splitAcrossPartitions: [...split] };
}

function countBy<T>(items: readonly T[], key: (item: T) => string): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const item of items) counts[key(item)] = (counts[key(item)] ?? 0) + 1;
  return counts;
}

// ---------------------------------------------------------------------------------------------------
// The workload: a deterministic mix of SCIM writes, `concurrency` at a time. Every request targets
// users and groups no concurrent request could make it fail on (a user is not deleted while another
// request adds it to a group), so every one of them must succeed.

interface WorkloadUser {
  readonly id: string;
  active: boolean;
  /** Requests in flight that name this user (patches, memberships); a delete waits for none. */
  busy: number;
  patching: boolean;
  deleted: boolean;
}

interface WorkloadGroup {
  readonly id: string;
  readonly name: string;
  readonly members: Set<WorkloadUser>;
  busy: boolean;
  deleted: boolean;
}

interface Workload {
  readonly requests: number;
  readonly ops: Record<string, number>;
  readonly failures: string[];
}

type Op = 'createUser' | 'patchUser' | 'toggleActive' | 'createGroup' | 'addMembers' | 'removeMember' | 'renameGroup' | 'deleteUser' | 'deleteGroup';

const MIX: readonly [Op, number][] = [
  ['createUser', 28],
  ['patchUser', 14],
  ['toggleActive', 6],
  ['createGroup', 10],
  ['addMembers', 16],
  ['removeMember', 8],
  ['renameGroup', 5],
  ['deleteUser', 8],
  ['deleteGroup', 5],
];

async function runWorkload(
  api: ScimApiUnderTest,
  options: { requests: number; concurrency: number; prefix: string; afterRequest?: (done: number) => void },
): Promise<Workload> {
  const users: WorkloadUser[] = [];
  const groups: WorkloadGroup[] = [];
  const ops: Record<string, number> = {};
  const failures: string[] = [];
  const random = seeded(options.prefix.split('').reduce((h, c) => h * 31 + c.charCodeAt(0), 7));
  let next = 0;
  let done = 0;
  const pick = <T>(items: readonly T[]): T | undefined => items[Math.floor(random() * items.length)];
  const choose = (): Op => {
    let roll = random() * MIX.reduce((sum, [, weight]) => sum + weight, 0);
    for (const [op, weight] of MIX) if ((roll -= weight) < 0) return op;
    return 'createUser';
  };
  const expect2xx = (what: string, res: { status: number; body: unknown }) => {
    if (res.status < 200 || res.status > 299) failures.push(`${what}: ${res.status} ${JSON.stringify(res.body)}`);
    return res.status >= 200 && res.status <= 299;
  };

  async function request(i: number): Promise<void> {
    const live = users.filter((u) => !u.deleted);
    const idleGroups = groups.filter((g) => !g.deleted && !g.busy);
    let op = choose();
    const user = op === 'deleteUser' ? pick(live.filter((u) => u.busy === 0)) : pick(live.filter((u) => !u.patching));
    const group = pick(idleGroups);
    if ((op === 'patchUser' || op === 'toggleActive' || op === 'deleteUser') && !user) op = 'createUser';
    if ((op === 'addMembers' || op === 'renameGroup' || op === 'deleteGroup') && !group) op = 'createGroup';
    if (op === 'addMembers' && live.length === 0) op = 'createUser';
    const liveMembers = (g: WorkloadGroup) => [...g.members].filter((m) => !m.deleted);
    const withMembers = op === 'removeMember' ? pick(idleGroups.filter((g) => liveMembers(g).length > 0)) : undefined;
    if (op === 'removeMember' && !withMembers) op = 'createUser';
    ops[op] = (ops[op] ?? 0) + 1;

    switch (op) {
      case 'createUser': {
        const res = await api.scim('post', '/Users', newUser(`${options.prefix}-user-${i}@example.com`, { displayName: `User ${i}` }));
        if (expect2xx(op, res)) users.push({ id: res.body.id, active: true, busy: 0, patching: false, deleted: false });
        return;
      }
      case 'patchUser':
      case 'toggleActive': {
        const u = user!;
        u.patching = true;
        u.busy++;
        const body =
          op === 'toggleActive'
            ? patchOp({ op: 'replace', path: 'active', value: !u.active })
            : patchOp({ op: 'replace', value: { displayName: `User ${i}`, title: `Title ${i}` } });
        const res = await api.scim('patch', `/Users/${u.id}`, body);
        if (expect2xx(op, res) && op === 'toggleActive') u.active = !u.active;
        u.patching = false;
        u.busy--;
        return;
      }
      case 'deleteUser': {
        const u = user!;
        u.deleted = true;
        expect2xx(op, await api.scim('delete', `/Users/${u.id}`));
        for (const g of groups) g.members.delete(u);
        return;
      }
      case 'createGroup': {
        const members = distinct([pick(live), pick(live)]);
        members.forEach((m) => m.busy++);
        const name = `${options.prefix}-group-${i}`;
        const res = await api.scim('post', '/Groups', { schemas: [GROUP_SCHEMA], displayName: name, members: members.map((m) => ({ value: m.id })) });
        members.forEach((m) => m.busy--);
        if (expect2xx(op, res)) groups.push({ id: res.body.id, name, members: new Set(members), busy: false, deleted: false });
        return;
      }
      case 'addMembers':
      case 'removeMember':
      case 'renameGroup':
      case 'deleteGroup': {
        const g = (withMembers ?? group)!;
        g.busy = true;
        if (op === 'addMembers') {
          const members = distinct([pick(live), pick(live), pick(live)]);
          members.forEach((m) => m.busy++);
          const res = await api.scim('patch', `/Groups/${g.id}`, patchOp({ op: 'Add', path: 'members', value: members.map((m) => ({ value: m.id })) }));
          members.forEach((m) => m.busy--);
          if (expect2xx(op, res)) members.forEach((m) => g.members.add(m));
        } else if (op === 'removeMember') {
          const member = pick(liveMembers(g))!;
          member.busy++;
          const res = await api.scim('patch', `/Groups/${g.id}`, patchOp({ op: 'remove', path: `members[value eq "${member.id}"]` }));
          member.busy--;
          if (expect2xx(op, res)) g.members.delete(member);
        } else if (op === 'renameGroup') {
          expect2xx(op, await api.scim('patch', `/Groups/${g.id}`, patchOp({ op: 'replace', path: 'displayName', value: `${g.name}-renamed-${i}` })));
        } else {
          g.deleted = true;
          expect2xx(op, await api.scim('delete', `/Groups/${g.id}`));
        }
        g.busy = false;
        return;
      }
    }
  }

  await Promise.all(
    Array.from({ length: options.concurrency }, async () => {
      while (next < options.requests) {
        await request(next++);
        options.afterRequest?.(++done);
      }
    }),
  );
  return { requests: options.requests, ops, failures };
}

function distinct<T>(items: readonly (T | undefined)[]): T[] {
  return [...new Set(items.filter((item): item is T => item !== undefined))];
}

/** mulberry32: the same mix on every run (the interleaving still varies). */
function seeded(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
