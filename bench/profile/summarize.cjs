// node bench/profile/summarize.cjs heap <file.heapsnapshot> [top]  — shallow size by constructor
// node bench/profile/summarize.cjs cpu <file.cpuprofile> [top]     — self time by function
'use strict';
const fs = require('node:fs');
const [kind, file, topArg, fromUs, toUs] = process.argv.slice(2);
const top = Number(topArg ?? 20);
const MB = (b) => (b / 2 ** 20).toFixed(1);
if (kind === 'heap') {
  const snap = JSON.parse(fs.readFileSync(file, 'utf8'));
  const meta = snap.snapshot.meta;
  const f = meta.node_fields;
  const types = meta.node_types[0];
  const N = f.length;
  const iType = f.indexOf('type'), iName = f.indexOf('name'), iSize = f.indexOf('self_size');
  const nodes = snap.nodes, strings = snap.strings;
  const by = new Map();
  let total = 0;
  for (let i = 0; i < nodes.length; i += N) {
    const type = types[nodes[i + iType]];
    let name = type === 'object' || type === 'closure' || type === 'native' ? `${type}:${strings[nodes[i + iName]]}` : `(${type})`;
    if (name.length > 60) name = name.slice(0, 60);
    const size = nodes[i + iSize];
    total += size;
    const e = by.get(name) ?? { size: 0, count: 0 };
    e.size += size;
    e.count++;
    by.set(name, e);
  }
  console.log(`${file}: ${nodes.length / N} nodes, ${MB(total)} MB shallow`);
  for (const [name, e] of [...by].sort((a, b) => b[1].size - a[1].size).slice(0, top)) console.log(`  ${MB(e.size).padStart(7)} MB ${String(e.count).padStart(9)}  ${name}`);
} else if (kind === 'cpu') {
  const p = JSON.parse(fs.readFileSync(file, 'utf8'));
  const byId = new Map(p.nodes.map((n) => [n.id, n]));
  const self = new Map();
  const dts = p.timeDeltas;
  let total = 0;
  let t = p.startTime;
  for (let i = 0; i < p.samples.length; i++) {
    t += dts[i];
    const n = byId.get(p.samples[i]);
    const dt = dts[i + 1] ?? 0;
    // Optional window (µs, CLOCK_MONOTONIC like process.hrtime): only samples inside it.
    if (fromUs && (t < Number(fromUs) || t > Number(toUs))) continue;
    total += dt;
    const cf = n.callFrame;
    const url = cf.url.replace(/^.*\/(node_modules\/[^/]+|[^/]+\/[^/]+)\//, '$1/');
    const key = `${cf.functionName || '(anon)'} ${url}:${cf.lineNumber + 1}`;
    self.set(key, (self.get(key) ?? 0) + dt);
  }
  console.log(`${file}: ${(total / 1000).toFixed(0)} ms sampled`);
  for (const [k, us] of [...self].sort((a, b) => b[1] - a[1]).slice(0, top)) console.log(`  ${(us / 1000).toFixed(1).padStart(8)} ms  ${k}`);
}
