import { randomUUID } from 'node:crypto';
import { filter, firstValueFrom, timeout } from 'rxjs';
import { readCheckpoint } from '../../projections/runtime/checkpoints';
import { eventByEvent, liveSchema, type Projection } from '../../projections/runtime/projection';
import { rebuildProjection } from '../../projections/runtime/rebuild';
import { startProjection, type ProjectionRunner, type ProjectionRunnerOptions } from '../../projections/runtime/runner';
import { createPool, type PoolClient } from '../../shared/db/pool';
import type { AppendResult, RecordedEvent } from '../../shared/eventstore/port';
import { comparePositions, type Position } from '../../shared/eventstore/position';
import { createPostgresEventStore, type PostgresEventStore } from '../../shared/eventstore/postgres/postgres-event-store';
import { createTestDatabase, type TestDatabase } from '../helpers/postgres';

jest.setTimeout(30_000);

let db: TestDatabase;
let store: PostgresEventStore;
const runners: ProjectionRunner[] = [];

beforeAll(async () => {
  db = await createTestDatabase('projection_rebuild');
  store = createPostgresEventStore({ pool: db.pool, pollIntervalMs: 100 });
});

afterEach(async () => {
  await Promise.all(runners.splice(0).map((r) => r.stop()));
});

afterAll(async () => {
  await store?.close();
  await db?.drop();
});

