import { randomUUID } from 'node:crypto';
import { createServer as createHttpServer, type Server } from 'node:http';
import { createServer, type Server as NetServer } from 'node:net';
import type { AddressInfo } from 'node:net';
import type { Kafka } from 'kafkajs';
import { answerStarting } from '../../services/scim-api/http/starting';
import { databaseName, withDatabase } from '../../shared/db/connection-string';
import { createKafka } from '../../shared/kafka/client';
import { resolveKafkaSync } from '../helpers/kafka';
import { createTestDatabase, postgresServerUrl, type TestDatabase } from '../helpers/postgres';
import { ADMIN_TOKEN, ERROR, newUser, SCIM_TOKEN, TOKEN_HMAC_SECRET } from '../helpers/scim-api';
import { duplicateKeys, killAllServices, spawnService, type OutputLine, type ServiceProcess } from '../helpers/service-process';

/**
 * The processes as an operator starts them (`node` on the entry point, its own environment,
 * JSON logs on stdout): a healthy start is quiet, a taken port is a failed start before any
 * consumer joins, and a component that fails to start stops what it started.
 */
const target = resolveKafkaSync();
const API = 'services/scim-api/main.ts';
const TEAM_SYNC = 'services/team-sync/main.ts';

const isMsg = (msg: string, component?: string) => (line: OutputLine) => line.json?.msg === msg && (component === undefined || line.json.component === component);

/** A TCP port something else holds, as another program (or a healthy instance) would. */
async function holdPort(): Promise<{ port: number; release: () => Promise<void> }> {
  const server: NetServer = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { port: (server.address() as AddressInfo).port, release: () => new Promise<void>((resolve) => server.close(() => resolve())) };
}

