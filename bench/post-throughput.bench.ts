/**
 * (a) POST /Users throughput at 1, 8 and 32 closed-loop clients, side by side with its references
 * in the same run: pgbench committing one ~1 KB row into a table with a unique index per
 * transaction at the same concurrency, on the same server; and a Node SCIM peer (SCIMMY +
 * scimmy-routers, in memory) at 8 clients.
 *
 *   make bench-post   (or BENCH_MODE=quick|full node_modules/.bin/tsx bench/post-throughput.bench.ts)
 *
 * Each repeat runs, in this order: service at 1 client, pgbench at 1, service at 8, pgbench at 8,
 * the peer at 8, service at 32, pgbench at 32; a ratio is taken within its repeat.
 */
import { randomUUID } from 'node:crypto';
import { barChartSvg } from './lib/chart';
import { benchContext } from './lib/context';
import { entraUserBody } from './lib/entra';
import { closedLoop, ensureStatus, scimClient, type LoopResult } from './lib/http';
import { pgbench, preparePgbench } from './lib/pgbench';
import { MODE, param, runBenchmark, writeReport, type TargetCheck } from './lib/report';
import { SCIM_TOKEN, startScimmyPeer } from './lib/service';
import { fmt, median, quantile, repeated, spread, type Repeated } from './lib/stats';

const LEVELS = [1, 8, 32] as const;
const PEER_LEVEL = 8;
const REPEATS = param('REPEATS', 3, 5);
const SECONDS = param('SECONDS', 1, 10);
const WARMUP_MS = param('WARMUP_MS', 300, 2_000);

/** Closed-loop POSTs of Entra-shaped users, each with a new userName. */
async function postLoad(origin: string, clients: number, run: string): Promise<LoopResult> {
  const client = scimClient(origin, SCIM_TOKEN, clients);
  try {
    return await closedLoop({
      clients,
      durationMs: SECONDS * 1000,
      warmupMs: WARMUP_MS,
      operation: async (c, i) => {
        ensureStatus(await client.request('POST', '/scim/v2/Users', entraUserBody(`${run}c${c}`, i)), 201, 'POST /Users');
        return true;
      },
    });
  } finally {
    client.close();
  }
}

