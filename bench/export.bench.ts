/**
 * `scim-audit export --chain` of EXPORT_EVENTS events (1,000,000; quick 100,000) appended straight
 * through the event-store port, in a process whose V8 heap is capped (--max-old-space-size, 64
 * MiB): events/s and the process's peak RSS, at a tenth of the log and at all of it (flat memory
 * means the same peak), then `verify-export` of the file. Reference in the same run: Postgres
 * itself writing the same rows as JSON lines to a file (COPY ... TO, server side).
 *
 *   BENCH_MODE=quick|full node_modules/.bin/tsx bench/export.bench.ts
 */
import { createHash, randomUUID } from 'node:crypto';
import { mkdirSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import path from 'node:path';
import { createPool } from '../shared/db/pool';
import { migrate } from '../shared/db/migrate';
import type { EventToAppend } from '../shared/eventstore/port';
import { createPostgresEventStore } from '../shared/eventstore/postgres/postgres-event-store';
import { barChartSvg } from './lib/chart';
import type { BenchCluster } from './lib/cluster';
import { benchContext } from './lib/context';
import { entraUserAttributes } from './lib/entra';
import { param, runBenchmark, writeReport } from './lib/report';
import { OUT_DIR, ROOT, startNodeProcess } from './lib/service';
import { fmt, repeated, spread } from './lib/stats';

const EVENTS = param('EXPORT_EVENTS', 100_000, 1_000_000);
const REPEATS = param('REPEATS', 2, 3);
const HEAP_MIB = param('EXPORT_HEAP_MIB', 64, 64);
/** Events per stream of the seeded log: a UserProvisioned, then attribute changes. */
const PER_STREAM = 100;
const SEED_CONCURRENCY = 4;

const MiB = 1024 * 1024;

function contentHash(files: readonly string[]): string {
  const hash = createHash('sha256');
  const walk = (relative: string): string[] => {
    const full = path.join(ROOT, relative);
    return statSync(full).isFile() ? [full] : readdirSync(full).flatMap((name) => walk(path.join(relative, name)));
  };
  for (const file of files.flatMap(walk).sort()) hash.update(file).update(readFileSync(file));
  return hash.digest('hex').slice(0, 10);
}

/** A template database of `events` events in streams of PER_STREAM, appended through the port; built once. */
async function eventsTemplate(cluster: BenchCluster, events: number): Promise<string> {
  const name = `bench_tpl_events_${events}_${contentHash(['shared/db/migrations', 'shared/eventstore', 'bench/export.bench.ts'])}`;
  if (await cluster.databaseExists(name)) return name;
  const building = `${name}_building`;
  await cluster.dropDatabase(building);
  await cluster.createDatabase(building);
  const url = cluster.url(building);
  await migrate(url);
  const pool = createPool(url, SEED_CONCURRENCY + 1);
  const store = createPostgresEventStore({ pool });
  const started = Date.now();
  const streams = Math.ceil(events / PER_STREAM);
  let next = 0;
  let written = 0;
  const metadata = () => {
    const requestId = randomUUID();
    return { requestId, correlationId: requestId, causationId: randomUUID(), actor: { kind: 'scim-token', id: 'st-bench' }, source: { ip: '203.0.113.7', userAgent: 'Azure AD SCIM Provisioning' }, occurredAt: new Date().toISOString(), schemaVersion: 1 };
  };
  try {
    await Promise.all(
      Array.from({ length: SEED_CONCURRENCY }, async () => {
        while (next < streams) {
          const n = next++;
          const userId = randomUUID();
          const count = Math.min(PER_STREAM, events - n * PER_STREAM);
          const attributes = entraUserAttributes('export', n);
          const batch: EventToAppend[] = [
            { id: randomUUID(), type: 'UserProvisioned', data: { userId, attributes, active: true, accountId: randomUUID(), linkedExistingAccount: false }, metadata: metadata() },
          ];
          for (let i = 1; i < count; i++) batch.push({ id: randomUUID(), type: 'UserAttributesChanged', data: { userId, set: { title: `Engineer ${i}` }, unset: [] }, metadata: metadata() });
          await store.appendToStream(`user-${userId}`, batch, { expectedRevision: 'no_stream' });
          written += count;
          if (written % 100_000 < count) process.stderr.write(`  template of ${fmt(events)} events: ${fmt(written)} appended (${((Date.now() - started) / 1000).toFixed(0)} s)\n`);
        }
      }),
    );
  } finally {
    await store.close();
    await pool.end();
  }
  await cluster.query('VACUUM ANALYZE', [], building);
  await cluster.query(`ALTER DATABASE "${building}" RENAME TO "${name}"`);
  return name;
}

interface Run {
  readonly events: number;
  readonly seconds: number;
  readonly peakRss: number;
}

/** Runs scim-audit in its own process with the heap cap; its stderr summary (--json) and peak RSS. */
async function audit(args: string[], databaseUrl: string, label: string): Promise<{ summary: Record<string, unknown>; peakRss: number; wallSeconds: number }> {
  const started = performance.now();
  const child = startNodeProcess('services/audit/main.ts', { DATABASE_URL: databaseUrl, NODE_OPTIONS: `--max-old-space-size=${HEAP_MIB} --require ${path.join(ROOT, 'bench/lib/peak-rss.js')}` }, label, false, args);
  const code = await child.exited;
  const wallSeconds = (performance.now() - started) / 1000;
  const log = readFileSync(child.logFile, 'utf8');
  const peak = /peak-rss-bytes=(\d+)/.exec(log);
  // verify-export exits 1 for a tampered file, which the caller reads from the report; anything else is a failure.
  if (!(code === 0 || (code === 1 && args[0] === 'verify-export')) || !peak) throw new Error(`scim-audit ${args.join(' ')} exited ${code}; see ${child.logFile}`);
  // The output is the JSON the command printed (export: one line on stderr; verify-export: the report on stdout).
  const json = log.replace(/peak-rss-bytes=\d+/, '').trim();
  return { summary: JSON.parse(json.startsWith('{') ? json : '{}') as Record<string, unknown>, peakRss: Number(peak[1]), wallSeconds };
}

async function main(): Promise<void> {
  const ctx = await benchContext('export');
  mkdirSync(OUT_DIR, { recursive: true });
  const file = path.join(OUT_DIR, `export-${process.pid}.ndjson`);
  ctx.onCleanup(async () => rmSync(file, { force: true }));
  try {
    const template = await eventsTemplate(ctx.cluster, EVENTS);
    const database = await ctx.database('db', template);
    const url = ctx.cluster.url(database);
    const total = Number((await ctx.cluster.query<{ n: string }>('SELECT count(*) AS n FROM events', [], database))[0]!.n);
    const tenth = Math.floor(total / 10);
    const cut = (await ctx.cluster.query<{ p: string }>(
      `SELECT transaction_id::text || '/' || global_position AS p FROM events ORDER BY transaction_id, global_position OFFSET $1 LIMIT 1`,
      [tenth - 1],
      database,
    ))[0]!.p;

    const sizes = [
      { label: `${fmt(tenth)} (a tenth)`, events: tenth, args: ['--to', cut] },
      { label: `${fmt(total)} (all)`, events: total, args: [] as string[] },
    ];
    const runs = new Map<string, Run[]>(sizes.map((s) => [s.label, []]));
    const verifies: Run[] = [];
    for (let r = 0; r < REPEATS; r++) {
      for (const size of sizes) {
        const { summary, peakRss } = await audit(['export', '--chain', '--out', file, '--json', ...size.args], url, `export-${size.events}-${r}`);
        if (summary.events !== size.events) throw new Error(`exported ${String(summary.events)} events, expected ${size.events}`);
        runs.get(size.label)!.push({ events: size.events, seconds: Number(summary.seconds), peakRss });
        process.stderr.write(`  export ${size.label} ${r + 1}/${REPEATS}: ${fmt(Number(summary.eventsPerSecond))} events/s, peak RSS ${fmt(peakRss / MiB, 1)} MiB\n`);
      }
      // The last file holds everything: check its chain the way an auditor would.
      const verified = await audit(['verify-export', file, '--json'], url, `verify-export-${r}`);
      if (verified.summary.events !== total || (verified.summary.problems as unknown[]).length !== 0) throw new Error(`verify-export found ${JSON.stringify(verified.summary.problems)}`);
      verifies.push({ events: total, seconds: verified.wallSeconds, peakRss: verified.peakRss });
      process.stderr.write(`  verify-export ${r + 1}/${REPEATS}: ${fmt(total / verified.wallSeconds)} events/s (process start included), peak RSS ${fmt(verified.peakRss / MiB, 1)} MiB\n`);
    }

    // Reference: Postgres writing the same rows, in the same order, as JSON lines to a server-side file.
    const copyFile = `/tmp/bench_export_copy_${process.pid}.ndjson`;
    ctx.onCleanup(async () => rmSync(copyFile, { force: true }));
    const copySeconds: number[] = [];
    for (let r = 0; r < REPEATS; r++) {
      const started = performance.now();
      await ctx.cluster.query(
        `COPY (SELECT json_build_object('position', transaction_id::text || '/' || global_position, 'id', event_id, 'streamId', stream_id, 'revision', stream_revision::text,
                 'type', event_type, 'occurredAt', metadata->>'occurredAt', 'recordedAt', recorded_at, 'data', data, 'metadata', metadata)
                 FROM events ORDER BY transaction_id, global_position) TO '${copyFile}'`,
        [],
        database,
      );
      copySeconds.push((performance.now() - started) / 1000);
      process.stderr.write(`  COPY ${r + 1}/${REPEATS}: ${fmt(total / copySeconds.at(-1)!)} rows/s\n`);
    }

    const rate = (list: readonly Run[]) => repeated(list.map((x) => x.events / x.seconds));
    const peak = (list: readonly Run[]) => repeated(list.map((x) => x.peakRss / MiB));
    const small = runs.get(sizes[0]!.label)!;
    const large = runs.get(sizes[1]!.label)!;
    const growth = peak(large).max / peak(small).min;
    const copyRate = repeated(copySeconds.map((s) => total / s));
    writeReport({
      name: 'export',
      title: `scim-audit export --chain of ${fmt(total)} events: events/s and peak RSS under a ${HEAP_MIB} MiB heap`,
      script: 'bench/export.bench.ts',
      postgres: ctx.postgres,
      method:
        `A copy of a store of ${fmt(total)} events (streams of ${PER_STREAM}: a UserProvisioned with Entra-shaped attributes, then attribute changes; appended through the event-store port). ` +
        `Each run is \`scim-audit export --chain --out <file> --json\` as its own process (${process.env.BENCH_SERVICE === 'dist' ? 'dist/' : 'TypeScript through tsx, whose compiler adds to the RSS'}), with NODE_OPTIONS=--max-old-space-size=${HEAP_MIB}: a tool that held the log in memory would die. ` +
        `events/s is the tool's own (from the first read to the digest); peak RSS is the process's ru_maxrss (bench/lib/peak-rss.js). ${REPEATS} repeats, at a tenth of the log (--to the position of event ${fmt(tenth)}) and at all of it: ` +
        `flat memory means the same peak at both. Then \`verify-export\` of the whole file (its events/s include process start). ` +
        `Reference: Postgres writing the same rows as JSON lines to a server-side file (COPY (SELECT json_build_object(...) ... ORDER BY position) TO file), ${REPEATS} repeats.`,
      targets: [
        {
          target: `export --chain of ${fmt(total)} events completes in a ${HEAP_MIB} MiB V8 heap, peak RSS not growing with the log (all ÷ tenth ≤ 1.25)`,
          measured: `peak RSS ${fmt(peak(large).median, 1)} MiB for all, ${fmt(peak(small).median, 1)} MiB for a tenth (ratio ${fmt(growth, 2)})`,
          met: growth <= 1.25,
        },
      ],
      sections: [
        '## Results (median of repeats (min–max))',
        [
          '| | events | events/s | peak RSS (MiB) |',
          '|---|---|---|---|',
          ...sizes.map((s) => `| export --chain, ${s.label} | ${fmt(s.events)} | ${spread(rate(runs.get(s.label)!))} | ${spread(peak(runs.get(s.label)!), 1)} |`),
          `| verify-export of all (process start included) | ${fmt(total)} | ${spread(rate(verifies))} | ${spread(peak(verifies), 1)} |`,
          `| reference: COPY of the same rows as JSON to a file | ${fmt(total)} | ${spread(copyRate)} | (server) |`,
          `| ratio export ÷ COPY | | ${fmt(rate(large).median / copyRate.median, 3)} | |`,
        ].join('\n'),
      ],
      chartSvg: barChartSvg({
        title: `export --chain of ${fmt(total)} events vs COPY of the same rows`,
        yLabel: 'events/s',
        categories: ['export (tenth)', 'export (all)', 'verify-export', 'COPY (reference)'],
        series: [{ name: 'events/s', values: [rate(small), rate(large), rate(verifies), copyRate] }],
      }),
    });
  } finally {
    await ctx.cleanup();
  }
}

runBenchmark(main);