describe('the start-up answer (before the service is ready)', () => {
  let server: Server;
  let base: string;
  beforeAll(async () => {
    server = createHttpServer(answerStarting);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

  it('is 503 with Retry-After, as a SCIM error on /scim/v2', async () => {
    const res = await fetch(`${base}/scim/v2/Users?filter=userName%20eq%20%22a%22`);
    expect(res.status).toBe(503);
    expect(res.headers.get('retry-after')).toBe('1');
    expect(res.headers.get('content-type')).toBe('application/scim+json; charset=utf-8');
    expect(await res.json()).toEqual({ schemas: [ERROR], status: '503', detail: 'the service is starting; retry in a moment' });
  });

  it('is a JSON:API error document on the admin API, and JSON elsewhere (the health probes too)', async () => {
    const admin = await fetch(`${base}/api/v2/admin/teams`);
    expect(admin.status).toBe(503);
    expect(admin.headers.get('content-type')).toBe('application/vnd.api+json');
    expect(await admin.json()).toEqual({ errors: [{ status: '503', title: 'service unavailable', detail: 'the service is starting; retry in a moment' }] });
    const health = await fetch(`${base}/healthz`);
    expect(health.status).toBe(503);
    expect(await health.json()).toEqual({ status: 'starting', detail: 'the service is starting; retry in a moment' });
  });
});

if ('skip' in target) {
  if (process.env.CI === 'true') {
    test(`service start-up: no broker in CI (${target.skip})`, () => {
      throw new Error(`CI always starts a Kafka broker, but: ${target.skip}`);
    });
  } else {
    console.warn(`service start-up tests skipped: ${target.skip}`);
    test(`service start-up tests skipped: ${target.skip}`, () => undefined);
  }
} else {
  const brokers = target.brokers.join(',');

  describe(`the service process against ${brokers}`, () => {
    jest.setTimeout(120_000);
    let db: TestDatabase;
    let kafka: Kafka;
    const topics: string[] = [];

    /** The environment `make run` gives the process, on a database and topic of this test's own. */
    const env = (extra: Record<string, string> = {}): Record<string, string> => {
      const topic = extra.KAFKA_TOPIC ?? `service-start-${randomUUID()}`;
      if (!topics.includes(topic)) topics.push(topic);
      return {
        DATABASE_URL: db.url,
        KAFKA_BROKERS: brokers,
        KAFKA_TOPIC: topic,
        KAFKA_TOPIC_PARTITIONS: '3',
        PORT: '0',
        TEAM_SYNC_PORT: '0',
        RUN_TEAM_SYNC: 'true',
        TEAM_SYNC_GROUP_ID: `service-start-${randomUUID()}`,
        TOKEN_HMAC_SECRET,
        SCIM_BOOTSTRAP_TOKEN: SCIM_TOKEN,
        ADMIN_BOOTSTRAP_TOKEN: ADMIN_TOKEN,
        ...extra,
      };
    };

    /** The consumer group as the broker knows it: `Dead` when no member ever joined it. */
    const groupState = async (groupId: string) => {
      const admin = kafka.admin();
      await admin.connect();
      try {
        const { groups } = await admin.describeGroups([groupId]);
        return { state: groups[0]?.state, members: groups[0]?.members.length };
      } finally {
        await admin.disconnect();
      }
    };

    const urlOf = (line: OutputLine) => String(line.json!.url);

    beforeAll(async () => {
      db = await createTestDatabase('service_start', { migrate: false });
      kafka = createKafka({ brokers: target.brokers, clientId: 'service-start-test', connectionTimeout: 1000 });
    });

    afterAll(async () => {
      await killAllServices();
      const admin = kafka.admin();
      await admin.connect();
      await admin.deleteTopics({ topics, timeout: 10_000 }).catch(() => undefined);
      await admin.disconnect();
      await db.drop();
    });

    /** Started, used once (a user created, published, applied by team-sync), stopped with SIGTERM: every line it wrote. */
    async function startUseStop(environment: Record<string, string>): Promise<{ lines: OutputLine[]; exit: { code: number | null } }> {
      const api = spawnService(API, environment);
      const listening = await api.waitForLine((l) => isMsg('listening')(l) && l.json!.component === undefined, 60_000, 'the API listening');
      await api.waitForLine(isMsg('consuming', 'team-sync'), 30_000, 'team-sync consuming');
      await api.waitForLine(isMsg('publishing', 'event-publisher'), 30_000, 'the publisher publishing');
      const teamSyncUrl = urlOf(await api.waitForLine(isMsg('listening', 'team-sync'), 1_000));

      const created = await fetch(`${urlOf(listening)}/scim/v2/Users`, {
        method: 'POST',
        headers: { Authorization: `Bearer ${SCIM_TOKEN}`, 'Content-Type': 'application/scim+json' },
        body: JSON.stringify(newUser(`start-${randomUUID()}@example.com`)),
      });
      expect(created.status).toBe(201);
      // team-sync applies it (its offsets reach the topic's end): lag 0 on its /metrics.
      const metricsUrl = teamSyncUrl.replace('/team-sync/state', '/metrics');
      for (const deadline = Date.now() + 30_000; ; ) {
        const metrics = await (await fetch(metricsUrl)).text();
        if (/^team_sync_events_applied_total [1-9]/m.test(metrics) && /^team_sync_events_behind 0$/m.test(metrics)) break;
        if (Date.now() > deadline) throw new Error(`team-sync did not apply the user's events:\n${metrics}`);
        await new Promise((resolve) => setTimeout(resolve, 200));
      }
      expect((await fetch(teamSyncUrl)).status).toBe(200);

      api.kill('SIGTERM');
      const exit = await api.exited;
      return { lines: api.lines, exit };
    }

    it('logs no warning or error on a healthy start, nor on a restart over the topic it created; every key once per line, every component named', async () => {
      const environment = env();
      const first = await startUseStop(environment);
      const second = await startUseStop(environment);
      expect([first.exit.code, second.exit.code]).toEqual([0, 0]);

      const lines = [...first.lines, ...second.lines];
      expect(lines.filter((l) => !l.json).map((l) => l.raw)).toEqual([]);
      expect(lines.filter((l) => (l.json!.level ?? 0) >= 40).map((l) => l.raw)).toEqual([]);
      expect(lines.filter((l) => duplicateKeys(l.raw).length > 0).map((l) => l.raw)).toEqual([]);
      // kafkajs' lines are the publisher's or team-sync's, never a component of their own.
      const kafkajs = lines.filter((l) => l.json!.namespace !== undefined);
      expect(kafkajs.length).toBeGreaterThan(0);
      expect(kafkajs.filter((l) => !['team-sync', 'event-publisher'].includes(String(l.json!.component))).map((l) => l.raw)).toEqual([]);
      // Every line of team-sync's group says it is team-sync's.
      const groupLines = lines.filter((l) => l.json!.groupId === environment.TEAM_SYNC_GROUP_ID);
      expect(groupLines.length).toBeGreaterThan(0);
      expect(groupLines.filter((l) => l.json!.component !== 'team-sync').map((l) => l.raw)).toEqual([]);
      // The deployment's event source, printed at start.
      const starting = lines.find((l) => l.json!.msg === 'starting' && l.json!.component === undefined)!;
      expect(starting.json!.eventSource).toBe(`/scim-provisioning/${databaseName(db.url)}`);
      expect(second.lines.some(isMsg('topic created'))).toBe(false);
      expect(first.lines.some(isMsg('topic created'))).toBe(true);
      console.log(`[start-up] two healthy starts: ${lines.length} log lines, none at warn or above, no key twice, ${kafkajs.length} kafkajs lines all tagged`);
    });

    it('ends a start on a taken PORT with a clear message and exit 1, before migrating or joining a consumer group', async () => {
      const held = await holdPort();
      const missingDb = withDatabase(postgresServerUrl(), `t_never_created_${randomUUID().slice(0, 8)}`);
      const environment = env({ PORT: String(held.port), DATABASE_URL: missingDb });
      try {
        const started = Date.now();
        const api = spawnService(API, environment);
        const { code } = await api.exited;
        expect(code).toBe(1);
        expect(Date.now() - started).toBeLessThan(30_000);
        const fatal = api.lines.filter((l) => l.json?.level === 60);
        expect(fatal.map((l) => l.json!.msg)).toEqual([
          `failed to start: the SCIM API cannot listen on 127.0.0.1:${held.port}: the port is already in use (another instance of this service, or another program). Stop it, or set PORT to a free port.`,
        ]);
        expect(api.lines.some(isMsg('listening'))).toBe(false);
        expect(await groupState(environment.TEAM_SYNC_GROUP_ID!)).toEqual({ state: 'Dead', members: 0 });
        // Nothing ran after the port: not even the migration that would have created the database.
        const probe = await createTestDatabase('probe', { migrate: false });
        try {
          const { rows } = await probe.pool.query('SELECT 1 FROM pg_database WHERE datname = $1', [databaseName(missingDb)]);
          expect(rows).toEqual([]);
        } finally {
          await probe.drop();
        }
      } finally {
        await held.release();
      }
    });

    it("ends a start on a taken TEAM_SYNC_PORT (team-sync in the API process) with a clear message and exit 1, before team-sync's consumer joins", async () => {
      const held = await holdPort();
      const environment = env({ TEAM_SYNC_PORT: String(held.port) });
      try {
        const api = spawnService(API, environment);
        const { code } = await api.exited;
        expect(code).toBe(1);
        expect(api.lines.filter((l) => l.json?.level === 60).map((l) => l.json!.msg)).toEqual([
          `failed to start: team-sync cannot listen on 127.0.0.1:${held.port}: the port is already in use (another instance of this service, or another program). Stop it, or set TEAM_SYNC_PORT to a free port.`,
        ]);
        expect(api.lines.some(isMsg('partitions assigned; each seeks to its stored offset at its first batch'))).toBe(false);
        expect(await groupState(environment.TEAM_SYNC_GROUP_ID!)).toEqual({ state: 'Dead', members: 0 });
      } finally {
        await held.release();
      }
    });

    it('ends a start of team-sync alone on a taken TEAM_SYNC_PORT the same way', async () => {
      const held = await holdPort();
      const environment = env({ TEAM_SYNC_PORT: String(held.port) });
      try {
        const teamSync = spawnService(TEAM_SYNC, environment);
        const { code } = await teamSync.exited;
        expect(code).toBe(1);
        expect(teamSync.lines.filter((l) => l.json?.level === 60).map((l) => l.json!.msg)).toEqual([
          `failed to start: team-sync cannot listen on 127.0.0.1:${held.port}: the port is already in use (another instance of this service, or another program). Stop it, or set TEAM_SYNC_PORT to a free port.`,
        ]);
        expect(await groupState(environment.TEAM_SYNC_GROUP_ID!)).toEqual({ state: 'Dead', members: 0 });
      } finally {
        await held.release();
      }
    });

    it('stops team-sync (its port too) when its consumer cannot start, and goes on serving SCIM', async () => {
      // Nothing listens on port 1: every Kafka connection is refused, and nothing publishes.
      const api: ServiceProcess = spawnService(API, env({ KAFKA_BROKERS: '127.0.0.1:1', RUN_PUBLISHER: 'false' }));
      const listening = await api.waitForLine((l) => isMsg('listening')(l) && l.json!.component === undefined, 60_000, 'the API listening');
      const teamSyncUrl = urlOf(await api.waitForLine(isMsg('listening', 'team-sync'), 1_000));
      const failed = await api.waitForLine(isMsg('team-sync did not start: its consumer is not running, and its view is off (the service goes on)', 'team-sync'), 60_000);
      expect(failed.json!.level).toBe(50);
      // Its port closes (it stops what it started); the API's answers on.
      const refused = async () => fetch(teamSyncUrl).then(() => false, () => true);
      for (const deadline = Date.now() + 10_000; !(await refused()); ) {
        if (Date.now() > deadline) throw new Error(`team-sync still answers on ${teamSyncUrl}`);
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
      expect((await fetch(`${urlOf(listening)}/healthz`)).status).toBe(200);
      api.kill('SIGTERM');
      expect((await api.exited).code).toBe(0);
    });
  });
}
