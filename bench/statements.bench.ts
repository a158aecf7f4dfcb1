/**
 * (b) Postgres statements per request: on a POST /Users's request path and in all (projection
 * and publisher included), and on a GET (by id, and by filter as Entra matches users).
 *
 *   BENCH_MODE=quick|full node_modules/.bin/tsx bench/statements.bench.ts
 *
 * Method, and why: the server's own statement log (log_statement = 'all' on the bench database of
 * the bench cluster, every line prefixed with the backend's application name; bench/lib/statement-log.ts)
 * counts every statement exactly, whatever sent it. pg_stat_statements counts exactly too but
 * cannot tell one process from another, and pg_stat_database's xact/tuple deltas count
 * transactions and rows, not statements. To tell the request path from the projection's and
 * the publisher's work, which share one process and one pool in the default topology, this run
 * uses the service's documented split topology: the API with RUN_PROJECTIONS=false and
 * RUN_PUBLISHER=false, the projector (services/projector) and the publisher
 * (services/event-publisher) as processes of their own, each with its PGAPPNAME. The API process
 * then sends only request-path statements, plus the checkpoint polls its read-your-writes wait
 * makes because the projection runs elsewhere (in the default topology the wait reads an
 * in-memory checkpoint): those are counted apart. GETs go to a second API instance that has
 * written nothing, so it never waits. Each request runs alone, the next one after everything settled.
 */
import { randomUUID } from 'node:crypto';
import { setTimeout as delay } from 'node:timers/promises';
import { barChartSvg } from './lib/chart';
import { benchContext } from './lib/context';
import { byUserName, entraUserBody } from './lib/entra';
import { ensureStatus, scimClient } from './lib/http';
import { param, runBenchmark, writeReport } from './lib/report';
import { freePort, SCIM_TOKEN, startNodeProcess, TOKEN_HMAC_SECRET, KAFKA_BROKERS, deleteTopics } from './lib/service';
import { abbreviate, StatementLog, type LoggedStatement } from './lib/statement-log';
import { fmt, repeated, spread } from './lib/stats';

const SAMPLES = param('SAMPLES', 5, 20);
/** After a response, how long the projection and the publisher get to finish with its events. */
const SETTLE_MS = param('SETTLE_MS', 700, 1_500);

/** The read-your-writes checkpoint poll of an API whose projection runs in another process. */
const isCheckpointPoll = (sql: string) => /FROM projection_checkpoints WHERE name = \$1\s*$/i.test(sql);
const sum = (rows: readonly LoggedStatement[]) => rows.reduce((n, r) => n + r.statements, 0);

