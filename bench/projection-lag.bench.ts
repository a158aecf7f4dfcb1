/**
 * (d) Projection lag under load: from an event's commit to the commit of the read-model
 * transaction that applied it, at CLIENTS closed-loop clients running Entra's cycle
 * (POST a user → GET ?filter=userName → PATCH it → GET it by id).
 *
 *   BENCH_MODE=quick|full node_modules/.bin/tsx bench/projection-lag.bench.ts
 *
 * Both ends are dated by Postgres itself, to the microsecond, with track_commit_timestamp (on in
 * the bench cluster): pg_xact_commit_timestamp of the event row's transaction, and of the
 * transaction that wrote the event's row in the read model's activity feed (one row per event,
 * keyed by its id, written by the projection in the same transaction as the rest of that
 * event's read-model rows). No clock of the client or the service takes part.
 */
import { randomUUID } from 'node:crypto';
import { barChartSvg } from './lib/chart';
import { benchContext } from './lib/context';
import { byUserName, entraUserBody, entraUserPatch } from './lib/entra';
import { closedLoop, ensureStatus, scimClient } from './lib/http';
import { param, runBenchmark, writeReport } from './lib/report';
import { SCIM_TOKEN } from './lib/service';
import { fmt, quantile, repeated, spread } from './lib/stats';

const CLIENTS = param('CLIENTS', 32, 32);
const REPEATS = param('REPEATS', 3, 5);
const SECONDS = param('SECONDS', 3, 15);

/** Lag of every event recorded since `since`, in ms; events not yet in the read model are counted apart. */
export const LAG_SQL = `
  SELECT extract(epoch FROM pg_xact_commit_timestamp(a.xmin) - pg_xact_commit_timestamp(e.xmin)) * 1000 AS lag_ms
    FROM events e LEFT JOIN platform_read.activity a ON a.event_id = e.event_id::text
   WHERE e.recorded_at >= $1 AND e.recorded_at < $2`;

async function main(): Promise<void> {
  const ctx = await benchContext('projection-lag');
  try {
    const database = await ctx.database('db');
    const service = await ctx.service(database, 'api');
    const client = scimClient(service.origin, SCIM_TOKEN, CLIENTS);
    ctx.onCleanup(async () => client.close());

    const p50: number[] = [];
    const p99: number[] = [];
    const maxima: number[] = [];
    const rates: number[] = [];
    const counts: number[] = [];
    let missing = 0;
    for (let r = 0; r < REPEATS; r++) {
      const run = randomUUID().slice(0, 8);
      const from = new Date();
      const load = await closedLoop({
        clients: CLIENTS,
        durationMs: SECONDS * 1000,
        warmupMs: 0,
        operation: async (c, i) => {
          const body = entraUserBody(`${run}c${c}`, i);
          const created = ensureStatus(await client.request('POST', '/scim/v2/Users', body), 201, 'POST /Users');
          const id = (created.body as { id: string }).id;
          ensureStatus(await client.request('GET', `/scim/v2/Users?${byUserName(body.userName as string)}`), 200, 'GET ?filter');
          ensureStatus(await client.request('PATCH', `/scim/v2/Users/${id}`, entraUserPatch(`Title ${i}`)), 200, 'PATCH /Users');
          ensureStatus(await client.request('GET', `/scim/v2/Users/${id}`), 200, 'GET /Users/:id');
          return true;
        },
      });
      const to = new Date();
      if (load.failures > 0) throw new Error(`${load.failures} cycles failed: ${load.failureSamples.join('; ')}`);
      // Every write answered after its read model was there; wait a moment for stragglers anyway.
      await new Promise((resolve) => setTimeout(resolve, 500));
      const rows = await ctx.cluster.query<{ lag_ms: number | null }>(LAG_SQL, [from, to], database);
      const lags = rows.flatMap((row) => (row.lag_ms === null ? [] : [Number(row.lag_ms)]));
      missing += rows.length - lags.length;
      p50.push(quantile(lags, 0.5));
      p99.push(quantile(lags, 0.99));
      maxima.push(Math.max(...lags));
      rates.push(lags.length / SECONDS);
      counts.push(lags.length);
      process.stderr.write(`  repeat ${r + 1}/${REPEATS}: ${lags.length} events, lag p50 ${quantile(lags, 0.5).toFixed(1)} ms, p99 ${quantile(lags, 0.99).toFixed(1)} ms\n`);
    }
    const P99 = repeated(p99);
    writeReport({
      name: 'projection-lag',
      title: `Projection lag at ${CLIENTS} clients`,
      script: 'bench/projection-lag.bench.ts',
      postgres: ctx.postgres,
      method:
        `${CLIENTS} closed-loop clients run Entra's cycle (POST user → GET ?filter=userName → PATCH title → GET by id) for ${SECONDS} s per repeat, ${REPEATS} repeats, against the service as \`make run\` starts it. ` +
        `Lag of every event written in the window: commit of the read-model transaction that wrote its activity row minus commit of the event's transaction, both from pg_xact_commit_timestamp (track_commit_timestamp on). ` +
        `${missing} events had no read-model row after the run.`,
      targets: [{ target: `projection lag p99 at ${CLIENTS} clients ≤ 50 ms`, measured: `${fmt(P99.median, 1)} ms (min ${fmt(P99.min, 1)})`, met: P99.median <= 50 }],
      sections: [
        '## Results',
        [
          '| measure | median of repeats (min–max) |',
          '|---|---|',
          `| lag p50 (ms) | ${spread(repeated(p50), 1)} |`,
          `| lag p99 (ms) | ${spread(P99, 1)} |`,
          `| lag max (ms) | ${spread(repeated(maxima), 1)} |`,
          `| events per repeat | ${spread(repeated(counts))} |`,
          `| events/s | ${spread(repeated(rates))} |`,
        ].join('\n'),
        "The issue's figures (today): p50 150-220 ms, p99 300-550 ms at 32 clients.",
      ],
      chartSvg: barChartSvg({
        title: `Projection lag at ${CLIENTS} clients`,
        yLabel: 'ms',
        categories: ['p50', 'p99', 'max'],
        series: [{ name: 'event commit → read-model commit', values: [repeated(p50), P99, repeated(maxima)] }],
        lines: [{ value: 50, label: 'target p99 ≤ 50 ms' }],
      }),
    });
  } finally {
    await ctx.cleanup();
  }
}

runBenchmark(main);
