/**
 * Summarises a .cpuprofile of `scim-audit rebuild` over the rebuild's own window (first to last
 * statement of the projections, from pg-timing-hook.js's PROF_STATS): wall, Node busy vs idle,
 * self time by area, top functions by self time, inclusive time of chosen functions, and the
 * statements the hook timed.   node analyze.js <profile> <stats.json>
 */
'use strict';
const fs = require('node:fs');
const [profileFile, statsFile] = process.argv.slice(2);
const profile = JSON.parse(fs.readFileSync(profileFile, 'utf8'));
const stats = JSON.parse(fs.readFileSync(statsFile, 'utf8'));
const phases = Object.entries(stats.projections).filter(([name]) => name !== 'setup');
const from = Math.min(...phases.map(([, p]) => p.first));
const to = Math.max(...phases.map(([, p]) => p.last));

const byId = new Map(profile.nodes.map((n) => [n.id, n]));
const parent = new Map();
for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
const short = (url) => url.replace(/^file:\/\//, '').replace(/^.*?\/(node_modules\/|shared\/|projections\/|services\/|bench\/)/, '$1');
const frame = (n) => `${n.callFrame.functionName || '(anonymous)'} ${short(n.callFrame.url)}:${n.callFrame.lineNumber + 1}`;

function area(n) {
  const f = n.callFrame.functionName;
  const u = n.callFrame.url;
  if (f === '(idle)') return 'idle (waiting on Postgres)';
  if (f === '(garbage collector)') return 'GC';
  if (f === '(program)') return 'V8/native (program)';
  if (u.includes('node_modules/pg-protocol/')) return 'pg driver: protocol';
  if (/node_modules\/(pg|pg-types|postgres-\w+|pg-pool)\//.test(u)) return 'pg driver: query/types';
  if (u.includes('shared/eventstore/postgres/rows.ts')) return 'event rows (JSON.parse of payloads, BigInt)';
  if (u.includes('projections/')) return `projection code (${u.includes('/platform/') ? 'platform' : u.includes('/scim/') ? 'scim' : 'runtime'})`;
  if (u.includes('shared/domain') || u.includes('shared/commands') || u.includes('shared/events')) return 'domain fold/upcast';
  if (u.includes('shared/')) return 'shared (other)';
  if (u.startsWith('node:')) return 'node internals (net, streams, buffers)';
  if (u.includes('node_modules/')) return `other package ${u.split('node_modules/')[1].split('/')[0]}`;
  return u ? 'other' : `native: ${f}`;
}

let t = profile.startTime;
const self = new Map();
const areas = new Map();
const inclusive = new Map();
let windowUs = 0;
for (let i = 0; i < profile.samples.length; i++) {
  t += profile.timeDeltas[i];
  const dt = profile.timeDeltas[i + 1] ?? 0;
  if (t < from || t > to) continue;
  windowUs += dt;
  const n = byId.get(profile.samples[i]);
  self.set(frame(n), (self.get(frame(n)) ?? 0) + dt);
  areas.set(area(n), (areas.get(area(n)) ?? 0) + dt);
  const seen = new Set();
  for (let id = n.id; id !== undefined; id = parent.get(id)) {
    const name = frame(byId.get(id));
    if (seen.has(name)) continue;
    seen.add(name);
    inclusive.set(name, (inclusive.get(name) ?? 0) + dt);
  }
}
const ms = (us) => (us / 1000).toFixed(0);
const pct = (us) => `${((100 * us) / windowUs).toFixed(1)}%`;
const idle = areas.get('idle (waiting on Postgres)') ?? 0;
console.log(`window ${ms(to - from)} ms (sampled ${ms(windowUs)} ms); Node busy ${ms(windowUs - idle)} ms (${pct(windowUs - idle)}), idle ${ms(idle)} ms (${pct(idle)})`);
for (const [name, p] of phases) console.log(`  ${name}: ${ms(p.last - p.first)} ms, ${p.statements} statements, ${ms(p.ms * 1000)} ms in statements`);
console.log(`Postgres backends: ${stats.backends}, CPU ${stats.backendCpuMs.toFixed(0)} ms`);
console.log('\n## self time by area');
for (const [a, us] of [...areas].sort((x, y) => y[1] - x[1])) console.log(`${ms(us).padStart(7)} ms ${pct(us).padStart(6)}  ${a}`);
console.log('\n## top 30 functions by self time');
for (const [f, us] of [...self].sort((x, y) => y[1] - x[1]).slice(0, 30)) console.log(`${ms(us).padStart(7)} ms ${pct(us).padStart(6)}  ${f}`);
console.log('\n## inclusive time (functions of interest)');
const wanted = /^(apply |get data|get metadata|toLazyRecordedEvent|writeStatements|flushRows|insertActivity|recordNames|prefetch|upcastRecordedEvent|evolveUser|evolveGroup|storedUsers|summarise|activityRow|stringify|parse |countChange|userRow|handleDataRow|parseDataRowMessage|applyEvents|buildAndSwap|readAll|readPage|map )/;
for (const [f, us] of [...inclusive].filter(([f]) => wanted.test(f)).sort((x, y) => y[1] - x[1]).slice(0, 40)) console.log(`${ms(us).padStart(7)} ms ${pct(us).padStart(6)}  ${f}`);
console.log('\n## statements (hook): count, total ms, rows, param MB');
for (const s of stats.statements.slice(0, 25)) console.log(`${String(s.count).padStart(6)} ${s.ms.toFixed(0).padStart(7)} ms ${String(s.rows).padStart(8)} rows ${(s.paramBytes / 2 ** 20).toFixed(1).padStart(6)} MB  ${s.projection} | ${s.statement}`);
const total = stats.statements.reduce((a, s) => ({ count: a.count + s.count, ms: a.ms + s.ms }), { count: 0, ms: 0 });
console.log(`total ${total.count} statements, ${total.ms.toFixed(0)} ms`);
