/**
 * Renders bench/results/reliability.md from the scenario results of the last run
 * (test-artifacts/reliability/*.json, written by test/reliability/*.rel.test.ts):
 * `npx tsx test/reliability/report.ts` (make test-reliability runs it after the suite).
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { projectRoot } from '../../shared/db/project-root';
import { readScenarioResults, type ScenarioResult } from './harness/scenario-result';

const formatMs = (ms: number) => (ms >= 10_000 ? `${(ms / 1000).toFixed(1)} s` : `${Math.round(ms)} ms`);

function recovery(value: number | readonly number[]): string {
  if (typeof value === 'number') return formatMs(value);
  if (value.length === 0) return '–';
  const sorted = [...value].sort((a, b) => a - b);
  const median = sorted[Math.floor(sorted.length / 2)]!;
  return `median ${formatMs(median)}, max ${formatMs(sorted[sorted.length - 1]!)} (${value.length} faults)`;
}

/** The Markdown for a list of results. */
export function renderReport(results: readonly (ScenarioResult & { finishedAt: string })[], command: string, date: Date = new Date()): string {
  const scales = [...new Set(results.map((r) => r.scale))];
  const lines = [
    '# Reliability suite (issue 13)',
    '',
    `Command: \`${command}\`; date ${date.toISOString()}; scale **${scales.join(', ') || 'none'}**${scales.includes('quick') ? ' (quick: the reduced sizes `make test` runs, not the issue\'s numbers)' : ''}.`,
    `Machine: ${os.cpus().length} cores (${os.cpus()[0]?.model ?? 'unknown'}), ${Math.round(os.totalmem() / 2 ** 30)} GiB, Node ${process.version}.`,
    '',
    'Every scenario runs the real service (services/scim-api/main.ts with its projections, event publisher and team-sync, as `make run`) against real Postgres and Kafka,',
    'under an Entra-shaped load from 8 clients that records every acknowledged write in a client-side ledger. After each scenario: every acknowledged write is read back',
    'through GET, `scim-audit verify` must be clean, a fresh consumer reads the whole topic and must find every event of the store with contiguous revisions per stream,',
    "and team-sync's view must equal the service's team membership. \"Lost\" counts acknowledged writes not visible afterwards.",
    '',
    '| Scenario | Scale | Requests | Acknowledged writes | Unknown outcome | Faults injected | Events checked (duplicates) | Lost | Passed |',
    '|---|---|---:|---:|---:|---|---:|---:|---|',
    ...results.map(
      (r) =>
        `| ${r.id}: ${r.title} | ${r.scale} | ${r.requests} | ${r.acknowledgedWrites} | ${r.unknownWrites ?? 0} | ${r.faults} | ${r.eventsChecked}${r.duplicatesOnTopic ? ` (${r.duplicatesOnTopic})` : ''} | ${r.lost} | ${r.passed ? 'yes' : '**no**'} |`,
    ),
    '',
  ];
  for (const r of results) {
    lines.push(`## ${r.id}: ${r.title}`, '', `Scale ${r.scale}${r.seed !== undefined ? `, seed ${r.seed}` : ''}; ran ${formatMs(r.durationMs)}, finished ${r.finishedAt}.`, '');
    lines.push('| Measure | Value |', '|---|---|');
    for (const [name, value] of Object.entries(r.recoveryMs)) lines.push(`| ${name} | ${recovery(value)} |`);
    if (r.rssMiB) lines.push(`| service RSS early → late | ${r.rssMiB.early.toFixed(1)} MiB → ${r.rssMiB.late.toFixed(1)} MiB |`);
    if (r.statuses) lines.push(`| answers by status | ${Object.entries(r.statuses).map(([s, n]) => `${s === '0' ? 'no answer' : s}: ${n}`).join(', ')} |`);
    lines.push('');
    for (const note of r.notes ?? []) lines.push(`- ${note}`);
    if ((r.notes ?? []).length > 0) lines.push('');
  }
  return lines.join('\n');
}

if (require.main === module) {
  const results = readScenarioResults();
  if (results.length === 0) {
    process.stderr.write('no scenario results in test-artifacts/reliability/: run the suite first (make test-reliability)\n');
    process.exit(1);
  }
  const out = path.join(projectRoot(__dirname), 'bench', 'results', 'reliability.md');
  mkdirSync(path.dirname(out), { recursive: true });
  writeFileSync(out, `${renderReport(results, process.env.RELIABILITY_COMMAND ?? 'make test-reliability')}\n`);
  process.stdout.write(`wrote ${path.relative(process.cwd(), out)} (${results.length} scenarios)\n`);
}
