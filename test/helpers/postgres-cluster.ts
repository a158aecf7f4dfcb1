import { execFile } from 'node:child_process';
import { existsSync, readdirSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { promisify } from 'node:util';
import { randomBytes } from 'node:crypto';
import pg from 'pg';

const run = promisify(execFile);

/**
 * A PostgreSQL cluster of a test's own (Debian's pg_createcluster on a free port), for tests that
 * stop and start Postgres: the shared server on 5432 is never touched. Trust authentication on
 * 127.0.0.1, fsync off (a throw-away cluster). `drop()` stops and removes it.
 */
export interface OwnPostgresCluster {
  readonly name: string;
  readonly port: number;
  url(database?: string): string;
  /** `pg_ctlcluster … stop -m <mode>`: `fast` ends every session with 57P01 (an administrator's shutdown), `immediate` as in a crash. */
  stop(mode?: 'fast' | 'immediate'): Promise<void>;
  /** Starts it and waits until it accepts connections. */
  start(): Promise<void>;
  drop(): Promise<void>;
}

/** Why this machine cannot make a cluster of the test's own, or undefined when it can. */
export function ownClusterUnavailable(): string | undefined {
  if (!existsSync('/usr/lib/postgresql') || readdirSync('/usr/lib/postgresql').length === 0) return 'no PostgreSQL server under /usr/lib/postgresql';
  if (process.getuid?.() !== 0) return 'pg_createcluster needs root here (the tests run as another user)';
  return undefined;
}

function newestVersion(): string {
  const versions = readdirSync('/usr/lib/postgresql').filter((v) => /^\d+$/.test(v));
  return versions.sort((a, b) => Number(b) - Number(a))[0]!;
}

/** A TCP port on 127.0.0.1 nothing listens on at the moment of asking. */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

async function waitUntilAccepting(url: string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const client = new pg.Client({ connectionString: url });
    client.on('error', () => undefined);
    try {
      await client.connect();
      await client.query('SELECT 1');
      await client.end();
      return;
    } catch (error) {
      await client.end().catch(() => undefined);
      if (Date.now() > deadline) throw error;
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
  }
}

export async function createOwnCluster(label: string): Promise<OwnPostgresCluster> {
  const version = newestVersion();
  const name = `scimtest_${label.replace(/[^a-z0-9]+/gi, '_').toLowerCase().slice(0, 20)}_${randomBytes(3).toString('hex')}`;
  const port = await freePort();
  await run('pg_createcluster', [version, name, '-p', String(port), '--', '--auth=trust', '--no-sync']);
  writeFileSync(`/etc/postgresql/${version}/${name}/conf.d/test.conf`, [`listen_addresses = '127.0.0.1'`, 'fsync = off', 'synchronous_commit = off', 'full_page_writes = off'].join('\n'));
  const url = (database = 'postgres') => `postgres://postgres@127.0.0.1:${port}/${database}`;
  const cluster: OwnPostgresCluster = {
    name,
    port,
    url,
    async stop(mode = 'fast') {
      await run('pg_ctlcluster', [version, name, 'stop', '-m', mode]);
    },
    async start() {
      await run('pg_ctlcluster', [version, name, 'start']);
      await waitUntilAccepting(url(), 30_000);
    },
    async drop() {
      await run('pg_dropcluster', ['--stop', version, name]);
    },
  };
  try {
    await cluster.start();
  } catch (error) {
    await cluster.drop().catch(() => undefined);
    throw error;
  }
  return cluster;
}
