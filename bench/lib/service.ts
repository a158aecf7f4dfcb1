/**
 * The SCIM service as a user runs it: its own process (`services/scim-api/main.ts`, the same
 * composition root as `make run`), configured only through its environment, talked to only over
 * HTTP. Nothing here reaches into the process, so the benchmarks keep working when its insides change.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, openSync, readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import path from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import pg from 'pg';

export const ROOT = path.resolve(__dirname, '..', '..');
export const SCIM_TOKEN = 'bench-scim-token-0123456789abcdef0123456789abcdef';
export const ADMIN_TOKEN = 'bench-admin-token-0123456789abcdef0123456789abcdef';
export const TOKEN_HMAC_SECRET = 'bench-hmac-secret-0123456789abcdef0123456789';
export const KAFKA_BROKERS = process.env.KAFKA_BROKERS ?? '127.0.0.1:9092';
/** Where every process the benchmarks start writes its output (git-ignored). */
export const OUT_DIR = path.join(ROOT, 'bench', '.out');

/** A free TCP port on the loopback interface. */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

export interface RunningProcess {
  readonly pid: number;
  readonly logFile: string;
  /** Resident set size now, and its peak (VmHWM), in bytes, from /proc. */
  memory(): { rss: number; peak: number };
  stop(): Promise<void>;
  readonly exited: Promise<number | null>;
}

/**
 * Starts a TypeScript entry point of this repository in a node process of its own (compiled on
 * load by tsx, or from dist/ with BENCH_SERVICE=dist after `make build`).
 */
