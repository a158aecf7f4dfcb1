/**
 * `make bench` (full sizes) and `make bench-quick` (BENCH_MODE=quick: reduced sizes, under three
 * minutes once the seeded templates exist): every benchmark of issue 11, one after the other,
 * each in its own process, then bench/results/summary.md with every target's verdict.
 *
 *   BENCHES="statements held-back" make bench-quick    runs only these
 */
import { spawn } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { ensureCluster, stopCluster } from './lib/cluster';
import { machineLine, MODE } from './lib/report';
import { ROOT } from './lib/service';

/** In run order; the templates the later ones share are built by scale. */
export const BENCHMARKS = [
  { name: 'post-throughput', measure: 'a. POST /Users at 1/8/32 clients vs pgbench and a SCIMMY peer' },
  { name: 'statements', measure: 'b. Postgres statements per POST and per GET' },
  { name: 'patch-history', measure: 'c. PATCH on a group with 10,000 events vs a fresh group' },
  { name: 'projection-lag', measure: 'd. projection lag at 32 clients' },
  { name: 'long-transaction', measure: 'e. a 3 s transaction in another database' },
  { name: 'held-back', measure: 'f. a held-back row reaching subscribers' },
  { name: 'scale', measure: 'g. large store vs 10,000 users: GET filter, POST, PATCH, RSS, paging' },
  { name: 'rebuild', measure: 'h. rebuild vs COPY' },
  { name: 'publish', measure: 'h. store → Kafka vs a bare kafkajs producer' },
  { name: 'disable-scim', measure: 'i. disabling SCIM with N identities' },
  { name: 'export', measure: 'scim-audit export --chain: events/s and peak RSS under a capped heap' },
] as const;

function runOne(name: string): Promise<number> {
  return new Promise((resolve) => {
    const child = spawn(path.join(ROOT, 'node_modules', '.bin', 'tsx'), [path.join('bench', `${name}.bench.ts`)], {
      cwd: ROOT,
      stdio: ['ignore', 'ignore', 'inherit'],
      env: { ...process.env, BENCH_MODE: MODE, BENCH_VIA: MODE === 'quick' ? 'make bench-quick' : 'make bench' },
    });
    child.once('exit', (code) => resolve(code ?? 1));
  });
}

/** The "## Targets" table rows of a result file. */
function targetRows(name: string): string[] {
  const file = path.join(ROOT, 'bench', 'results', `${name}.md`);
  if (!existsSync(file)) return [];
  const text = readFileSync(file, 'utf8');
  const section = (text.split('## Targets')[1] ?? '').trimStart();
  // The first table after the heading: its lines up to the first blank line.
  const table = section.split('\n\n')[0] ?? '';
  return table.split('\n').filter((line) => line.startsWith('| ') && !line.startsWith('| target'));
}

async function main(): Promise<void> {
  const only = (process.env.BENCHES ?? '').split(/[\s,]+/).filter(Boolean);
  const selected = BENCHMARKS.filter((b) => only.length === 0 || only.includes(b.name));
  const cluster = await ensureCluster();
  const postgres = await cluster.describe();
  const started = performance.now();
  const outcomes: { name: string; measure: string; code: number; seconds: number }[] = [];
  for (const bench of selected) {
    process.stderr.write(`\n== ${bench.name} (${bench.measure})\n`);
    const t = performance.now();
    const code = await runOne(bench.name);
    outcomes.push({ ...bench, code, seconds: (performance.now() - t) / 1000 });
    process.stderr.write(`== ${bench.name}: ${code === 0 ? 'done' : `FAILED (exit ${code})`} in ${((performance.now() - t) / 1000).toFixed(1)} s\n`);
  }
  const total = (performance.now() - started) / 1000;
  // The summary always covers every benchmark: a partial run (BENCHES=...) refreshes the rows of
  // the ones it ran and keeps the others' from their committed files, each of which names its own
  // command and date.
  const command = `${only.length > 0 ? `BENCHES="${only.join(' ')}" ` : ''}${MODE === 'quick' ? 'make bench-quick' : 'make bench'}`;
  const summary = [
    `# Benchmarks of issue 11: summary`,
    '',
    `Last command: \`${command}\`; ${outcomes.length} benchmarks in ${total.toFixed(0)} s. Each file beside this one has the method, its own command and date, every repeat's figures and a chart.`,
    '',
    machineLine(postgres),
    '',
    '| benchmark | target (issue 11) | measured | met? |',
    '|---|---|---|---|',
    ...BENCHMARKS.flatMap((b) => {
      const outcome = outcomes.find((o) => o.name === b.name);
      const rows = targetRows(b.name);
      if ((outcome && outcome.code !== 0) || rows.length === 0) return [`| [${b.name}](${b.name}.md) | ${b.measure} | the benchmark failed (exit ${outcome?.code ?? 'n/a'}) | n/a |`];
      return rows.map((row) => `| [${b.name}](${b.name}.md) ${row}`);
    }),
    '',
    '| benchmark (this run) | seconds |',
    '|---|---|',
    ...outcomes.map((o) => `| ${o.name} | ${o.seconds.toFixed(1)} |`),
    '',
  ].join('\n');
  writeFileSync(path.join(ROOT, 'bench', 'results', 'summary.md'), summary);
  process.stdout.write(summary);
  process.stderr.write(`\nall benchmarks: ${total.toFixed(0)} s\n`);
  if (process.env.BENCH_KEEP_CLUSTER !== '1') stopCluster();
  process.exit(outcomes.every((o) => o.code === 0) ? 0 : 1);
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
