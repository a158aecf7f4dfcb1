import { randomUUID } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { setTimeout as delay } from 'node:timers/promises';
import { resolveKafkaSync } from '../../helpers/kafka';
import { createTestDatabase, type TestDatabase } from '../../helpers/postgres';
import { freePort } from '../../helpers/postgres-cluster';
import { ADMIN_TOKEN, SCIM_TOKEN, TOKEN_HMAC_SECRET } from '../../helpers/scim-api';
import { killAllServices, spawnService, type OutputLine, type ServiceProcess } from '../../helpers/service-process';

/** Where a service under test keeps its state and sends its events. */
export interface ServiceTarget {
  /** The service's database (a cluster of the scenario's own when the scenario stops Postgres). */
  readonly databaseUrl: string;
  readonly brokers: readonly string[];
  /** A topic of the scenario's own: checks read it from the beginning. */
  readonly topic: string;
  /** Extra environment (overrides the defaults below). */
  readonly env?: Readonly<Record<string, string>>;
}

/**
 * The real service as `make run` runs it (services/scim-api/main.ts: the API with its projections
 * in a worker thread, the event publisher and team-sync in the same process), on a fixed port so
 * clients keep one URL across kill -9 and restarts. Its tokens are the test ones (scim-api.ts).
 */
export interface ServiceUnderTest {
  /** http://127.0.0.1:<port>: the same for every incarnation. */
  readonly base: string;
  readonly target: ServiceTarget;
  /** The running incarnation (replaced by restart()). */
  readonly process: ServiceProcess;
  /** Every incarnation so far, the running one last. */
  readonly incarnations: readonly ServiceProcess[];
  /** Resolves once this incarnation answers (its "listening" line); rejects after timeoutMs. */
  ready(timeoutMs?: number): Promise<void>;
  /** SIGKILL: no shutdown hook runs (as in a crash or an OOM kill); resolves when the process is gone. */
  kill9(): Promise<void>;
  /** Starts a new incarnation on the same port and database; resolves once it listens. */
  restart(): Promise<void>;
  /** SIGTERM, then SIGKILL after 15 s. */
  stop(): Promise<void>;
  /** Resident set size of the running incarnation in bytes, from /proc (undefined when it is gone). */
  rss(): Promise<number | undefined>;
}

/** The environment the service runs with: test tokens, no rate limits that would throttle the load. team-sync keeps its default session (10 s): with
 * the broker's minimum (6 s) a starved 2-core machine missed heartbeats and the member was evicted over and over. */
export function serviceEnvironment(target: ServiceTarget, port: number, teamSyncGroup: string): Record<string, string> {
  return {
    PORT: String(port),
    DATABASE_URL: target.databaseUrl,
    TOKEN_HMAC_SECRET,
    SCIM_BOOTSTRAP_TOKEN: SCIM_TOKEN,
    ADMIN_BOOTSTRAP_TOKEN: ADMIN_TOKEN,
    KAFKA_BROKERS: target.brokers.join(','),
    KAFKA_TOPIC: target.topic,
    KAFKA_TOPIC_PARTITIONS: '3',
    RUN_TEAM_SYNC: 'true',
    TEAM_SYNC_PORT: '0',
    TEAM_SYNC_GROUP_ID: teamSyncGroup,
    SCIM_RATE_LIMIT_PER_SECOND: '100000',
    SCIM_AUTH_FAILURES_PER_MINUTE: '100000',
    ADMIN_SETTINGS_RATE_LIMIT_PER_SECOND: '100000',
    ADMIN_TEAM_LINK_RATE_LIMIT_PER_MINUTE: '100000',
    DATABASE_CONNECT_TIMEOUT_MS: '2000',
    READY_TIMEOUT_MS: '1500',
    ...target.env,
  };
}

const isApiListening = (line: OutputLine) => line.json?.msg === 'listening' && line.json.component === undefined;

