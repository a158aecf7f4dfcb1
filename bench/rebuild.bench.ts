/**
 * (h1) Rebuilding the read model from the event log (`make rebuild`: scim-audit rebuild, from
 * position zero into a fresh schema, then swapped in) over a store of REBUILD_USERS users, vs
 * Postgres COPY writing the same rows: every row of the rebuilt read model, copied out and into
 * empty tables of the same definition (indexes included), in the same run.
 *
 *   BENCH_MODE=quick|full node_modules/.bin/tsx bench/rebuild.bench.ts
 */
import { readFileSync } from 'node:fs';
import { barChartSvg } from './lib/chart';
import { benchContext } from './lib/context';
import { copyReference } from './lib/copy-reference';
import { param, runBenchmark, writeReport } from './lib/report';
import { startNodeProcess } from './lib/service';
import { fmt, repeated, spread } from './lib/stats';
import { usersTemplate } from './lib/templates';

const USERS = param('REBUILD_USERS', 10_000, 1_000_000);
const REPEATS = param('REPEATS', 3, 3);
/** The live read models' schemas, where the rebuilt rows end up. */
const READ_SCHEMAS = ['scim_read', 'platform_read'];

async function main(): Promise<void> {
  const ctx = await benchContext('rebuild');
  try {
    const database = await usersTemplate(ctx.cluster, USERS).then((template) => ctx.database('db', template));
    const events = Number((await ctx.cluster.query<{ n: string }>('SELECT count(*) AS n FROM events', [], database))[0]!.n);

    const rebuildMs: number[] = [];
    const wallMs: number[] = [];
    for (let r = 0; r < REPEATS; r++) {
      const started = performance.now();
      const child = startNodeProcess('services/audit/main.ts', { DATABASE_URL: ctx.cluster.url(database), PGAPPNAME: 'bench-rebuild' }, `rebuild-${r}`, false, ['rebuild', '--json']);
      const code = await child.exited;
      wallMs.push(performance.now() - started);
      const output = readFileSync(child.logFile, 'utf8');
      const results = output.trimStart().startsWith('[') ? (JSON.parse(output) as { seconds: number }[]) : [];
      if (code !== 0 || results.length === 0) throw new Error(`scim-audit rebuild exited ${code}; see ${child.logFile}`);
      // The rebuild's own time (without process start and migrations), summed over projections.
      rebuildMs.push(results.reduce((sum, result) => sum + result.seconds * 1000, 0));
      process.stderr.write(`  rebuild ${r + 1}/${REPEATS}: ${rebuildMs.at(-1)} ms (process ${wallMs.at(-1)!.toFixed(0)} ms)\n`);
    }

    // The reference: the rebuilt rows, COPY'd out and into tables of the same definition.
    const { tables, rows, copyMs } = await copyReference(ctx.cluster.url(database), READ_SCHEMAS, REPEATS);

    const ratio = repeated(rebuildMs.map((ms, i) => copyMs[i]! / ms));
    writeReport({
      name: 'rebuild',
      title: `Rebuild of ${fmt(events)} events vs Postgres COPY of the same rows`,
      script: 'bench/rebuild.bench.ts',
      postgres: ctx.postgres,
      method:
        `A copy of a store of ${fmt(USERS)} users (${fmt(events)} events, seeded through the event-store port). The rebuild is \`make rebuild\`'s command (scim-audit rebuild --json) as its own process; ` +
        `its time is the one it reports per projection (seconds), without process start and migrations. Reference: the ${fmt(rows)} rows of the rebuilt read model (${tables.length} tables of ${READ_SCHEMAS.join(" and ")}) ` +
        `exported once to server-side files, then loaded with COPY … FROM (binary, one session, timed) into empty tables created LIKE them INCLUDING ALL (same indexes). ${REPEATS} repeats of each; ratio = COPY time ÷ rebuild time per repeat.`,
      targets: [{ target: `rebuild of ${fmt(events)} events ≥ 0.3 of Postgres COPY of the same rows (issue: at 1,000,000)`, measured: `${fmt(ratio.median, 3)} (min ${fmt(ratio.min, 3)})`, met: ratio.median >= 0.3 }],
      sections: [
        '## Results (median of repeats (min–max))',
        [
          '| | time (ms) | events/s | read-model rows/s |',
          '|---|---|---|---|',
          `| rebuild (scim-audit rebuild) | ${spread(repeated(rebuildMs))} | ${fmt((events * 1000) / repeated(rebuildMs).median)} | ${fmt((rows * 1000) / repeated(rebuildMs).median)} |`,
          `| rebuild process, start to exit | ${spread(repeated(wallMs))} | | |`,
          `| COPY of the rebuilt rows | ${spread(repeated(copyMs))} | | ${fmt((rows * 1000) / repeated(copyMs).median)} |`,
          `| ratio (COPY ÷ rebuild) | ${spread(ratio, 3)} | | |`,
        ].join('\n'),
      ],
      chartSvg: barChartSvg({
        title: `Rebuild of ${fmt(events)} events vs COPY of the same rows`,
        yLabel: 'ms',
        categories: ['rebuild', 'COPY (reference)'],
        series: [{ name: 'time', values: [repeated(rebuildMs), repeated(copyMs)] }],
      }),
    });
  } finally {
    await ctx.cleanup();
  }
}

runBenchmark(main);
