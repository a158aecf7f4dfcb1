/**
 * (c) A command's cost against its stream's history: the same PATCH (a member added, then
 * removed, as Entra sends membership changes) on a group whose stream holds HISTORY events, and
 * on a fresh group (one event), interleaved one by one in the same run.
 *
 *   BENCH_MODE=quick|full node_modules/.bin/tsx bench/patch-history.bench.ts
 *
 * Both groups and their members are seeded through the event-store port (bench/lib/seed.ts),
 * the long history as membership churn; the service starts afterwards and projects them itself.
 */
import { barChartSvg } from './lib/chart';
import { benchContext } from './lib/context';
import { entraMemberPatch, userNameOf } from './lib/entra';
import { ensureStatus, scimClient } from './lib/http';
import { param, runBenchmark, writeReport } from './lib/report';
import { openSeeder } from './lib/seed';
import { SCIM_TOKEN } from './lib/service';
import { fmt, median, quantile, repeated, spread } from './lib/stats';
import { cachedTemplate } from './lib/templates';

const HISTORY = param('HISTORY', 10_000, 10_000);
const REPEATS = param('REPEATS', 3, 5);
const PATCHES = param('PATCHES', 10, 40);
const RUN = 'ph';
const FRESH = 'Fresh group';
const LONG = 'Long history group';

async function main(): Promise<void> {
  const ctx = await benchContext('patch-history');
  try {
    // Seeded once and kept as a template (projecting a 10,000-event stream takes a while).
    const template = await cachedTemplate(ctx.cluster, `group_history_${HISTORY}`, async (url) => {
      const seeder = await openSeeder(url);
      try {
        const members = await seeder.users(RUN, 0, 12);
        await seeder.group(FRESH, []);
        const long = await seeder.group(LONG, []);
        await seeder.groupHistory(long, HISTORY - 1, members.slice(0, 10));
      } finally {
        await seeder.close();
      }
    });
    const database = await ctx.database('db', template);
    const service = await ctx.service(database, 'api');
    const client = scimClient(service.origin, SCIM_TOKEN, 1);
    ctx.onCleanup(async () => client.close());
    const idOf = async (resource: 'Users' | 'Groups', filter: string) => {
      const found = ensureStatus(await client.request('GET', `/scim/v2/${resource}?filter=${encodeURIComponent(filter)}`), 200, `GET /${resource}?filter`);
      const id = (found.body as { Resources: { id: string }[] }).Resources[0]?.id;
      if (!id) throw new Error(`${filter}: not found`);
      return id;
    };
    const fresh = await idOf('Groups', `displayName eq "${FRESH}"`);
    const long = await idOf('Groups', `displayName eq "${LONG}"`);
    // The PATCHed member is none of the churned ones: every PATCH changes the group (one event).
    const member = await idOf('Users', `userName eq "${userNameOf(RUN, 11)}"`);

    const patch = async (group: string, op: 'Add' | 'Remove') =>
      ensureStatus(await client.request('PATCH', `/scim/v2/Groups/${group}`, entraMemberPatch(op, member)), [200, 204], `PATCH /Groups (${op})`).ms;
    // Warm-up: one add and remove on each.
    for (const group of [fresh, long]) {
      await patch(group, 'Add');
      await patch(group, 'Remove');
    }

    const freshP50: number[] = [];
    const longP50: number[] = [];
    const ratio: number[] = [];
    const all = { fresh: [] as number[], long: [] as number[] };
    for (let r = 0; r < REPEATS; r++) {
      const f: number[] = [];
      const l: number[] = [];
      for (let i = 0; i < PATCHES; i++) {
        const op = i % 2 === 0 ? 'Add' : 'Remove';
        f.push(await patch(fresh, op));
        l.push(await patch(long, op));
      }
      freshP50.push(median(f));
      longP50.push(median(l));
      ratio.push(median(l) / median(f));
      all.fresh.push(...f);
      all.long.push(...l);
      process.stderr.write(`  repeat ${r + 1}/${REPEATS}: fresh ${median(f).toFixed(1)} ms, ${HISTORY} events ${median(l).toFixed(1)} ms\n`);
    }
    const R = repeated(ratio);
    writeReport({
      name: 'patch-history',
      title: `PATCH on a group with ${fmt(HISTORY)} events vs a fresh group`,
      script: 'bench/patch-history.bench.ts',
      postgres: ctx.postgres,
      method:
        `Two groups seeded through the event-store port (kept as a template database, bench/lib/templates.ts; the service projected them when it was built): one with GroupCreated only, one with GroupCreated and ${fmt(HISTORY - 1)} membership events (10 members added and removed in turn). ` +
        `The service (as \`make run\` starts it) then PATCHes each in turn, one request at a time: add a member, remove it (Entra's membership PATCH), ` +
        `${PATCHES} PATCHes per group per repeat, ${REPEATS} repeats; each repeat's ratio is the long group's median over the fresh group's.`,
      targets: [{ target: `PATCH on a group whose stream holds ${fmt(HISTORY)} events ≤ 1.5 × the same PATCH on a fresh group`, measured: `${fmt(R.median, 2)} × (min ${fmt(R.min, 2)})`, met: R.median <= 1.5 }],
      sections: [
        '## Results',
        [
          '| group | PATCH p50 ms, median of repeats (min–max) | p90 ms over all | samples |',
          '|---|---|---|---|',
          `| fresh (1 event) | ${spread(repeated(freshP50), 1)} | ${fmt(quantile(all.fresh, 0.9), 1)} | ${all.fresh.length} |`,
          `| ${fmt(HISTORY)} events | ${spread(repeated(longP50), 1)} | ${fmt(quantile(all.long, 0.9), 1)} | ${all.long.length} |`,
          `| ratio | ${spread(R, 2)} | | |`,
        ].join('\n'),
        "The issue's figures (today): 157 ms with ~2,100 events vs 27 ms with ~100.",
      ],
      chartSvg: barChartSvg({
        title: 'PATCH /Groups latency by stream history',
        yLabel: 'ms (p50)',
        categories: ['fresh group (1 event)', `group with ${fmt(HISTORY)} events`],
        series: [{ name: 'PATCH p50', values: [repeated(freshP50), repeated(longP50)] }],
        lines: [{ value: 1.5 * repeated(freshP50).median, label: 'target: 1.5 × fresh' }],
      }),
    });
  } finally {
    await ctx.cleanup();
  }
}

runBenchmark(main);