async function main(): Promise<void> {
  const ctx = await benchContext('statements');
  try {
    const database = await ctx.database('db');
    await ctx.cluster.query(`ALTER DATABASE "${database}" SET log_statement = 'all'`);
    const url = ctx.cluster.url(database);
    const split = { RUN_PROJECTIONS: 'false', RUN_PUBLISHER: 'false' };
    const topic = `bench-${process.pid}-statements`;
    ctx.onCleanup(() => deleteTopics([topic]));

    // The projector first: an API without projections answers only once the read models are
    // built (both migrate, under the migration lock); the API then seeds its tokens.
    const common = { DATABASE_URL: url, TOKEN_HMAC_SECRET, LOG_LEVEL: 'warn', KAFKA_BROKERS, KAFKA_TOPIC: topic, HOST: '127.0.0.1' };
    const projector = startNodeProcess('services/projector/main.ts', { ...common, PGAPPNAME: 'bench-projector' }, 'statements-projector');
    ctx.onCleanup(() => projector.stop());
    const writer = await ctx.service(database, 'api', { env: split });
    const publisher = startNodeProcess('services/event-publisher/main.ts', { ...common, PORT: String(await freePort()), PGAPPNAME: 'bench-publisher' }, 'statements-publisher');
    ctx.onCleanup(() => publisher.stop());
    const reader = await ctx.service(database, 'reader', { env: split });
    const apps = { writer: 'bench-statements-api', reader: 'bench-statements-reader', projector: 'bench-projector', publisher: 'bench-publisher' };

    const w = scimClient(writer.origin, SCIM_TOKEN, 1);
    const r = scimClient(reader.origin, SCIM_TOKEN, 1);
    ctx.onCleanup(async () => {
      w.close();
      r.close();
    });
    const run = randomUUID().slice(0, 8);
    // Warm-up: first requests prepare caches and connections; the projector must be running.
    for (let i = 0; i < 3; i++) {
      const created = ensureStatus(await w.request('POST', '/scim/v2/Users', entraUserBody(`warm${run}`, i)), 201, 'warm-up POST');
      ensureStatus(await r.request('GET', `/scim/v2/Users/${(created.body as { id: string }).id}`), 200, 'warm-up GET');
    }
    await delay(SETTLE_MS);

    const log = new StatementLog(ctx.cluster.logFile);
    // The idle background: what the processes send with no request at all (subscription polls).
    const idleMs = 2_000;
    log.mark();
    await delay(idleMs);
    const idle = log.read(database);
    const idlePerMs = (app: string) => sum(idle.filter((s) => s.application === app)) / idleMs;

    const postPath: number[] = [];
    const postRoundTrips: number[] = [];
    const postPolls: number[] = [];
    const postAfter: number[] = [];
    const postProjector: number[] = [];
    const postPublisher: number[] = [];
    const postAll: number[] = [];
    let example: LoggedStatement[] = [];
    const ids: string[] = [];
    for (let i = 0; i < SAMPLES; i++) {
      log.mark();
      const sent = Date.now();
      const created = ensureStatus(await w.request('POST', '/scim/v2/Users', entraUserBody(run, i)), 201, 'POST /Users');
      const answered = Date.now();
      ids.push((created.body as { id: string }).id);
      await delay(SETTLE_MS);
      const window = Date.now() - sent;
      const lines = log.read(database);
      const api = lines.filter((s) => s.application === apps.writer);
      const during = api.filter((s) => s.at <= answered);
      const path = during.filter((s) => !isCheckpointPoll(s.sql));
      postPath.push(sum(path));
      postRoundTrips.push(path.length);
      postPolls.push(sum(during.filter((s) => isCheckpointPoll(s.sql))));
      postAfter.push(sum(api.filter((s) => s.at > answered)));
      // Background polls that would have happened anyway are subtracted at the idle rate.
      const projected = sum(lines.filter((s) => s.application === apps.projector)) - idlePerMs(apps.projector) * window;
      const published = sum(lines.filter((s) => s.application === apps.publisher)) - idlePerMs(apps.publisher) * window;
      postProjector.push(projected);
      postPublisher.push(published);
      postAll.push(sum(path) + sum(api.filter((s) => s.at > answered)) + projected + published);
      if (i === 0) example = path;
    }

    const getById: number[] = [];
    const getByFilter: number[] = [];
    let getExample: LoggedStatement[] = [];
    for (let i = 0; i < SAMPLES; i++) {
      log.mark();
      ensureStatus(await r.request('GET', `/scim/v2/Users/${ids[i % ids.length]}`), 200, 'GET /Users/:id');
      await delay(100);
      const byId = log.read(database).filter((s) => s.application === apps.reader);
      getById.push(sum(byId));
      if (i === 0) getExample = byId;
      log.mark();
      const name = (entraUserBody(run, i % ids.length) as { userName: string }).userName;
      const found = ensureStatus(await r.request('GET', `/scim/v2/Users?${byUserName(name)}`), 200, 'GET /Users?filter');
      if ((found.body as { totalResults: number }).totalResults !== 1) throw new Error(`GET ?filter found ${JSON.stringify(found.body).slice(0, 200)}`);
      await delay(100);
      getByFilter.push(sum(log.read(database).filter((s) => s.application === apps.reader)));
    }

    const P = repeated(postPath);
    const G = repeated(getById);
    const F = repeated(getByFilter);
    writeReport({
      name: 'statements',
      title: 'Postgres statements per POST and per GET',
      script: 'bench/statements.bench.ts',
      postgres: ctx.postgres,
      method:
        `Counted from the server's statement log (log_statement = 'all', per application name), ${SAMPLES} POSTs of Entra-shaped users and ${SAMPLES} GETs of each kind, one at a time, ` +
        `each followed by ${SETTLE_MS} ms for the projection and the publisher to finish. Split topology (API, projector and publisher as separate processes, ` +
        `each with its own application name) so that the request path is exactly what the API process sends; see the header of bench/statements.bench.ts for why this method. ` +
        `"In all" adds the API's statements after the response and the projector's and publisher's, minus their idle polling ` +
        `(${fmt(idlePerMs(apps.projector) * 1000, 1)} and ${fmt(idlePerMs(apps.publisher) * 1000, 1)} statements/s measured over ${idleMs / 1000} s idle), so it is exact to about ±1.`,
      targets: [
        { target: 'statements on a POST /Users request path ≤ 6', measured: `${fmt(P.median)} (min ${fmt(P.min)}, max ${fmt(P.max)})`, met: P.median <= 6 },
        { target: 'statements on a GET ≤ 3 (GET /Users/:id)', measured: `${fmt(G.median)} (min ${fmt(G.min)}, max ${fmt(G.max)})`, met: G.median <= 3 },
        { target: 'statements on a GET ≤ 3 (GET /Users?filter=userName eq …)', measured: `${fmt(F.median)} (min ${fmt(F.min)}, max ${fmt(F.max)})`, met: F.median <= 3 },
      ],
      sections: [
        '## Results (median (min–max) over the samples)',
        [
          '| request | request path: statements | round trips | checkpoint polls (split topology only) | API after the response | projector | publisher | in all |',
          '|---|---|---|---|---|---|---|---|',
          `| POST /Users | ${spread(P)} | ${spread(repeated(postRoundTrips))} | ${spread(repeated(postPolls))} | ${spread(repeated(postAfter))} | ${spread(repeated(postProjector), 1)} | ${spread(repeated(postPublisher), 1)} | ${spread(repeated(postAll), 1)} |`,
          `| GET /Users/:id | ${spread(G)} | – | – | – | – | – | ${spread(G)} |`,
          `| GET /Users?filter=userName eq … | ${spread(F)} | – | – | – | – | – | ${spread(F)} |`,
        ].join('\n'),
        "The issue's figures (today): 16 on a POST's request path, about 34 in all.",
        '## The request path of one POST /Users, statement by statement',
        example.map((s, i) => `${i + 1}. \`${abbreviate(s.sql)}\`${s.statements > 1 ? ` (${s.statements} statements)` : ''}`).join('\n'),
        '## The request path of one GET /Users/:id',
        getExample.map((s, i) => `${i + 1}. \`${abbreviate(s.sql)}\``).join('\n'),
      ],
      chartSvg: barChartSvg({
        title: 'Postgres statements per request',
        yLabel: 'statements',
        categories: ['POST request path', 'POST in all', 'GET /Users/:id', 'GET ?filter'],
        series: [{ name: 'statements (median, min–max)', values: [P, repeated(postAll), G, F] }],
        lines: [
          { value: 6, label: 'POST target ≤ 6' },
          { value: 3, label: 'GET target ≤ 3' },
        ],
      }),
    });
  } finally {
    await ctx.cleanup();
  }
}

runBenchmark(main);
