/**
 * Profiles two benchmark misses on the shared server (127.0.0.1:5432, own databases prof_rss_*):
 * what the service's RSS is made of after a scale-like load, and where the disable request's time goes.
 *
 *   tsx bench/profile/rss-disable.ts template <users>
 *   tsx bench/profile/rss-disable.ts rss <users> <label> [KEY=VALUE ...]    (extra service env)
 *   tsx bench/profile/rss-disable.ts disable <users> <label>
 */
import { existsSync, mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import pg from 'pg';
import { byUserName, entraUserBody, entraUserPatch, userNameOf } from '../lib/entra';
import { ensureStatus, HttpClient, scimClient } from '../lib/http';
import { openSeeder, TEMPLATE_RUN } from '../lib/seed';
import { ADMIN_TOKEN, deleteTopics, ROOT, SCIM_TOKEN, startService, type Service } from '../lib/service';
import { publisherCaughtUp } from '../lib/templates';

const URL_OF = (db: string) => `postgres://postgres@127.0.0.1:5432/${db}`;
const HOOK = path.join(ROOT, 'bench/profile/mem-hook.cjs');
const OUT = path.join(ROOT, 'bench/.out/prof');

async function admin(sql: string): Promise<pg.QueryResultRow[]> {
  const c = new pg.Client({ connectionString: URL_OF('postgres') });
  await c.connect();
  try {
    return (await c.query(sql)).rows;
  } finally {
    await c.end();
  }
}
const exists = async (db: string) => (await admin(`SELECT 1 FROM pg_database WHERE datname = '${db}'`)).length > 0;

async function template(users: number): Promise<string> {
  const name = `prof_rss_tpl_${users}`;
  if (await exists(name)) return name;
  await admin(`DROP DATABASE IF EXISTS ${name}_b WITH (FORCE)`);
  await admin(`CREATE DATABASE ${name}_b`);
  const t0 = Date.now();
  const seeder = await openSeeder(URL_OF(`${name}_b`));
  try {
    await seeder.users(TEMPLATE_RUN, 0, users, (done) => done % 20_000 === 0 && process.stderr.write(`  seeded ${done} (${((Date.now() - t0) / 1000).toFixed(0)} s)\n`));
  } finally {
    await seeder.close();
  }
  const service = await startService({ databaseUrl: URL_OF(`${name}_b`), label: `prof-tpl-${users}`, startTimeoutMs: 3600_000 });
  try {
    await publisherCaughtUp(service.origin, 3600_000);
  } finally {
    await service.stop();
    await deleteTopics([service.kafkaTopic]);
  }
  const c = new pg.Client({ connectionString: URL_OF(`${name}_b`) });
  await c.connect();
  await c.query('VACUUM ANALYZE');
  await c.end();
  await admin(`ALTER DATABASE ${name}_b RENAME TO ${name}`);
  process.stderr.write(`  template ${name} in ${((Date.now() - t0) / 1000).toFixed(0)} s\n`);
  return name;
}

async function withService<T>(users: number, label: string, env: Record<string, string>, work: (s: Service, dir: string) => Promise<T>): Promise<T> {
  const tpl = await template(users);
  const db = `prof_rss_${label}`.toLowerCase();
  const dir = path.join(OUT, label);
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  await admin(`DROP DATABASE IF EXISTS ${db} WITH (FORCE)`);
  await admin(`CREATE DATABASE ${db} TEMPLATE ${tpl}`);
  const t0 = performance.now();
  const service = await startService({
    databaseUrl: URL_OF(db),
    label: `prof-${label}`,
    startTimeoutMs: 3600_000,
    env: { PROF_DIR: dir, ...env, NODE_OPTIONS: `--require ${HOOK} ${env.EXTRA_NODE_OPTIONS ?? ""}`.trim() },
  });
  console.log(`${label}: started in ${((performance.now() - t0) / 1000).toFixed(1)} s, pid ${service.pid}`);
  try {
    return await work(service, dir);
  } finally {
    await service.stop();
    await deleteTopics([service.kafkaTopic]);
    await admin(`DROP DATABASE IF EXISTS ${db} WITH (FORCE)`);
  }
}

const MB = (b: number) => (b / 2 ** 20).toFixed(1);

/** Rss of the process by kind of mapping (/proc/<pid>/smaps), in bytes. */
function smaps(pid: number): Record<string, number> {
  const text = readFileSync(`/proc/${pid}/smaps`, 'utf8');
  const out: Record<string, number> = {};
  let kind = 'anon';
  for (const line of text.split('\n')) {
    const head = /^[0-9a-f]+-[0-9a-f]+ \S+ \S+ \S+ \S+\s*(.*)$/.exec(line);
    if (head) {
      const name = head[1]!.trim();
      kind = name === '' ? 'anon' : name === '[heap]' ? '[heap] (brk malloc)' : name.startsWith('[stack') ? 'stack' : name.startsWith('[') ? name : name.includes('/node') && !name.includes('node_modules') ? 'node binary' : name.includes('node_modules') ? 'node_modules .node/.so' : 'other files (libs)';
      continue;
    }
    const rss = /^Rss:\s+(\d+) kB/.exec(line);
    if (rss) out[kind] = (out[kind] ?? 0) + Number(rss[1]) * 1024;
  }
  return out;
}

function status(pid: number): { rss: number; hwm: number; anon: number; file: number; threads: number } {
  const s = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = (n: string) => Number(new RegExp(`^${n}:\\s+(\\d+)`, 'm').exec(s)?.[1] ?? NaN) * 1024;
  return { rss: kb('VmRSS'), hwm: kb('VmHWM'), anon: kb('RssAnon'), file: kb('RssFile'), threads: kb('Threads') / 1024 };
}

function threadNames(pid: number): string {
  const names = readdirSync(`/proc/${pid}/task`).map((t) => readFileSync(`/proc/${pid}/task/${t}/comm`, 'utf8').trim());
  const counts = new Map<string, number>();
  for (const n of names) counts.set(n, (counts.get(n) ?? 0) + 1);
  return [...counts].map(([n, c]) => `${n}×${c}`).join(' ');
}

interface MemFile {
  tid: number;
  memory: NodeJS.MemoryUsage;
  heap: { total_heap_size: number; used_heap_size: number; total_physical_size: number; malloced_memory: number; external_memory: number; total_heap_size_executable: number };
  spaces: Record<string, { size: number; used: number }>;
}
function readMem(dir: string): MemFile[] {
  return readdirSync(dir)
    .filter((f) => /^mem-\d+\.json$/.test(f))
    .map((f) => JSON.parse(readFileSync(path.join(dir, f), 'utf8')) as MemFile);
}

function report(what: string, pid: number, dir: string): void {
  const st = status(pid);
  console.log(`-- ${what}: VmRSS ${MB(st.rss)} MB (anon ${MB(st.anon)}, file ${MB(st.file)}), VmHWM ${MB(st.hwm)} MB, threads ${st.threads}: ${threadNames(pid)}`);
  const m = smaps(pid);
  console.log(`   smaps rss: ${Object.entries(m).sort((a, b) => b[1] - a[1]).map(([k, v]) => `${k} ${MB(v)}`).join(', ')}`);
  for (const f of readMem(dir).sort((a, b) => a.tid - b.tid)) {
    const sp = Object.entries(f.spaces).filter(([, s]) => s.size > 1 << 20).map(([k, s]) => `${k} ${MB(s.used)}/${MB(s.size)}`).join(', ');
    console.log(
      `   thread ${f.tid}: heapUsed ${MB(f.memory.heapUsed)} heapTotal ${MB(f.memory.heapTotal)} physical ${MB(f.heap.total_physical_size)} external ${MB(f.memory.external)} arrayBuffers ${MB(f.memory.arrayBuffers)} malloced(V8) ${MB(f.heap.malloced_memory)} | ${sp}`,
    );
  }
}

async function touch(dir: string, name: string, settleMs = 1500): Promise<void> {
  writeFileSync(path.join(dir, name), '');
  const deadline = Date.now() + 120_000;
  while (existsSync(path.join(dir, name)) && Date.now() < deadline) await delay(100);
  // The thread writes its mem file in the same tick, after the action: a fresher file means done.
  const taken = Date.now();
  const tid = /-(\d+)$/.exec(name)?.[1];
  if (tid !== undefined) {
    const mem = path.join(dir, `mem-${tid}.json`);
    const t = () => {
      try {
        return (JSON.parse(readFileSync(mem, 'utf8')) as { t: number }).t;
      } catch {
        return 0; // being written
      }
    };
    while (Date.now() < deadline && t() <= taken) await delay(100);
  }
  await delay(settleMs);
}

function seeded(seed: number): () => number {
  let state = seed >>> 0 || 1;
  return () => {
    state = (state * 1664525 + 1013904223) >>> 0;
    return state / 2 ** 32;
  };
}

async function rss(users: number, label: string, env: Record<string, string>, snapshots: boolean): Promise<void> {
  await withService(users, label, env, async (service, dir) => {
    await delay(3000);
    report('after start', service.pid, dir);
    const client = scimClient(service.origin, SCIM_TOKEN, 1);
    const random = seeded(users);
    const ids: string[] = [];
    const samples = Number(process.env.SAMPLES ?? 30);
    for (let i = 0; i < samples; i++) {
      const r = ensureStatus(await client.request('GET', `/scim/v2/Users?${byUserName(userNameOf(TEMPLATE_RUN, Math.floor(random() * users)))}`), 200, 'GET');
      ids.push((r.body as { Resources: { id: string }[] }).Resources[0]!.id);
    }
    const t0 = performance.now();
    // The RSS every 50 ms, its maximum per phase of the load: where the peak (VmHWM) comes from.
    let phase = 'warm';
    const peaks = new Map<string, number>();
    const sampler = setInterval(() => peaks.set(phase, Math.max(peaks.get(phase) ?? 0, status(service.pid).rss)), 50);
    for (let rep = 0; rep < Number(process.env.REPEATS ?? 3); rep++) {
      phase = 'GET';
      for (let i = 0; i < samples; i++) ensureStatus(await client.request('GET', `/scim/v2/Users?${byUserName(userNameOf(TEMPLATE_RUN, Math.floor(random() * users)))}`), 200, 'GET');
      phase = 'POST';
      for (let i = 0; i < samples; i++) ensureStatus(await client.request('POST', '/scim/v2/Users', entraUserBody(`${label}r${rep}`, i)), 201, 'POST');
      phase = 'PATCH';
      for (let i = 0; i < samples; i++) ensureStatus(await client.request('PATCH', `/scim/v2/Users/${ids[i % ids.length]}`, entraUserPatch(`T ${rep} ${i}`)), 200, 'PATCH');
      for (const [name, start] of [['page 1', 1], ['page middle', Math.floor(users / 2)], ['page deep', users - 100]] as const) {
        phase = name;
        for (let i = 0; i < Math.max(5, samples / 3); i++) ensureStatus(await client.request('GET', `/scim/v2/Users?startIndex=${start}&count=100`), 200, 'page');
      }
    }
    clearInterval(sampler);
    console.log(`   max RSS by phase (MB): ${[...peaks].map(([k, v]) => `${k} ${MB(v)}`).join(', ')}`);
    client.close();
    console.log(`   load ran ${((performance.now() - t0) / 1000).toFixed(1)} s`);
    await delay(2000);
    report('after the load', service.pid, dir);
    const tids = readMem(dir).map((f) => f.tid);
    for (const tid of tids) await touch(dir, `gc-${tid}`, 500);
    await delay(1500);
    report('after a full GC in each thread', service.pid, dir);
    if (snapshots) {
      for (const tid of tids) await touch(dir, `snap-${tid}`, 500);
      report('after heap snapshots', service.pid, dir);
    }
  });
}

async function disable(users: number, label: string, env: Record<string, string>): Promise<void> {
  await withService(users, label, { PROF_SQL: '1', ...env }, async (service, dir) => {
    await delay(3000);
    const adminClient = new HttpClient(service.origin, { Authorization: `Bearer ${ADMIN_TOKEN}`, 'Content-Type': 'application/vnd.api+json' }, 1);
    // one warm request on the admin API (first-use costs apart), like the bench does not: reported separately
    await touch(dir, 'cpu-start', 300);
    const sentAt = performance.timeOrigin + performance.now();
    const r = await adminClient.request('DELETE', '/api/v2/admin/scim-settings');
    console.log(`DELETE scim-settings: HTTP ${r.status} in ${r.ms.toFixed(1)} ms (sent at ${sentAt.toFixed(1)})`);
    await delay(1000);
    await touch(dir, 'cpu-stop', 1500);
    adminClient.close();
    await delay(600);
    const lines = readdirSync(dir)
      .filter((f) => /^sql-\d+\.log$/.test(f))
      .flatMap((f) => readFileSync(path.join(dir, f), 'utf8').split('\n').filter(Boolean).map((l) => `${f.slice(4, -4)}\t${l}`));
    const rows = lines.map((l) => l.split('\t')).map(([tid, start, ms, n, text]) => ({ tid, start: Number(start), ms: Number(ms), n, text: text! }));
    const window = rows.filter((x) => x.start >= sentAt - 5 && x.start <= sentAt + r.ms + 1000).sort((a, b) => a.start - b.start);
    console.log('   offset_ms  dur_ms  rows  thread  statement (from the request being sent, to 1 s after its answer)');
    for (const x of window) console.log(`   ${(x.start - sentAt).toFixed(1).padStart(8)} ${x.ms.toFixed(1).padStart(7)} ${String(x.n).padStart(6)}  t${x.tid}  ${x.n === "HTTP" ? x.text : x.text.slice(0, 130)}`);
  });
}

async function main(): Promise<void> {
  const [command, usersArg, label, ...rest] = process.argv.slice(2);
  const users = Number(usersArg);
  if (command === 'template') await template(users);
  else if (command === 'rss') await rss(users, label!, Object.fromEntries(rest.filter((a) => a.includes('=')).map((a) => [a.slice(0, a.indexOf('=')), a.slice(a.indexOf('=') + 1)] as [string, string])), rest.includes('--snap'));
  else if (command === 'disable') await disable(users, label!, Object.fromEntries(rest.filter((a) => a.includes('=')).map((a) => [a.slice(0, a.indexOf('=')), a.slice(a.indexOf('=') + 1)] as [string, string])));
  else throw new Error('usage: template|rss|disable <users> <label>');
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