/** Starts the service (see ServiceUnderTest) and waits until it listens. */
export async function startService(target: ServiceTarget, startTimeoutMs = 120_000): Promise<ServiceUnderTest> {
  const port = await freePort();
  const env = serviceEnvironment(target, port, `reliability-team-sync-${randomUUID()}`);
  const incarnations: ServiceProcess[] = [];
  const spawn = () => {
    const child = spawnService('services/scim-api/main.ts', env);
    incarnations.push(child);
    return child;
  };
  let current = spawn();
  const service: ServiceUnderTest = {
    base: `http://127.0.0.1:${port}`,
    target,
    get process() {
      return current;
    },
    incarnations,
    async ready(timeoutMs = startTimeoutMs) {
      await current.waitForLine(isApiListening, timeoutMs, 'the API listening');
    },
    async kill9() {
      current.kill('SIGKILL');
      await current.exited;
    },
    async restart() {
      // The port of a killed process is free at once (no TIME_WAIT on a listening socket).
      current = spawn();
      await service.ready();
    },
    async stop() {
      const running = current;
      running.kill('SIGTERM');
      const ended = await Promise.race([running.exited.then(() => true), delay(15_000).then(() => false)]);
      if (!ended) {
        running.kill('SIGKILL');
        await running.exited;
      }
    },
    async rss() {
      return rssOf(current.pid);
    },
  };
  await service.ready();
  return service;
}

/** VmRSS of a process in bytes, from /proc/<pid>/status; undefined when it has ended. */
export async function rssOf(pid: number): Promise<number | undefined> {
  try {
    const status = await readFile(`/proc/${pid}/status`, 'utf8');
    const kib = /^VmRSS:\s+(\d+) kB$/m.exec(status)?.[1];
    return kib === undefined ? undefined : Number(kib) * 1024;
  } catch {
    return undefined;
  }
}

/**
 * One gauge of a Prometheus text page (`<url>/metrics`): its value, or undefined when the page or
 * the gauge is missing (the service is down, or the collector failed).
 */
export async function gaugeValue(url: string, name: string): Promise<number | undefined> {
  try {
    const res = await fetch(`${url}/metrics`, { signal: AbortSignal.timeout(5_000) });
    const text = await res.text();
    const value = new RegExp(`^${name} (\\S+)$`, 'm').exec(text)?.[1];
    return value === undefined ? undefined : Number(value);
  } catch {
    return undefined;
  }
}

/** team-sync's own HTTP origin (http://host:port) in the running incarnation, from its "listening" line (which names /team-sync/state): its /metrics is there. */
export async function teamSyncUrl(service: ServiceUnderTest): Promise<string> {
  const line = await service.process.waitForLine((l) => l.json?.msg === 'listening' && l.json.component === 'team-sync', 60_000, "team-sync's listening line");
  return new URL(line.json!.url as string).origin;
}

/** What serviceOnTestDatabase gives a scenario: read `db` and `service` inside its tests (they exist from its beforeAll on). */
export interface ServiceOnTestDatabase {
  readonly db: TestDatabase;
  readonly service: ServiceUnderTest;
  /** The scenario's own topic (`reliability-<label>-<uuid>`). */
  readonly topic: string;
}

/**
 * Jest hooks for a scenario on the shared Postgres server and broker: before the file's tests, a
 * test database of its own (`rel_<label>`) and the service on it with a topic of its own; after
 * them, the service stopped, any leftover process killed and the database dropped.
 */
export function serviceOnTestDatabase(label: string, brokers: readonly string[]): ServiceOnTestDatabase {
  const topic = `reliability-${label}-${randomUUID()}`;
  let db: TestDatabase | undefined;
  let service: ServiceUnderTest | undefined;
  beforeAll(async () => {
    db = await createTestDatabase(`rel_${label}`, { migrate: false });
    service = await startService({ databaseUrl: db.url, brokers, topic });
  }, 180_000);
  afterAll(async () => {
    await service?.stop();
    await killAllServices();
    await db?.drop();
  }, 60_000);
  const started = <T>(value: T | undefined, what: string): T => {
    if (value === undefined) throw new Error(`the scenario's ${what} is not started: read it inside a test`);
    return value;
  };
  return {
    topic,
    get db() {
      return started(db, 'database');
    },
    get service() {
      return started(service, 'service');
    },
  };
}

/**
 * The shared broker's addresses for a scenario that runs on it, or undefined when no broker
 * answers (KAFKA_BROKERS, else the local one): then the scenario is skipped, and why is printed.
 */
export function scenarioBrokers(scenario: string): readonly string[] | undefined {
  const kafka = resolveKafkaSync();
  if ('brokers' in kafka) return kafka.brokers;
  console.warn(`SKIPPED: reliability ${scenario} did not run: ${kafka.skip}`);
  return undefined;
}