async function main(): Promise<void> {
  const ctx = await benchContext('post-throughput');
  try {
    const serviceDb = await ctx.database('service');
    const pgbenchDb = await ctx.database('pgbench');
    const script = await preparePgbench(ctx.cluster, pgbenchDb);
    const service = await ctx.service(serviceDb, 'api');
    const peer = await startScimmyPeer('post-throughput-scimmy');
    ctx.onCleanup(() => peer.stop());

    const rate = new Map<number, number[]>(LEVELS.map((l) => [l, []]));
    const p50 = new Map<number, number[]>(LEVELS.map((l) => [l, []]));
    const p99 = new Map<number, number[]>(LEVELS.map((l) => [l, []]));
    const pgTps = new Map<number, number[]>(LEVELS.map((l) => [l, []]));
    const ratio = new Map<number, number[]>(LEVELS.map((l) => [l, []]));
    const peerRate: number[] = [];
    const peerP50: number[] = [];
    const peerRatio: number[] = [];
    const failures: string[] = [];

    for (let r = 0; r < REPEATS; r++) {
      for (const clients of LEVELS) {
        const run = `p${r}l${clients}${randomUUID().slice(0, 6)}`;
        const load = await postLoad(service.origin, clients, run);
        if (load.failures > 0) failures.push(`service, ${clients} clients: ${load.failures} failed (${load.failureSamples.join('; ')})`);
        const reference = await pgbench(ctx.cluster, pgbenchDb, script, clients, SECONDS);
        rate.get(clients)!.push(load.rate);
        p50.get(clients)!.push(quantile(load.latencies, 0.5));
        p99.get(clients)!.push(quantile(load.latencies, 0.99));
        pgTps.get(clients)!.push(reference.tps);
        ratio.get(clients)!.push(load.rate / reference.tps);
        process.stderr.write(`  repeat ${r + 1}/${REPEATS}, ${clients} clients: service ${load.rate.toFixed(0)} req/s, pgbench ${reference.tps.toFixed(0)} commits/s\n`);
        if (clients === PEER_LEVEL) {
          const peerLoad = await postLoad(peer.origin, clients, `${run}peer`);
          if (peerLoad.failures > 0) failures.push(`SCIMMY peer: ${peerLoad.failures} failed (${peerLoad.failureSamples.join('; ')})`);
          peerRate.push(peerLoad.rate);
          peerP50.push(quantile(peerLoad.latencies, 0.5));
          peerRatio.push(load.rate / peerLoad.rate);
          process.stderr.write(`  repeat ${r + 1}/${REPEATS}, SCIMMY peer at ${clients}: ${peerLoad.rate.toFixed(0)} req/s\n`);
        }
      }
    }

    const at = (m: Map<number, number[]>, l: number): Repeated => repeated(m.get(l)!);
    const targets: TargetCheck[] = [
      ...([8, 32] as const).map((l) => ({
        target: `POST /Users at ${l} clients ≥ 0.12 × pgbench single-row commits/s at ${l}`,
        measured: `${fmt(at(ratio, l).median, 3)} (min ${fmt(at(ratio, l).min, 3)})`,
        met: at(ratio, l).median >= 0.12,
      })),
      {
        target: `POST /Users at ${PEER_LEVEL} clients ≥ 1.0 × the SCIMMY peer's req/s`,
        measured: `${fmt(repeated(peerRatio).median, 2)} (min ${fmt(repeated(peerRatio).min, 2)})`,
        met: repeated(peerRatio).median >= 1.0,
      },
    ];
    const table = [
      '| clients | service POST /Users req/s | service p50 / p99 ms | pgbench commits/s | service ÷ pgbench | SCIMMY peer req/s (p50 ms) | service ÷ peer |',
      '|---|---|---|---|---|---|---|',
      ...LEVELS.map((l) =>
        [
          l,
          spread(at(rate, l)),
          `${fmt(median(p50.get(l)!), 1)} / ${fmt(median(p99.get(l)!), 1)}`,
          spread(at(pgTps, l)),
          spread(at(ratio, l), 3),
          l === PEER_LEVEL ? `${spread(repeated(peerRate))} (${fmt(median(peerP50), 1)})` : '–',
          l === PEER_LEVEL ? spread(repeated(peerRatio), 2) : '–',
        ].join(' | '),
      ).map((row) => `| ${row} |`),
    ].join('\n');
    writeReport({
      name: 'post-throughput',
      title: 'POST /Users throughput vs pgbench and a SCIMMY peer',
      script: 'bench/post-throughput.bench.ts',
      postgres: ctx.postgres,
      method:
        `Closed-loop clients (each sends its next request when the previous one answered, keep-alive) POST Entra-shaped users (core + enterprise schemas, ~1 KB) with new userNames to the service ` +
        `started as \`make run\` starts it (projection and Kafka publisher in process, rate limit raised). ${REPEATS} repeats × ${SECONDS} s measured after ${WARMUP_MS} ms warm-up per level. ` +
        `Reference in the same repeat: pgbench, one ~1 KB row with a unique key per transaction (bench/lib/pgbench.ts), same clients, same server; and the SCIMMY peer (bench/peers/scimmy-peer.ts) at ${PEER_LEVEL} clients. ` +
        `Cells: median of the repeats (min–max); latencies: median over repeats of each run's p50/p99.` +
        (failures.length > 0 ? `\n\nFailures: ${failures.join('; ')}` : ''),
      targets,
      sections: ['## Results', table, `Mode ${MODE}: the issue's figures (today) were 57 / 218 / 190 req/s vs pgbench 1,220 / 9,368 / 8,620 commits/s; 0.33 of the peer.`],
      chartSvg: barChartSvg({
        title: 'POST /Users vs references (log scale)',
        yLabel: 'requests or commits per second',
        categories: LEVELS.map((l) => `${l} client${l === 1 ? '' : 's'}`),
        log: true,
        series: [
          { name: 'service POST /Users', values: LEVELS.map((l) => at(rate, l)) },
          { name: 'pgbench 1-row commits', values: LEVELS.map((l) => at(pgTps, l)) },
          { name: 'SCIMMY peer POST', values: LEVELS.map((l) => (l === PEER_LEVEL ? repeated(peerRate) : undefined)) },
        ],
      }),
    });
  } finally {
    await ctx.cleanup();
  }
}

runBenchmark(main);
