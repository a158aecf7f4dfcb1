/**
 * Preloaded (node -r) into `scim-audit rebuild` to see the Postgres side of a rebuild without
 * touching the server's settings: every statement a pg.Client sends is timed from the call to its
 * result (the round trip: Postgres executing it plus the driver reading the answer), counted with
 * its rows and the bytes of its string parameters, and grouped by its text (schema suffixes and
 * whitespace folded). The CPU the connections' Postgres backends used is read from
 * /proc/<backend pid>/stat (utime + stime, clock ticks) at each result. Written as JSON to
 * PROF_STATS when the process exits.
 */
'use strict';
const fs = require('node:fs');
const { Buffer } = require('node:buffer');
const path = require('node:path');

const pg = require(require.resolve('pg', { paths: [process.cwd()] }));
const original = pg.Client.prototype.query;
const out = process.env.PROF_STATS;
const TICK_MS = 1000 / 100; // CLK_TCK 100 on Linux

const statements = new Map();
const projections = new Map();
const backends = new Map();
let current = 'setup';

function backendTicks(pid) {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return Number(fields[11]) + Number(fields[12]);
  } catch {
    return undefined;
  }
}

function label(text) {
  return text
    .replace(/\s+/g, ' ')
    .replace(/(scim|platform)_(rebuild|retired)_[0-9a-f]{16}/g, '$1_$2')
    .trim()
    .slice(0, 110);
}

function record(client, text, values, started, result) {
  const micros = Number(process.hrtime.bigint() / 1000n);
  const ms = (micros - started) / 1000;
  const schema = /(scim|platform)_rebuild_[0-9a-f]{16}/.exec(text);
  if (schema) current = schema[1];
  const key = `${current} | ${label(text)}`;
  const s = statements.get(key) ?? { projection: current, statement: label(text), count: 0, ms: 0, rows: 0, paramBytes: 0, maxMs: 0 };
  s.count++;
  s.ms += ms;
  s.maxMs = Math.max(s.maxMs, ms);
  s.rows += (result && (result.rowCount ?? (result.rows ? result.rows.length : 0))) || 0;
  if (Array.isArray(values)) for (const v of values) if (typeof v === 'string') s.paramBytes += Buffer.byteLength(v);
  statements.set(key, s);
  const p = projections.get(current) ?? { first: started, last: micros, statements: 0, ms: 0 };
  p.last = micros;
  p.statements++;
  p.ms += ms;
  projections.set(current, p);
  const pid = client.processID;
  if (pid) {
    const ticks = backendTicks(pid);
    const b = backends.get(pid);
    if (ticks !== undefined) {
      if (b) b.last = ticks;
      else backends.set(pid, { first: ticks, last: ticks });
    }
  }
}

pg.Client.prototype.query = function query(config, values, callback) {
  const text = typeof config === 'string' ? config : config && config.text;
  if (!text || (config && typeof config.submit === 'function')) return original.apply(this, arguments);
  if (typeof values === 'function') {
    callback = values;
    values = undefined;
  }
  const started = Number(process.hrtime.bigint() / 1000n);
  if (typeof callback === 'function') {
    return original.call(this, config, values, (error, result) => {
      record(this, text, values, started, error ? null : result);
      callback(error, result);
    });
  }
  return original.call(this, config, values).then(
    (result) => {
      record(this, text, values, started, result);
      return result;
    },
    (error) => {
      record(this, text, values, started, null);
      throw error;
    },
  );
};

process.on('exit', () => {
  if (!out) return;
  fs.mkdirSync(path.dirname(out), { recursive: true });
  const backendMs = [...backends.values()].reduce((sum, b) => sum + (b.last - b.first) * TICK_MS, 0);
  fs.writeFileSync(
    out,
    JSON.stringify(
      {
        // Monotonic microseconds, the clock of V8's .cpuprofile timestamps.
        projections: Object.fromEntries(projections),
        backends: backends.size,
        backendCpuMs: backendMs,
        statements: [...statements.values()].sort((a, b) => b.ms - a.ms),
      },
      null,
      2,
    ),
  );
});
