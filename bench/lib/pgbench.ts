/**
 * The reference of the write benchmarks: PostgreSQL's own pgbench (Debian's postgresql-contrib)
 * running a custom script, one transaction per row: a ~1 KB row into a table with a unique index,
 * committed on its own (synchronous_commit on), at the same number of clients as the service's.
 * What the same server commits per second with nothing else in the way.
 */
import { execFile } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import type { BenchCluster } from './cluster';
import { OUT_DIR } from './service';

const run = promisify(execFile);

/** The pgbench script: a unique key per row and a body of 992 characters (about 1 KB a row). */
export const PGBENCH_SCRIPT = [
  '\\set n random(1, 2000000000)',
  "INSERT INTO bench_rows (k, body) VALUES (:client_id || '-' || :n || '-' || clock_timestamp(), repeat(md5(:n::text), 31));",
  '',
].join('\n');

export async function preparePgbench(cluster: BenchCluster, database: string): Promise<string> {
  await cluster.query(
    `CREATE TABLE IF NOT EXISTS bench_rows (id bigserial PRIMARY KEY, k text NOT NULL, body text NOT NULL);
     CREATE UNIQUE INDEX IF NOT EXISTS bench_rows_k_idx ON bench_rows (k);
     TRUNCATE bench_rows;`,
    [],
    database,
  );
  // bench/.out is git-ignored: a fresh clone has none until a benchmark makes it.
  mkdirSync(OUT_DIR, { recursive: true });
  const file = path.join(OUT_DIR, 'pgbench-one-row.sql');
  writeFileSync(file, PGBENCH_SCRIPT);
  return file;
}

export interface PgbenchResult {
  readonly tps: number;
  readonly latencyMs: number;
}

/** One pgbench run: `clients` connections for `seconds`, transactions per second without connection time. */
export async function pgbench(cluster: BenchCluster, database: string, script: string, clients: number, seconds: number): Promise<PgbenchResult> {
  const { stdout } = await run(
    'pgbench',
    ['-h', '127.0.0.1', '-p', String(cluster.port), '-U', 'postgres', '-n', '-f', script, '-c', String(clients), '-j', String(Math.min(clients, 2)), '-T', String(seconds), database],
    { maxBuffer: 1 << 20 },
  );
  const tps = Number(/tps = ([\d.]+) \(without initial connection time\)/.exec(stdout)?.[1]);
  const latencyMs = Number(/latency average = ([\d.]+) ms/.exec(stdout)?.[1]);
  if (!Number.isFinite(tps)) throw new Error(`pgbench printed no tps:\n${stdout}`);
  return { tps, latencyMs };
}
