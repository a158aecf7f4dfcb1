/**
 * The benchmarks' own PostgreSQL cluster, made with Debian's pg_createcluster on its own port, so
 * that the settings the measures need can be set without touching the shared server:
 * - track_commit_timestamp = on: an event's commit and its read-model row's commit are both dated
 *   by Postgres itself (pg_xact_commit_timestamp), to the microsecond, from the same clock;
 * - shared_preload_libraries = pg_stat_statements, and log_statement per database, to count every
 *   statement a request causes;
 * - a transaction held open in another database of the same cluster (cluster-wide xids) disturbs
 *   only the benchmark, not the other users of the shared server.
 * Everything else keeps Debian's defaults (fsync on, synchronous_commit on, autovacuum on).
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import pg from 'pg';

export const CLUSTER_NAME = process.env.BENCH_PG_CLUSTER ?? 'scimbench';
export const CLUSTER_PORT = Number(process.env.BENCH_PG_PORT ?? 5499);

const SETTINGS = [
  `listen_addresses = '127.0.0.1'`,
  `track_commit_timestamp = on`,
  `shared_preload_libraries = 'pg_stat_statements'`,
  // Backend pid and application name on every line: statements are counted per process.
  `log_line_prefix = '%m [%p] %a@%d '`,
  `max_connections = 200`,
].join('\n');

export interface BenchCluster {
  readonly version: string;
  readonly port: number;
  /** The server's log file (statements logged with log_statement=all land here). */
  readonly logFile: string;
  url(database?: string): string;
  /** One statement in `database`, rows returned. */
  query<T extends pg.QueryResultRow = pg.QueryResultRow>(sql: string, params?: unknown[], database?: string): Promise<T[]>;
  createDatabase(name: string, template?: string): Promise<void>;
  dropDatabase(name: string): Promise<void>;
  databaseExists(name: string): Promise<boolean>;
  /** A short description of the server for the reports. */
  describe(): Promise<string>;
}

function newestVersion(): string {
  const versions = existsSync('/usr/lib/postgresql') ? readdirSync('/usr/lib/postgresql').filter((v) => /^\d+$/.test(v)) : [];
  if (versions.length === 0) {
    throw new Error('no PostgreSQL server under /usr/lib/postgresql: apt-get install -y postgresql postgresql-contrib');
  }
  return versions.sort((a, b) => Number(b) - Number(a))[0]!;
}

function clusterStatus(version: string): 'online' | 'down' | 'absent' {
  const out = execFileSync('pg_lsclusters', ['--no-header'], { encoding: 'utf8' });
  const line = out.split('\n').find((l) => {
    const [v, name] = l.trim().split(/\s+/);
    return v === version && name === CLUSTER_NAME;
  });
  if (!line) return 'absent';
  return line.includes('online') ? 'online' : 'down';
}

/** Creates the cluster if missing, (re)writes its settings, and starts it; idempotent. */
export async function ensureCluster(): Promise<BenchCluster> {
  const version = newestVersion();
  const confDir = `/etc/postgresql/${version}/${CLUSTER_NAME}/conf.d`;
  let status = clusterStatus(version);
  if (status === 'absent') {
    execFileSync('pg_createcluster', [version, CLUSTER_NAME, '-p', String(CLUSTER_PORT), '--', '--auth=trust'], { stdio: 'ignore' });
    status = 'down';
  }
  const confFile = `${confDir}/bench.conf`;
  const current = existsSync(confFile) ? readFileSync(confFile, 'utf8') : '';
  if (current !== SETTINGS) {
    writeFileSync(confFile, SETTINGS);
    if (status === 'online') execFileSync('pg_ctlcluster', [version, CLUSTER_NAME, 'restart'], { stdio: 'ignore' });
  }
  if (status === 'down') execFileSync('pg_ctlcluster', [version, CLUSTER_NAME, 'start'], { stdio: 'ignore' });

  const url = (database = 'postgres') => `postgres://postgres@127.0.0.1:${CLUSTER_PORT}/${database}`;
  const query = async <T extends pg.QueryResultRow>(sql: string, params: unknown[] = [], database = 'postgres') => {
    const client = new pg.Client({ connectionString: url(database), application_name: 'bench' });
    await client.connect();
    try {
      return (await client.query<T>(sql, params)).rows;
    } finally {
      await client.end();
    }
  };
  const quote = (name: string) => `"${name.replace(/"/g, '""')}"`;
  const cluster: BenchCluster = {
    version,
    port: CLUSTER_PORT,
    logFile: `/var/log/postgresql/postgresql-${version}-${CLUSTER_NAME}.log`,
    url,
    query,
    async createDatabase(name, template) {
      await query(`CREATE DATABASE ${quote(name)}${template ? ` TEMPLATE ${quote(template)}` : ''}`);
    },
    async dropDatabase(name) {
      await query(`DROP DATABASE IF EXISTS ${quote(name)} WITH (FORCE)`);
    },
    async databaseExists(name) {
      return (await query('SELECT 1 FROM pg_database WHERE datname = $1', [name])).length > 0;
    },
    async describe() {
      const rows = await query<{ name: string; setting: string }>(
        `SELECT name, setting FROM pg_settings WHERE name IN ('server_version','fsync','synchronous_commit','shared_buffers','autovacuum','track_commit_timestamp') ORDER BY name`,
      );
      const s = Object.fromEntries(rows.map((r) => [r.name, r.setting]));
      return `PostgreSQL ${s.server_version} (own cluster ${CLUSTER_NAME} on port ${CLUSTER_PORT}: fsync ${s.fsync}, synchronous_commit ${s.synchronous_commit}, shared_buffers ${Number(s.shared_buffers) * 8 / 1024} MB, autovacuum ${s.autovacuum}, track_commit_timestamp ${s.track_commit_timestamp})`;
    },
  };
  // Wait until it accepts connections (a fresh start takes a moment).
  for (let attempt = 0; ; attempt++) {
    try {
      await query('SELECT 1');
      break;
    } catch (error) {
      if (attempt > 50) throw error;
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
  }
  await query('CREATE EXTENSION IF NOT EXISTS pg_stat_statements');
  return cluster;
}

/** Stops the cluster (its data stays for the next run); `make bench` does this at the end. */
export function stopCluster(): void {
  const version = newestVersion();
  if (clusterStatus(version) === 'online') execFileSync('pg_ctlcluster', [version, CLUSTER_NAME, 'stop'], { stdio: 'ignore' });
}
