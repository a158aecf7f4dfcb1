/**
 * Read side under a simple load: projection lag (event committed → projected) and the wait that
 * read-your-writes adds to reads, with the same requests timed side by side in one run.
 *
 *   make bench-read-side      (writes bench/results/read-side.md)
 *
 * Load: CLIENTS concurrent clients, each repeating an Entra-like cycle ROUNDS times:
 * POST user → GET ?filter=userName → PATCH → GET /Users/:id. Baseline: the same GETs from an
 * instance that has acknowledged no write (so it never waits), over the same database.
 */
import { writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { filter, firstValueFrom } from 'rxjs';
import { startProjection } from '../projections/runtime/runner';
import { scimProjection } from '../projections/scim/projection';
import { composeScimApi } from '../services/scim-api/compose';
import { loadConfig } from '../shared/config';
import { withDatabase } from '../shared/db/connection-string';
import { dropDatabase } from '../shared/db/create-database';
import { migrate } from '../shared/db/migrate';
import { createPool } from '../shared/db/pool';
import { createPostgresEventStore } from '../shared/eventstore/postgres/postgres-event-store';
import { comparePositions, type Position } from '../shared/eventstore/position';
import { createLogger } from '../shared/logging/logger';

const CLIENTS = Number(process.env.CLIENTS ?? 4);
const ROUNDS = Number(process.env.ROUNDS ?? 150);
const TOKEN = 'bench-token-0123456789abcdef0123456789abcdef';

const quantile = (values: number[], q: number) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? NaN;
};
const ms = (n: number) => `${n.toFixed(2)} ms`;

