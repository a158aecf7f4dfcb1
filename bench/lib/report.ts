/**
 * A benchmark's result file: bench/results/<name>.md (and <name>.svg, its chart), saying the
 * machine, the date, the exact command, every repeat's figures (min/median), the ratios to the
 * references measured in the same run, and whether each target of issue 11 is met.
 */
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { cpus, loadavg, release, totalmem } from 'node:os';
import path from 'node:path';
import { ROOT } from './service';

export type Mode = 'quick' | 'full';

/** BENCH_MODE=quick (make bench-quick: reduced sizes) or full (make bench). */
export const MODE: Mode = process.env.BENCH_MODE === 'quick' ? 'quick' : 'full';

/** A parameter from the environment, with its quick and full defaults; recorded for the report. */
const parameters = new Map<string, string>();
export function param(name: string, quick: number, full: number): number {
  const raw = process.env[name];
  const value = raw !== undefined && raw !== '' ? Number(raw) : MODE === 'quick' ? quick : full;
  if (!Number.isFinite(value)) throw new Error(`${name}=${raw} is not a number`);
  parameters.set(name, String(value));
  return value;
}

export interface TargetCheck {
  /** The target in the issue's words, e.g. "POST at 8 clients ≥ 0.12 × pgbench". */
  readonly target: string;
  /** What was measured (median of the repeats, and min), already formatted. */
  readonly measured: string;
  readonly met: boolean | 'n/a';
}

const startedAt = new Date();
const loadAtStart = loadavg();

function git(args: string[]): string {
  try {
    return execFileSync('git', args, { cwd: ROOT, encoding: 'utf8' }).trim();
  } catch {
    return '?';
  }
}

export function machineLine(postgres: string): string {
  const cpu = cpus();
  const load = loadavg();
  const dirty = git(['status', '--porcelain', '--', 'services', 'shared', 'projections']) ? ' (service code modified)' : '';
  return [
    `- Machine: ${cpu[0]?.model ?? '?'}, ${cpu.length} cores, ${(totalmem() / 2 ** 30).toFixed(0)} GiB RAM, Linux ${release()}; node ${process.version}.`,
    `- Load average (1/5/15 min) at start ${loadAtStart.map((n) => n.toFixed(2)).join(' / ')}, at end ${load.map((n) => n.toFixed(2)).join(' / ')}` +
      ` (the machine is shared with other engineers' test runs: figures are noisy, compare ratios measured in the same run).`,
    `- ${postgres}; Kafka ${process.env.KAFKA_BROKERS ?? '127.0.0.1:9092'}.`,
    `- Code: commit ${git(['rev-parse', '--short', 'HEAD'])}${dirty}; date ${startedAt.toISOString()}.`,
    ...(process.env.BENCH_NOTE ? [`- Note: ${process.env.BENCH_NOTE}`] : []),
  ].join('\n');
}

/** The command that reproduces this file. */
export function commandLine(script: string): string {
  const params = [...parameters].map(([k, v]) => `${k}=${v}`).join(' ');
  const via = process.env.BENCH_VIA ? ` (run by \`${process.env.BENCH_VIA}\`)` : '';
  return `\`BENCH_MODE=${MODE} ${params ? `${params} ` : ''}node_modules/.bin/tsx ${script}\`${via}`;
}

export function targetTable(checks: readonly TargetCheck[]): string {
  return [
    '| target (issue 11) | measured | met? |',
    '|---|---|---|',
    ...checks.map((c) => `| ${c.target} | ${c.measured} | ${c.met === 'n/a' ? 'n/a' : c.met ? '**yes**' : '**no**'} |`),
  ].join('\n');
}

export interface Report {
  /** File name without extension, e.g. post-throughput. */
  readonly name: string;
  readonly title: string;
  /** The bench's script, relative to the repository, e.g. bench/post-throughput.bench.ts. */
  readonly script: string;
  readonly postgres: string;
  /** What was done, in a few sentences. */
  readonly method: string;
  readonly targets: readonly TargetCheck[];
  /** Markdown sections (tables) after the targets. */
  readonly sections: readonly string[];
  readonly chartSvg?: string;
}

export function writeReport(report: Report): string {
  const svgName = `${report.name}.svg`;
  const markdown = [
    `# ${report.title}`,
    '',
    `Command: ${commandLine(report.script)}; mode **${MODE}**.`,
    '',
    machineLine(report.postgres),
    '',
    report.method,
    '',
    '## Targets',
    '',
    targetTable(report.targets),
    '',
    ...report.sections.flatMap((s) => [s, '']),
    ...(report.chartSvg ? [`![${report.title}](${svgName})`, ''] : []),
  ].join('\n');
  const dir = path.join(ROOT, 'bench', 'results');
  writeFileSync(path.join(dir, `${report.name}.md`), markdown);
  if (report.chartSvg) writeFileSync(path.join(dir, svgName), report.chartSvg);
  process.stdout.write(`${markdown}\n`);
  return markdown;
}

/** Runs a benchmark's main, exiting non-zero on error (cleanup is the main's own finally). */
export function runBenchmark(main: () => Promise<void>): void {
  main().then(
    () => process.exit(0),
    (error: unknown) => {
      console.error(error);
      process.exit(1);
    },
  );
}