export function startNodeProcess(entry: string, env: Record<string, string>, label: string, alwaysTsx = false, args: readonly string[] = []): RunningProcess {
  mkdirSync(OUT_DIR, { recursive: true });
  const logFile = path.join(OUT_DIR, `${label}.log`);
  const out = openSync(logFile, 'w');
  const fromDist = process.env.BENCH_SERVICE === 'dist' && !alwaysTsx;
  const command = fromDist ? [path.join(ROOT, 'dist', entry.replace(/\.ts$/, '.js'))] : ['--import', 'tsx', path.join(ROOT, entry)];
  const child: ChildProcess = spawn(process.execPath, [...command, ...args], {
    cwd: ROOT,
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/root', NODE_ENV: 'production', ...env },
    stdio: ['ignore', out, out],
  });
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return {
    pid: child.pid!,
    logFile,
    exited,
    memory() {
      const status = readFileSync(`/proc/${child.pid}/status`, 'utf8');
      const kb = (name: string) => Number(new RegExp(`^${name}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? NaN) * 1024;
      return { rss: kb('VmRSS'), peak: kb('VmHWM') };
    },
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
      await exited;
      clearTimeout(timer);
    },
  };
}

export interface Service extends RunningProcess {
  /** http://127.0.0.1:port */
  readonly origin: string;
  readonly kafkaTopic: string;
}

export interface ServiceOptions {
  readonly databaseUrl: string;
  readonly label: string;
  /** Extra environment (e.g. RUN_PROJECTIONS=false); the defaults are `make run`'s. */
  readonly env?: Record<string, string>;
  /** How long to wait for the first answer (a large store is projected before it listens). */
  readonly startTimeoutMs?: number;
}

/**
 * Starts the SCIM API with the default topology of `make run` (projection and Kafka publisher in
 * process), the bootstrap SCIM and admin tokens, the rate limit raised out of the way, and a Kafka
 * topic of its own (delete it with deleteTopics). Resolves once the SCIM API answers.
 */
export async function startService(options: ServiceOptions): Promise<Service> {
  const port = await freePort();
  const kafkaTopic = `bench-${process.pid}-${options.label}`.replace(/[^a-zA-Z0-9._-]/g, '-');
  await carryPublisherCheckpoint(options.databaseUrl, kafkaTopic);
  const child = startNodeProcess(
    'services/scim-api/main.ts',
    {
      DATABASE_URL: options.databaseUrl,
      PORT: String(port),
      HOST: '127.0.0.1',
      LOG_LEVEL: process.env.BENCH_LOG_LEVEL ?? 'warn',
      SCIM_BOOTSTRAP_TOKEN: SCIM_TOKEN,
      ADMIN_BOOTSTRAP_TOKEN: ADMIN_TOKEN,
      TOKEN_HMAC_SECRET,
      SCIM_RATE_LIMIT_PER_SECOND: '1000000',
      KAFKA_BROKERS,
      KAFKA_TOPIC: kafkaTopic,
      // Connections are named, so the server's log can tell the processes apart.
      PGAPPNAME: `bench-${options.label}`.slice(0, 60),
      ...options.env,
    },
    options.label,
  );
  const origin = `http://127.0.0.1:${port}`;
  await waitUntilAnswering(child, `${origin}/scim/v2/ServiceProviderConfig`, { Authorization: `Bearer ${SCIM_TOKEN}` }, options.label, options.startTimeoutMs ?? 120_000);
  return { ...child, origin, kafkaTopic };
}

/**
 * A copy of a template holds the checkpoint of the publisher that caught up on the template's own
 * (throwaway) topic, named `kafka:<topic>`. The copy's service publishes to a new topic, whose
 * checkpoint it would not find: it republished the whole store while the benchmark measured (a
 * profile found 100,000 events resent during the scale bench's load, and the RSS growing with
 * them: bench/results/rss-and-disable-profile.md). So the template's checkpoint is carried over to
 * the new topic's name. Nothing to carry on a database without one (a fresh one, or before its
 * migrations).
 */
async function carryPublisherCheckpoint(databaseUrl: string, kafkaTopic: string): Promise<void> {
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    await client.query(
      `INSERT INTO publisher_checkpoints (name, commit_position, prepare_position)
       SELECT $1, commit_position, prepare_position FROM publisher_checkpoints
        WHERE name LIKE 'kafka:bench-%' ORDER BY commit_position DESC, prepare_position DESC LIMIT 1
       ON CONFLICT (name) DO NOTHING`,
      [`kafka:${kafkaTopic}`],
    );
  } catch (error) {
    if ((error as { code?: string }).code !== '42P01') throw error; // undefined_table: not migrated yet
  } finally {
    await client.end();
  }
}

/** Waits until GET origin + path answers 2xx, or the process exits, or the deadline passes. */
async function waitUntilAnswering(child: RunningProcess, url: string, headers: Record<string, string>, label: string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const exitCode = await Promise.race([child.exited, delay(100).then(() => undefined)]);
    if (exitCode !== undefined) {
      throw new Error(`${label}: exited (${exitCode}) before answering; see ${child.logFile}:\n${readFileSync(child.logFile, 'utf8').slice(-2000)}`);
    }
    try {
      const res = await fetch(url, { headers });
      await res.arrayBuffer();
      if (res.ok) return;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) {
      await child.stop();
      throw new Error(`${label}: did not answer within ${timeoutMs} ms; see ${child.logFile}`);
    }
  }
}

/** The SCIMMY reference peer (bench/peers/scimmy-peer.ts) on a free port, with SCIM_TOKEN. */
export async function startScimmyPeer(label: string): Promise<RunningProcess & { origin: string }> {
  const port = await freePort();
  const child = startNodeProcess('bench/peers/scimmy-peer.ts', { PORT: String(port), SCIM_TOKEN }, label, true);
  const origin = `http://127.0.0.1:${port}`;
  await waitUntilAnswering(child, `${origin}/scim/v2/ServiceProviderConfig`, { Authorization: `Bearer ${SCIM_TOKEN}` }, label, 60_000);
  return { ...child, origin };
}

/** Deletes Kafka topics the benchmarks made (best effort: the broker may be down). */
export async function deleteTopics(topics: readonly string[]): Promise<void> {
  if (topics.length === 0) return;
  const { Kafka, logLevel } = await import('kafkajs');
  const admin = new Kafka({ brokers: KAFKA_BROKERS.split(','), clientId: 'bench-cleanup', logLevel: logLevel.NOTHING, retry: { retries: 1 } }).admin();
  try {
    await admin.connect();
    const existing = new Set(await admin.listTopics());
    const mine = topics.filter((t) => existing.has(t));
    if (mine.length > 0) await admin.deleteTopics({ topics: mine, timeout: 10_000 });
  } catch {
    // A broker that is down has no topics to clean.
  } finally {
    await admin.disconnect().catch(() => undefined);
  }
}