describe('rebuilding a projection', () => {
  it('builds the live schema at the first start, at once on an empty log', async () => {
    const projection = counterProjection();
    const started = Date.now();
    const runner = start(projection);
    await untilCaughtUp(runner);

    expect(Date.now() - started).toBeLessThan(2_000);
    expect(await checkpointRow(projection.name)).toEqual({ version: 1, commit_position: null, prepare_position: null });
    expect(await counters(projection)).toEqual([]);
    expect(await schemasOf(projection)).toEqual([liveSchema(projection)]);
  });

  it('from zero equals the live model row for row', async () => {
    const projection = counterProjection();
    const runner = start(projection, { batchSize: 17 });
    await untilCaughtUp(runner);
    let last: AppendResult | undefined;
    for (let i = 0; i < 40; i++) last = await append(`${projection.prefix}${i % 7}`, 1 + (i % 4));
    // The last write is the head: the runner reaching it proves every earlier write visible.
    const head = (await append(`unhandled-${randomUUID()}`, 3)).position;
    await reached(runner, head);
    await runner.stop();
    const live = await rows(projection);
    expect(live.counters).toEqual(await expectedCounters(projection.prefix));

    const result = await rebuildProjection({ pool: db.pool, store, projection, pageSize: 25 });

    expect(result).toEqual({ events: await countEvents(), position: head });
    expect(comparePositions(head, last!.position)).toBeGreaterThan(0);
    expect(await rows(projection)).toEqual(live);
    expect(await readCheckpoint(db.pool, projection.name)).toEqual(head);
    expect(await schemasOf(projection)).toEqual([liveSchema(projection)]);
  });

  it('keeps answering queries during the rebuild and swap, and the live runner carries on after it', async () => {
    const projection = counterProjection();
    const runner = start(projection);
    await untilCaughtUp(runner);
    let seeded: AppendResult | undefined;
    for (let i = 0; i < 30; i++) seeded = await append(`${projection.prefix}${i}`, 100);
    await reached(runner, seeded!.position);
    const tableBefore = await tableOid(projection);

    // Readers on their own connections, naming only the live schema, as the SCIM queries do.
    const readers = createPool(db.url, 4);
    const answers: { events: number; table: number }[] = [];
    const failures: unknown[] = [];
    let reading = true;
    const readLoop = async (): Promise<void> => {
      while (reading) {
        try {
          const { rows } = await readers.query<{ events: number; table: number }>(
            `SELECT coalesce(sum(events), 0)::int AS events, to_regclass('"${liveSchema(projection)}".counters')::oid::int AS table
               FROM "${liveSchema(projection)}".counters`,
          );
          answers.push(rows[0]!);
        } catch (error) {
          failures.push(error);
        }
      }
    };
    const loops = [readLoop(), readLoop(), readLoop(), readLoop()];
    // Writes go on during the rebuild: the swap must take them along.
    let writing = true;
    const writer = (async () => {
      let n = 0;
      while (writing) {
        await append(`${projection.prefix}during-${n++ % 3}`, 2);
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
    })();

    try {
      const result = await rebuildProjection({ pool: db.pool, store, projection, pageSize: 500 });
      expect(result.events).toBeGreaterThanOrEqual(3000);
      // Let the readers see the swapped-in tables for a moment.
      await new Promise((resolve) => setTimeout(resolve, 100));
    } finally {
      writing = false;
      await writer;
      reading = false;
      await Promise.all(loops);
      await readers.end();
    }

    expect(failures).toEqual([]);
    expect(answers.length).toBeGreaterThan(20);
    // Never an empty or half-built model: at least what was there before the rebuild started.
    expect(Math.min(...answers.map((a) => a.events))).toBeGreaterThanOrEqual(3000);
    const tableAfter = await tableOid(projection);
    expect(tableAfter).not.toBe(tableBefore);
    expect(new Set(answers.map((a) => a.table))).toEqual(new Set([tableBefore, tableAfter]));

    const after = await append(`${projection.prefix}after`, 5);
    await reached(runner, after.position);
    expect(await counters(projection)).toEqual(await expectedCounters(projection.prefix));
    const log = (await rows(projection)).applied;
    expect(new Set(log.map((e) => e.event_id)).size).toBe(log.length);
    expect(log).toHaveLength(await countEvents(projection.prefix));
    expect(await schemasOf(projection)).toEqual([liveSchema(projection)]);
  });

  it('rebuilds at start when the version is bumped, and the old version stands down', async () => {
    const v1 = counterProjection();
    const old = start(v1);
    await untilCaughtUp(old);
    let written: AppendResult | undefined;
    for (let i = 0; i < 5; i++) written = await append(`${v1.prefix}${i}`, 3);
    await reached(old, written!.position);
    const before = await rows(v1);
    const tableBefore = await tableOid(v1);

    const v2 = counterProjection({ name: v1.name, prefix: v1.prefix, version: 2 });
    const runner = start(v2);
    await untilCaughtUp(runner);

    expect((await checkpointRow(v2.name))?.version).toBe(2);
    expect(await tableOid(v2)).not.toBe(tableBefore);
    expect((await rows(v2)).counters).toEqual(before.counters);
    expect(await lastTypes(v2)).toEqual(before.counters.map(() => 'Counted'));

    // The version-1 runner, still running, must not write into the version-2 tables.
    const live = await append(`${v1.prefix}0`, 1, 'CountedAgain');
    await reached(runner, live.position);
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(await lastTypes(v2)).toEqual(['CountedAgain', 'Counted', 'Counted', 'Counted', 'Counted']);
    expect((await rows(v2)).applied).toHaveLength(16);
    expect(comparePositions(old.checkpoint()!, live.position)).toBeLessThan(0);
    expect(await schemasOf(v2)).toEqual([liveSchema(v2)]);
  });
});

// Test data and helpers

type CounterProjection = Projection & { readonly prefix: string };

let projections = 0;

/**
 * Counts each stream's events and logs every application, both guarded by the stream revision.
 * Version 2 also keeps the last event type: a new column, so a new schema.
 */
function counterProjection(options: { name?: string; prefix?: string; version?: number } = {}): CounterProjection {
  const n = ++projections;
  const prefix = options.prefix ?? `p${n}-${randomUUID().slice(0, 8)}-`;
  const version = options.version ?? 1;
  return {
    name: options.name ?? `counter_${n}`,
    version,
    prefix,
    createTables: (schema) => `
      CREATE TABLE "${schema}".counters (
        stream_id text PRIMARY KEY, revision bigint NOT NULL, events integer NOT NULL
        ${version >= 2 ? ', last_type text NOT NULL' : ''});
      CREATE TABLE "${schema}".applied (
        seq bigserial PRIMARY KEY, stream_id text NOT NULL, revision bigint NOT NULL, event_id uuid NOT NULL);`,
    canHandle: (event) => event.streamId.startsWith(prefix),
    apply: eventByEvent(async (client: PoolClient, event: RecordedEvent, schema: string) => {
      const v2 = version >= 2;
      await client.query(
        `WITH counted AS (
           INSERT INTO "${schema}".counters AS c (stream_id, revision, events${v2 ? ', last_type' : ''})
           VALUES ($1, $2, 1${v2 ? ', $4' : ''})
           ON CONFLICT (stream_id) DO UPDATE
             SET revision = EXCLUDED.revision, events = c.events + 1${v2 ? ', last_type = EXCLUDED.last_type' : ''}
            WHERE c.revision < EXCLUDED.revision
           RETURNING 1)
         INSERT INTO "${schema}".applied (stream_id, revision, event_id) SELECT $1, $2, $3 FROM counted`,
        [event.streamId, event.revision.toString(), event.id, ...(v2 ? [event.type] : [])],
      );
    }),
  };
}

function start(projection: Projection, options: Partial<ProjectionRunnerOptions> = {}): ProjectionRunner {
  const runner = startProjection({
    pool: db.pool,
    store,
    projection,
    batchWindowMs: 5,
    retry: { initialMs: 20, maxMs: 200 },
    ...options,
  });
  runners.push(runner);
  return runner;
}

function append(streamId: string, count: number, type = 'Counted'): Promise<AppendResult> {
  const events = Array.from({ length: count }, (_, i) => ({ id: randomUUID(), type, data: { i }, metadata: {} }));
  return store.appendToStream(streamId, events, { expectedRevision: 'any' });
}

async function untilCaughtUp(runner: ProjectionRunner): Promise<void> {
  await firstValueFrom(runner.caughtUp$.pipe(filter(Boolean), timeout(15_000)));
}

async function reached(runner: ProjectionRunner, position: Position): Promise<void> {
  await firstValueFrom(
    runner.checkpoint$.pipe(
      filter((c) => c !== null && comparePositions(c, position) >= 0),
      timeout(15_000),
    ),
  );
}

async function checkpointRow(name: string) {
  const { rows } = await db.pool.query<{ version: number; commit_position: bigint | null; prepare_position: bigint | null }>(
    'SELECT version, commit_position, prepare_position FROM projection_checkpoints WHERE name = $1',
    [name],
  );
  return rows[0];
}

/** Every schema of the projection: the live one, and any rebuild or retired one left behind. */
async function schemasOf(projection: Projection): Promise<string[]> {
  const { rows } = await db.pool.query<{ nspname: string }>(
    `SELECT nspname FROM pg_namespace WHERE nspname = $1 OR nspname LIKE $2 ORDER BY nspname`,
    [liveSchema(projection), `${projection.name}\\_re%`],
  );
  return rows.map((r) => r.nspname);
}

async function tableOid(projection: Projection): Promise<number> {
  const { rows } = await db.pool.query<{ oid: number }>(`SELECT to_regclass($1)::oid::int AS oid`, [
    `"${liveSchema(projection)}".counters`,
  ]);
  return rows[0]!.oid;
}

async function counters(projection: Projection) {
  return (await rows(projection)).counters;
}

async function rows(projection: Projection) {
  const schema = liveSchema(projection);
  const counters = await db.pool.query<{ stream_id: string; revision: bigint; events: number }>(
    `SELECT stream_id, revision, events FROM "${schema}".counters ORDER BY stream_id COLLATE "C"`,
  );
  const applied = await db.pool.query<{ stream_id: string; revision: bigint; event_id: string }>(
    `SELECT stream_id, revision, event_id FROM "${schema}".applied ORDER BY stream_id COLLATE "C", revision`,
  );
  return { counters: counters.rows, applied: applied.rows };
}

async function lastTypes(projection: Projection): Promise<string[]> {
  const { rows } = await db.pool.query<{ last_type: string }>(
    `SELECT last_type FROM "${liveSchema(projection)}".counters ORDER BY stream_id COLLATE "C"`,
  );
  return rows.map((r) => r.last_type);
}

async function allEvents(): Promise<RecordedEvent[]> {
  const events: RecordedEvent[] = [];
  for (;;) {
    const page = await store.readAll({ after: events.at(-1)?.position, maxCount: 1000 });
    if (page.length === 0) return events;
    events.push(...page);
  }
}

async function countEvents(prefix?: string): Promise<number> {
  return (await allEvents()).filter((e) => prefix === undefined || e.streamId.startsWith(prefix)).length;
}

/** What the counters should hold: computed from the log itself. */
async function expectedCounters(prefix: string) {
  const byStream = new Map<string, { stream_id: string; revision: bigint; events: number }>();
  for (const event of await allEvents()) {
    if (!event.streamId.startsWith(prefix)) continue;
    const row = byStream.get(event.streamId) ?? { stream_id: event.streamId, revision: -1n, events: 0 };
    byStream.set(event.streamId, { ...row, revision: event.revision, events: row.events + 1 });
  }
  return [...byStream.values()].sort((a, b) => (a.stream_id < b.stream_id ? -1 : 1));
}
