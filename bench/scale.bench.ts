/**
 * (g) The service at LARGE users vs SMALL users, both running at once and measured in turn:
 * GET by filter (Entra's matching query), POST /Users and PATCH /Users p50, the process's RSS,
 * and list paging from the first page to deep into the list.
 *
 *   BENCH_MODE=quick|full node_modules/.bin/tsx bench/scale.bench.ts   (SMALL_USERS, LARGE_USERS)
 *
 * Users are seeded through the event-store port with their unique keys (bench/lib/seed.ts), never
 * with SQL into the read model: the service's projection built the read model of each template.
 * Templates are kept between runs (bench/lib/templates.ts); a first run builds them (minutes).
 */
import { randomUUID } from 'node:crypto';
import { barChartSvg } from './lib/chart';
import { benchContext } from './lib/context';
import { byUserName, entraUserBody, entraUserPatch, userNameOf } from './lib/entra';
import { ensureStatus, scimClient, type HttpClient } from './lib/http';
import { param, runBenchmark, writeReport, type TargetCheck } from './lib/report';
import { TEMPLATE_RUN } from './lib/seed';
import { SCIM_TOKEN, type Service } from './lib/service';
import { fmt, median, repeated, spread, type Repeated } from './lib/stats';
import { usersTemplate } from './lib/templates';

const SMALL = param('SMALL_USERS', 10_000, 10_000);
const LARGE = param('LARGE_USERS', 100_000, 1_000_000);
const REPEATS = param('REPEATS', 3, 5);
const SAMPLES = param('SAMPLES', 15, 100);
const PAGE = 100;

type Op = 'GET ?filter' | 'POST' | 'PATCH' | 'page 1' | 'page middle' | 'page deep';
const OPS: Op[] = ['GET ?filter', 'POST', 'PATCH', 'page 1', 'page middle', 'page deep'];

interface Instance {
  readonly size: number;
  readonly service: Service;
  readonly client: HttpClient;
  readonly ids: string[];
  readonly startMs: number;
  readonly p50: Map<Op, number[]>;
}

/** A pseudo-random generator with a seed, so both sizes ask for comparable users. */
function seeded(seed: number): () => number {
  let state = seed >>> 0 || 1;
  return () => {
    state = (state * 1664525 + 1013904223) >>> 0;
    return state / 2 ** 32;
  };
}

