/**
 * (e) A long transaction elsewhere on the same server: a transaction that holds a transaction id
 * for HOLD_MS in ANOTHER database of the same cluster (transaction ids are cluster-wide), and
 * what it adds to a POST /Users issued while it is open and to the GET of that user right after;
 * the same pair without it, in the same run, is the reference.
 *
 *   BENCH_MODE=quick|full node_modules/.bin/tsx bench/long-transaction.bench.ts
 */
import { randomUUID } from 'node:crypto';
import { setTimeout as delay } from 'node:timers/promises';
import pg from 'pg';
import { barChartSvg } from './lib/chart';
import { benchContext } from './lib/context';
import { entraUserBody } from './lib/entra';
import { scimClient, type HttpResult } from './lib/http';
import { param, runBenchmark, writeReport } from './lib/report';
import { SCIM_TOKEN } from './lib/service';
import { fmt, median, repeated, spread } from './lib/stats';

const HOLD_MS = param('HOLD_MS', 3_000, 3_000);
const REPEATS = param('REPEATS', 3, 5);
const BASELINE_PAIRS = param('BASELINE_PAIRS', 5, 10);

async function main(): Promise<void> {
  const ctx = await benchContext('long-transaction');
  try {
    const database = await ctx.database('db');
    const other = await ctx.database('other');
    const service = await ctx.service(database, 'api');
    const client = scimClient(service.origin, SCIM_TOKEN, 1);
    ctx.onCleanup(async () => client.close());
    const run = randomUUID().slice(0, 8);
    let n = 0;
    const pair = async (): Promise<{ post: HttpResult; get: HttpResult }> => {
      const post = await client.request('POST', '/scim/v2/Users', entraUserBody(run, n++));
      const id = (post.body as { id?: string }).id;
      const get = id ? await client.request('GET', `/scim/v2/Users/${id}`) : { status: 0, body: null, ms: NaN };
      return { post, get };
    };
    for (let i = 0; i < 3; i++) await pair(); // warm-up

    const basePost: number[] = [];
    const baseGet: number[] = [];
    const heldPost: number[] = [];
    const heldGet: number[] = [];
    const addedPost: number[] = [];
    const addedGet: number[] = [];
    const statuses: string[] = [];
    for (let r = 0; r < REPEATS; r++) {
      const bp: number[] = [];
      const bg: number[] = [];
      for (let i = 0; i < BASELINE_PAIRS; i++) {
        const { post, get } = await pair();
        if (post.status !== 201 || get.status !== 200) throw new Error(`baseline: POST ${post.status}, GET ${get.status}`);
        bp.push(post.ms);
        bg.push(get.ms);
      }
      // The long transaction: an xid taken at once, held for HOLD_MS, in the other database.
      const holder = new pg.Client({ connectionString: ctx.cluster.url(other), application_name: 'bench-long-transaction' });
      await holder.connect();
      await holder.query('BEGIN');
      await holder.query('SELECT pg_current_xact_id()');
      const held = holder.query(`SELECT pg_sleep(${HOLD_MS / 1000})`).then(() => holder.query('COMMIT'));
      await delay(100);
      const { post, get } = await pair();
      await held;
      await holder.end();
      statuses.push(`POST ${post.status}, GET ${get.status}`);
      basePost.push(median(bp));
      baseGet.push(median(bg));
      heldPost.push(post.ms);
      heldGet.push(get.ms);
      addedPost.push(post.ms - median(bp));
      addedGet.push(get.ms - median(bg));
      process.stderr.write(`  repeat ${r + 1}/${REPEATS}: POST ${post.ms.toFixed(0)} ms (${post.status}) vs ${median(bp).toFixed(1)}; GET ${get.ms.toFixed(0)} ms (${get.status}) vs ${median(bg).toFixed(1)}\n`);
      await delay(200);
    }
    const A = repeated(addedPost);
    writeReport({
      name: 'long-transaction',
      title: `A ${fmt(HOLD_MS / 1000)} s transaction in another database: added latency`,
      script: 'bench/long-transaction.bench.ts',
      postgres: ctx.postgres,
      method:
        `Per repeat: ${BASELINE_PAIRS} pairs of POST /Users (Entra-shaped) then GET /Users/:id of the new user, one at a time (reference); then a transaction in another database of the same cluster ` +
        `takes a transaction id (pg_current_xact_id()) and holds it ${HOLD_MS} ms (pg_sleep), and 100 ms after it began one more pair is sent. ` +
        `Added latency = that pair's time minus the median of the repeat's reference. ${REPEATS} repeats. Statuses during the long transaction: ${statuses.join('; ')}.`,
      targets: [{ target: `a ${fmt(HOLD_MS / 1000)} s transaction in another database adds ≤ 50 ms to a write`, measured: `${fmt(A.median, 0)} ms (min ${fmt(A.min, 0)})`, met: A.median <= 50 }],
      sections: [
        '## Results (ms; median of repeats (min–max))',
        [
          '| request | without (reference) | with the long transaction open | added |',
          '|---|---|---|---|',
          `| POST /Users | ${spread(repeated(basePost), 1)} | ${spread(repeated(heldPost), 0)} | ${spread(A, 0)} |`,
          `| the next GET /Users/:id | ${spread(repeated(baseGet), 1)} | ${spread(repeated(heldGet), 0)} | ${spread(repeated(addedGet), 0)} |`,
        ].join('\n'),
        "The issue's figures (today): one POST took 2,031 ms, the next GET 766 ms; 30-42 ms without it.",
      ],
      chartSvg: barChartSvg({
        title: `Latency with a ${fmt(HOLD_MS / 1000)} s transaction open in another database`,
        yLabel: 'ms',
        categories: ['POST /Users', 'next GET /Users/:id'],
        series: [
          { name: 'without', values: [repeated(basePost), repeated(baseGet)] },
          { name: 'with the long transaction', values: [repeated(heldPost), repeated(heldGet)] },
        ],
      }),
    });
  } finally {
    await ctx.cleanup();
  }
}

runBenchmark(main);
