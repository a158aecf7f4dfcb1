// Profiling hook, preloaded into the service with NODE_OPTIONS="--require <this file>" (it runs in
// every thread, the read-model worker included); inert unless PROF_DIR is set. Not product code:
// it only observes. Per thread, every second: process.memoryUsage() and V8's heap statistics to
// PROF_DIR/mem-<threadId>.json. Trigger files in PROF_DIR (removed when acted on):
//   gc-<tid>    a full GC in that thread (before reading live heap)
//   snap-<tid>  a heap snapshot of that thread to PROF_DIR/heap-<tid>.heapsnapshot
//   cpu-start / cpu-stop   CPU profile of the main thread to PROF_DIR/main.cpuprofile
// With PROF_SQL=1 every pg query's duration (client side, callback or promise) is appended to
// PROF_DIR/sql-<tid>.log, and HTTP requests' start/finish to PROF_DIR/http-<tid>.log.
'use strict';
const dir = process.env.PROF_DIR;
if (dir) {
  const fs = require('node:fs');
  const path = require('node:path');
  const v8 = require('node:v8');
  const vm = require('node:vm');
  const { threadId } = require('node:worker_threads');
  const tid = threadId;
  v8.setFlagsFromString('--expose-gc');
  const gc = vm.runInNewContext('gc');
  const file = (name) => path.join(dir, name);
  const take = (name) => {
    try {
      fs.unlinkSync(file(name));
      return true;
    } catch {
      return false;
    }
  };
  let session;
  const tick = () => {
    if (take(`gc-${tid}`)) gc();
    if (take(`snap-${tid}`)) v8.writeHeapSnapshot(file(`heap-${tid}.heapsnapshot`));
    if (tid === 0 && take('cpu-start')) {
      const inspector = require('node:inspector');
      session = new inspector.Session();
      session.connect();
      session.post('Profiler.enable', () => session.post('Profiler.setSamplingInterval', { interval: 200 }, () => session.post('Profiler.start')));
    }
    if (tid === 0 && session && take('cpu-stop')) {
      const s = session;
      session = undefined;
      s.post('Profiler.stop', (err, { profile }) => {
        if (!err) fs.writeFileSync(file('main.cpuprofile'), JSON.stringify(profile));
        s.disconnect();
      });
    }
    const heap = v8.getHeapStatistics();
    const spaces = Object.fromEntries(v8.getHeapSpaceStatistics().map((s) => [s.space_name, { size: s.space_size, used: s.space_used_size }]));
    // Written aside and renamed, so a reader never sees half a file.
    fs.writeFileSync(file(`.mem-${tid}.tmp`), JSON.stringify({ t: Date.now(), tid, memory: process.memoryUsage(), heap, spaces }));
    fs.renameSync(file(`.mem-${tid}.tmp`), file(`mem-${tid}.json`));
  };
  setInterval(tick, 250).unref();

  if (process.env.PROF_SQL === '1') {
    const lines = [];
    const flush = () => {
      if (lines.length) fs.appendFileSync(file(`sql-${tid}.log`), lines.splice(0).join(''));
    };
    setInterval(flush, 500).unref();
    process.on('exit', flush);
    const now = () => performance.timeOrigin + performance.now();
    const record = (started, text, rows) =>
      lines.push(`${started.toFixed(1)}\t${(now() - started).toFixed(2)}\t${rows}\t${String(text).replace(/\s+/g, ' ').slice(0, 160)}\n`);
    const pg = require('pg');
    const original = pg.Client.prototype.query;
    pg.Client.prototype.query = function (config, values, callback) {
      const text = typeof config === 'string' ? config : config && (config.text || config.name || config.constructor.name);
      const started = now();
      const cb = typeof values === 'function' ? values : callback;
      if (typeof cb === 'function') {
        const wrapped = (err, res) => {
          record(started, text, res && res.rowCount);
          return cb(err, res);
        };
        return typeof values === 'function' ? original.call(this, config, wrapped) : original.call(this, config, values, wrapped);
      }
      const result = original.call(this, config, values, callback);
      if (result && typeof result.then === 'function') result.then((res) => record(started, text, res && res.rowCount), () => record(started, `ERR ${text}`, 0));
      return result;
    };
    const dc = require('node:diagnostics_channel');
    const starts = new WeakMap();
    const mono = () => Number(process.hrtime.bigint() / 1000n);
    dc.subscribe('http.server.request.start', ({ request }) => starts.set(request, [now(), mono()]));
    dc.subscribe('http.server.response.finish', ({ request }) => {
      const started = starts.get(request);
      // hrtime (µs, CLOCK_MONOTONIC, the CPU profile's clock) of start and finish, for slicing the profile.
      if (started) lines.push(`${started[0].toFixed(1)}\t${(now() - started[0]).toFixed(2)}\tHTTP\t${request.method} ${request.url} mono ${started[1]} ${mono()}\n`);
    });
  }
}