async function main(): Promise<void> {
  const url = withDatabase(process.env.POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres', `bench_read_side_${process.pid}`);
  await migrate(url);
  const pool = createPool(url, 20);
  const store = createPostgresEventStore({ pool });
  const log = createLogger({ level: 'silent' });
  const config = loadConfig({ DATABASE_URL: url, SCIM_BOOTSTRAP_TOKEN: TOKEN, TOKEN_HMAC_SECRET: 'bench-hmac-secret-0123456789abcdef0123', SCIM_RATE_LIMIT_PER_SECOND: '1000000' });
  const runner = startProjection({ pool, store, projection: scimProjection, log });
  await firstValueFrom(runner.caughtUp$.pipe(filter(Boolean)));

  // When each checkpoint was committed, to date every event's projection.
  const checkpoints: { position: Position; at: number }[] = [];
  runner.checkpoint$.subscribe((position) => position && checkpoints.push({ position, at: Date.now() }));

  const waits: number[] = [];
  const writerApi = composeScimApi({ config, pool, eventStore: store, log, clock: { now: () => new Date() }, checkpoints: { scim: runner.checkpoint$, platform: runner.checkpoint$ }, onReadYourWritesWait: (s) => waits.push(s * 1000) });
  const readerApi = composeScimApi({ config, pool, eventStore: store, log, clock: { now: () => new Date() }, checkpoints: { scim: runner.checkpoint$, platform: runner.checkpoint$ } });
  const writer = writerApi.app;
  const reader = readerApi.app;
  const listen = (app: typeof writer) =>
    new Promise<{ base: string; close: () => void }>((resolve) => {
      const server = app.listen(0, '127.0.0.1', () => resolve({ base: `http://127.0.0.1:${(server.address() as AddressInfo).port}/scim/v2`, close: () => server.close() }));
    });
  await writerApi.initialise();
  const [w, r] = await Promise.all([listen(writer), listen(reader)]);
  const headers = { Authorization: `Bearer ${TOKEN}`, 'Content-Type': 'application/scim+json' };
  const timed = async (fn: () => Promise<Response>) => {
    const start = performance.now();
    const res = await fn();
    await res.arrayBuffer();
    if (!res.ok) throw new Error(`HTTP ${res.status}`);
    return performance.now() - start;
  };

  const afterWrite: number[] = [];
  const baseline: number[] = [];
  const started = performance.now();
  const loadStartedAt = new Date();
  await Promise.all(
    Array.from({ length: CLIENTS }, async (_, client) => {
      for (let round = 0; round < ROUNDS; round++) {
        const userName = `c${client}r${round}@bench.example.com`;
        const created = await fetch(`${w.base}/Users`, { method: 'POST', headers, body: JSON.stringify({ userName, emails: [{ value: userName }] }) });
        const { id } = (await created.json()) as { id: string };
        const byName = `${encodeURIComponent(`userName eq "${userName}"`)}`;
        afterWrite.push(await timed(() => fetch(`${w.base}/Users?filter=${byName}`, { headers })));
        baseline.push(await timed(() => fetch(`${r.base}/Users?filter=${byName}`, { headers })));
        await fetch(`${w.base}/Users/${id}`, { method: 'PATCH', headers, body: JSON.stringify({ Operations: [{ op: 'replace', path: 'title', value: `r${round}` }] }) });
        afterWrite.push(await timed(() => fetch(`${w.base}/Users/${id}`, { headers })));
        baseline.push(await timed(() => fetch(`${r.base}/Users/${id}`, { headers })));
      }
    }),
  );
  const seconds = (performance.now() - started) / 1000;

  // Projection lag: an event's commit (recorded_at) to the checkpoint commit that covered it.
  const { rows } = await pool.query<{ transaction_id: string; global_position: bigint; recorded_at: Date }>(
    // Only events the load wrote: start-up's own events (owners team, bootstrap token) predate the subscription.
    'SELECT transaction_id::text, global_position, recorded_at FROM events WHERE recorded_at >= $1 ORDER BY transaction_id, global_position',
    [loadStartedAt],
  );
  const lags = rows.map((row) => {
    const position = { commit: BigInt(row.transaction_id), prepare: row.global_position };
    const covered = checkpoints.find((c) => comparePositions(c.position, position) >= 0);
    return covered ? covered.at - row.recorded_at.getTime() : NaN;
  }).filter((n) => !Number.isNaN(n));

  const report = [
    `# Read side: projection lag and read-your-writes wait`,
    ``,
    `Command: \`make bench-read-side\` (CLIENTS=${CLIENTS} ROUNDS=${ROUNDS}); ${new Date().toISOString()}; node ${process.version}; ${process.platform}, ${cpus().length} cores.`,
    `Load: ${CLIENTS} concurrent clients × ${ROUNDS} rounds of POST → GET ?filter → PATCH → GET /:id against one API instance with the projection in process (Postgres event store, LISTEN/NOTIFY wake-up); ${rows.length} events in ${seconds.toFixed(1)} s.`,
    ``,
    `| measure | p50 | p90 | p99 | max | samples |`,
    `|---|---|---|---|---|---|`,
    `| projection lag (event commit → read model commit) | ${ms(quantile(lags, 0.5))} | ${ms(quantile(lags, 0.9))} | ${ms(quantile(lags, 0.99))} | ${ms(Math.max(...lags))} | ${lags.length} |`,
    `| read-your-writes wait inside a read | ${ms(quantile(waits, 0.5))} | ${ms(quantile(waits, 0.9))} | ${ms(quantile(waits, 0.99))} | ${ms(Math.max(...waits))} | ${waits.length} |`,
    `| GET right after this instance's write (waits) | ${ms(quantile(afterWrite, 0.5))} | ${ms(quantile(afterWrite, 0.9))} | ${ms(quantile(afterWrite, 0.99))} | ${ms(Math.max(...afterWrite))} | ${afterWrite.length} |`,
    `| same GET from an instance with no writes (never waits) | ${ms(quantile(baseline, 0.5))} | ${ms(quantile(baseline, 0.9))} | ${ms(quantile(baseline, 0.99))} | ${ms(Math.max(...baseline))} | ${baseline.length} |`,
    ``,
    `Added latency of read-your-writes at the median: ${ms(quantile(afterWrite, 0.5) - quantile(baseline, 0.5))} ` +
      `(ratio ${(quantile(afterWrite, 0.5) / quantile(baseline, 0.5)).toFixed(2)}). Write responses already wait for the read model ` +
      `(they are rendered from it), so a GET after a write usually finds the checkpoint there and waits ~0.`,
    ``,
  ].join('\n');
  process.stdout.write(report);
  writeFileSync(path.join(__dirname, 'results', 'read-side.md'), report);

  w.close();
  r.close();
  await writerApi.close();
  await readerApi.close();
  await runner.stop();
  await store.close();
  await pool.end();
  await dropDatabase(url);
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