async function main(): Promise<void> {
  const ctx = await benchContext('scale');
  try {
    const run = randomUUID().slice(0, 8);
    const instances: Instance[] = [];
    for (const size of [SMALL, LARGE]) {
      const template = await usersTemplate(ctx.cluster, size);
      const database = await ctx.database(`u${size}`, template);
      const started = performance.now();
      const service = await ctx.service(database, `u${size}`, { startTimeoutMs: 3600_000 });
      const startMs = performance.now() - started;
      const client = scimClient(service.origin, SCIM_TOKEN, 1);
      ctx.onCleanup(async () => client.close());
      // Users to PATCH, found the way Entra finds them.
      const random = seeded(size);
      const ids: string[] = [];
      for (let i = 0; i < SAMPLES; i++) {
        const found = ensureStatus(await client.request('GET', `/scim/v2/Users?${byUserName(userNameOf(TEMPLATE_RUN, Math.floor(random() * size)))}`), 200, 'GET ?filter');
        const resources = (found.body as { Resources: { id: string }[] }).Resources;
        if (resources.length !== 1) throw new Error(`size ${size}: a seeded user was not found by userName`);
        ids.push(resources[0]!.id);
      }
      instances.push({ size, service, client, ids, startMs, p50: new Map(OPS.map((op) => [op, []])) });
    }

    let posted = 0;
    const request = async (instance: Instance, op: Op, i: number, random: () => number): Promise<number> => {
      const { client, size } = instance;
      switch (op) {
        case 'GET ?filter':
          return ensureStatus(await client.request('GET', `/scim/v2/Users?${byUserName(userNameOf(TEMPLATE_RUN, Math.floor(random() * size)))}`), 200, op).ms;
        case 'POST':
          return ensureStatus(await client.request('POST', '/scim/v2/Users', entraUserBody(`${run}s${size}`, posted++)), 201, op).ms;
        case 'PATCH':
          return ensureStatus(await client.request('PATCH', `/scim/v2/Users/${instance.ids[i % instance.ids.length]}`, entraUserPatch(`Title ${i}`)), 200, op).ms;
        case 'page 1':
          return ensureStatus(await client.request('GET', `/scim/v2/Users?startIndex=1&count=${PAGE}`), 200, op).ms;
        case 'page middle':
          return ensureStatus(await client.request('GET', `/scim/v2/Users?startIndex=${Math.floor(size / 2)}&count=${PAGE}`), 200, op).ms;
        case 'page deep':
          return ensureStatus(await client.request('GET', `/scim/v2/Users?startIndex=${size - PAGE}&count=${PAGE}`), 200, op).ms;
      }
    };
    // Warm-up of each instance and operation.
    for (const instance of instances) for (const op of OPS) for (let i = 0; i < 3; i++) await request(instance, op, i, seeded(7));

    for (let r = 0; r < REPEATS; r++) {
      for (const op of OPS) {
        for (const instance of instances) {
          const random = seeded(1000 * r + 17);
          const times: number[] = [];
          const samples = op.startsWith('page') ? Math.max(5, Math.round(SAMPLES / 3)) : SAMPLES;
          for (let i = 0; i < samples; i++) times.push(await request(instance, op, i, random));
          instance.p50.get(op)!.push(median(times));
        }
      }
      process.stderr.write(`  repeat ${r + 1}/${REPEATS}: ${instances.map((x) => `${x.size}: ${OPS.map((op) => `${op} ${x.p50.get(op)!.at(-1)!.toFixed(1)}`).join(', ')}`).join(' | ')}\n`);
    }
    const memory = instances.map((x) => x.service.memory());
    const [small, large] = instances as [Instance, Instance];
    const ratio = (op: Op): Repeated => repeated(large.p50.get(op)!.map((v, i) => v / small.p50.get(op)![i]!));
    const deepRatio = repeated(large.p50.get('page deep')!.map((v, i) => v / large.p50.get('page 1')![i]!));
    const mb = (bytes: number) => bytes / 2 ** 20;
    const targets: TargetCheck[] = [
      ...(['GET ?filter', 'POST', 'PATCH'] as const).map((op) => ({
        target: `${op === 'GET ?filter' ? 'GET by filter' : op} p50 at ${fmt(LARGE)} users ≤ 1.2 × at ${fmt(SMALL)}`,
        measured: `${fmt(ratio(op).median, 2)} × (min ${fmt(ratio(op).min, 2)})`,
        met: ratio(op).median <= 1.2,
      })),
      { target: `RSS at ${fmt(LARGE)} users ≤ 300 MB`, measured: `${fmt(mb(memory[1]!.rss))} MB (peak ${fmt(mb(memory[1]!.peak))} MB)`, met: mb(memory[1]!.peak) <= 300 },
      {
        target: `list paging stays flat deep into the list (page at ${fmt(LARGE - PAGE)} ≤ 1.2 × page 1, our reading of "flat")`,
        measured: `${fmt(deepRatio.median, 2)} × (min ${fmt(deepRatio.min, 2)})`,
        met: deepRatio.median <= 1.2,
      },
    ];
    writeReport({
      name: 'scale',
      title: `The service at ${fmt(LARGE)} users vs ${fmt(SMALL)}`,
      script: 'bench/scale.bench.ts',
      postgres: ctx.postgres,
      method:
        `Two copies of seeded stores (users seeded through the event-store port with their unique keys, read models built by the service's own projection), a service on each (as \`make run\` starts it), ` +
        `both running; each repeat measures every operation on the small then the large one, one request at a time: ${SAMPLES} GETs by filter (userName eq a random seeded user), ${SAMPLES} POSTs of new Entra-shaped users, ` +
        `${SAMPLES} PATCHes of seeded users' title, and ${Math.max(5, Math.round(SAMPLES / 3))} list pages (count=${PAGE}) at startIndex 1, the middle and ${fmt(LARGE - PAGE)}. ${REPEATS} repeats; ratios within a repeat. ` +
        `Start-up (migrate, catch up, listen): ${instances.map((x) => `${fmt(x.size)} users ${fmt(x.startMs / 1000, 1)} s`).join(', ')}.`,
      targets,
      sections: [
        '## Results (p50 ms; median of repeats (min–max))',
        [
          `| operation | ${fmt(SMALL)} users | ${fmt(LARGE)} users | ratio |`,
          '|---|---|---|---|',
          ...OPS.map((op) => `| ${op} | ${spread(repeated(small.p50.get(op)!), 1)} | ${spread(repeated(large.p50.get(op)!), 1)} | ${spread(ratio(op), 2)} |`),
          `| RSS after the load (peak), MB | ${fmt(mb(memory[0]!.rss))} (${fmt(mb(memory[0]!.peak))}) | ${fmt(mb(memory[1]!.rss))} (${fmt(mb(memory[1]!.peak))}) | |`,
        ].join('\n'),
        "The issue's figures (today): GET filter flat (×1.0) from 10k to 100k users; RSS 145-181 MB.",
      ],
      chartSvg: barChartSvg({
        title: `p50 latency at ${fmt(SMALL)} vs ${fmt(LARGE)} users`,
        yLabel: 'ms (p50)',
        categories: OPS,
        series: [
          { name: `${fmt(SMALL)} users`, values: OPS.map((op) => repeated(small.p50.get(op)!)) },
          { name: `${fmt(LARGE)} users`, values: OPS.map((op) => repeated(large.p50.get(op)!)) },
        ],
      }),
    });
  } finally {
    await ctx.cleanup();
  }
}

runBenchmark(main);
