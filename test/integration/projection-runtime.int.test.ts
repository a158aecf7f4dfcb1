import { randomUUID } from 'node:crypto';
import { Client } from 'pg';
import pino from 'pino';
import { filter, firstValueFrom, timeout } from 'rxjs';
import { readCheckpoint } from '../../projections/runtime/checkpoints';
import { eventByEvent, liveSchema, type Projection } from '../../projections/runtime/projection';
import { startProjection, type ProjectionRunner, type ProjectionRunnerOptions } from '../../projections/runtime/runner';
import type { PoolClient } from '../../shared/db/pool';
import type { AppendResult, RecordedEvent } from '../../shared/eventstore/port';
import { comparePositions, type Position } from '../../shared/eventstore/position';
import { createPostgresEventStore, type PostgresEventStore } from '../../shared/eventstore/postgres/postgres-event-store';
import { createTestDatabase, type TestDatabase } from '../helpers/postgres';

jest.setTimeout(20_000);

let db: TestDatabase;
let store: PostgresEventStore;
const runners: ProjectionRunner[] = [];

beforeAll(async () => {
  db = await createTestDatabase('projection_runtime');
  store = createPostgresEventStore({ pool: db.pool, pollIntervalMs: 100 });
});

afterEach(async () => {
  await Promise.all(runners.splice(0).map((r) => r.stop()));
});

afterAll(async () => {
  await store?.close();
  await db?.drop();
});

describe('a projection runner', () => {
  it('commits each batch with its checkpoint, batchSize messages at a time, and notifies projection_checkpoint', async () => {
    const { projection, prefix } = counterProjection();
    const listener = new Client({ connectionString: db.url });
    const notified: string[] = [];
    await listener.connect();
    listener.on('notification', (n) => notified.push(n.payload ?? ''));
    await listener.query('LISTEN projection_checkpoint');
    try {
      const runner = start(projection, { batchSize: 4, batchWindowMs: 50 });
      await untilCaughtUp(runner);
      const emitted: (Position | null)[] = [];
      const watching = runner.checkpoint$.subscribe((c) => emitted.push(c));

      // One append is one transaction: the subscription reads its ten events in one page.
      const written = await append(`${prefix}a`, 10);
      await reached(runner, written.position);
      watching.unsubscribe();

      expect(emitted.slice(1)).toHaveLength(3); // 4 + 4 + 2
      expect(emitted.at(-1)).toEqual(written.position);
      expect(await counters(projection)).toEqual([{ stream_id: `${prefix}a`, revision: 9n, events: 10 }]);
      expect(await readCheckpoint(db.pool, projection.name)).toEqual(written.position);
      // One for the (empty) build at first start, one per batch.
      await eventually(() => expect(notified.filter((n) => n === projection.name)).toHaveLength(4));
    } finally {
      await listener.end();
    }
  });

  describe.each(['throw', 'kill'] as const)('when evolve fails mid-batch (%s)', (mode) => {
    it('rolls the whole batch back, keeps the checkpoint, and applies everything exactly once after the fault clears', async () => {
      const faults: Faults = { hits: 0 };
      const { projection, prefix } = counterProjection({ faults });
      const runner = start(projection);
      await untilCaughtUp(runner);
      const before = runner.checkpoint();
      const events = eventsToAppend(5);
      faults.failOn = { eventId: events[2]!.id, mode };

      const written = await store.appendToStream(`${prefix}a`, events, { expectedRevision: 'no_stream' });
      await eventually(() => expect(faults.hits).toBeGreaterThanOrEqual(3));

      // The first two events were evolved before the fault, and rolled back with it.
      expect(await counters(projection)).toEqual([]);
      expect(await applied(projection)).toEqual([]);
      expect(await readCheckpoint(db.pool, projection.name)).toEqual(before);
      expect(runner.checkpoint()).toEqual(before);

      faults.failOn = undefined;
      await reached(runner, written.position);
      expect(await counters(projection)).toEqual([{ stream_id: `${prefix}a`, revision: 4n, events: 5 }]);
      expect((await applied(projection)).map((a) => a.revision)).toEqual([0n, 1n, 2n, 3n, 4n]);
    });
  });

  it('leaves the same rows when every event is delivered twice', async () => {
    const { projection, prefix } = counterProjection();
    let runner = start(projection);
    await untilCaughtUp(runner);
    await append(`${prefix}a`, 3);
    await append(`${prefix}b`, 2);
    const last = await append(`${prefix}a`, 4);
    await reached(runner, last.position);
    const rows = await counters(projection);
    const log = await applied(projection);
    expect(rows).toEqual(await expectedCounters(prefix));

    // A restart from a checkpoint reset to the start: everything again.
    await runner.stop();
    await resetCheckpoint(projection.name, null);
    runner = start(projection);
    await reached(runner, last.position);
    expect(await counters(projection)).toEqual(rows);
    expect(await applied(projection)).toEqual(log);

    // Reset under a running runner: its next batch finds the moved checkpoint and resubscribes from it.
    await resetCheckpoint(projection.name, null);
    const more = await append(`${prefix}b`, 1);
    await reached(runner, more.position);
    expect(await counters(projection)).toEqual(await expectedCounters(prefix));
    expect(await applied(projection)).toHaveLength(log.length + 1);
  });

  it('advances the checkpoint past events the projection does not handle', async () => {
    const { projection } = counterProjection();
    const runner = start(projection);
    await untilCaughtUp(runner);

    const other = await append(`unhandled-${randomUUID()}`, 3);

    await reached(runner, other.position);
    expect(await readCheckpoint(db.pool, projection.name)).toEqual(other.position);
    expect(await counters(projection)).toEqual([]);
  });

  it('catches up from its checkpoint, says so, then follows live appends', async () => {
    const { projection, prefix } = counterProjection();
    const first = start(projection);
    await untilCaughtUp(first);
    await first.stop();
    const backlog = [await append(`${prefix}a`, 20), await append(`${prefix}b`, 20), await append(`${prefix}c`, 20)];

    const runner = start(projection, { batchSize: 7 });
    await untilCaughtUp(runner);
    expect(comparePositions(runner.checkpoint()!, backlog[2]!.position)).toBeGreaterThanOrEqual(0);
    expect(await counters(projection)).toEqual(await expectedCounters(prefix));

    const live = await append(`${prefix}d`, 1);
    await reached(runner, live.position);
    expect(await counters(projection)).toEqual(await expectedCounters(prefix));
  });

  it('emits checkpoints in order, each at or past the appends before it, equal to the stored one', async () => {
    const { projection, prefix } = counterProjection();
    const runner = start(projection);
    await untilCaughtUp(runner);
    const emitted: Position[] = [];
    const watching = runner.checkpoint$.subscribe((c) => c && emitted.push(c));

    for (let i = 0; i < 5; i++) {
      const written = await append(`${prefix}${i % 2}`, 1 + i);
      const seen = await reached(runner, written.position);
      expect(comparePositions(seen, written.position)).toBeGreaterThanOrEqual(0);
    }
    watching.unsubscribe();

    for (let i = 1; i < emitted.length; i++) expect(comparePositions(emitted[i]!, emitted[i - 1]!)).toBe(1);
    expect(await readCheckpoint(db.pool, projection.name)).toEqual(runner.checkpoint());
  });

  it('lets the batch in flight commit when stopped', async () => {
    const faults: Faults = { hits: 0 };
    const { projection, prefix } = counterProjection({ faults });
    const runner = start(projection);
    await untilCaughtUp(runner);
    faults.delayMs = 50;

    const written = await append(`${prefix}a`, 3);
    await eventually(() => expect(faults.hits).toBeGreaterThanOrEqual(1));
    await runner.stop();

    expect(runner.checkpoint()).toEqual(written.position);
    expect(await readCheckpoint(db.pool, projection.name)).toEqual(written.position);
    expect(await counters(projection)).toEqual([{ stream_id: `${prefix}a`, revision: 2n, events: 3 }]);
  });

  it('produces the right rows, each event once, with two runners of the same projection at once', async () => {
    const { projection, prefix } = counterProjection();
    const lines: string[] = [];
    const log = pino({ level: 'debug' }, { write: (line: string) => void lines.push(line) });
    const a = start(projection, { batchSize: 5, log });
    const b = start(projection, { batchSize: 3, log });
    await Promise.all([untilCaughtUp(a), untilCaughtUp(b)]);

    const writes = await Promise.all(
      ['w', 'x', 'y', 'z'].map(async (stream) => {
        let last: AppendResult | undefined;
        for (let i = 0; i < 5; i++) last = await append(`${prefix}${stream}`, 1 + (i % 3));
        return last!;
      }),
    );
    const head = writes.map((w) => w.position).sort(comparePositions).at(-1)!;

    await Promise.all([reached(a, head), reached(b, head)]);
    expect(await counters(projection)).toEqual(await expectedCounters(prefix));
    const appliedLog = await applied(projection);
    expect(new Set(appliedLog.map((e) => e.event_id)).size).toBe(appliedLog.length);
    expect(appliedLog).toHaveLength(4 * (1 + 2 + 3 + 1 + 2));
    // They took turns: each commit moved the checkpoint under the other one's next batch.
    expect(lines.some((line) => line.includes('checkpoint moved elsewhere'))).toBe(true);
  });
});

// Test data and helpers

interface Faults {
  failOn?: { readonly eventId: string; readonly mode: 'throw' | 'kill' };
  /** Every evolve takes this long. */
  delayMs?: number;
  /** evolve calls that met a fault (a failure or a delay). */
  hits: number;
}

let projections = 0;

/**
 * Counts each stream's events and logs every application; both are guarded by the stream
 * revision, so an event delivered again changes nothing and a double application would show.
 */
function counterProjection(options: { faults?: Faults } = {}): { projection: Projection; prefix: string } {
  const n = ++projections;
  const prefix = `p${n}-${randomUUID().slice(0, 8)}-`;
  const projection: Projection = {
    name: `counter_${n}`,
    version: 1,
    createTables: (schema) => `
      CREATE TABLE "${schema}".counters (stream_id text PRIMARY KEY, revision bigint NOT NULL, events integer NOT NULL);
      CREATE TABLE "${schema}".applied (
        seq bigserial PRIMARY KEY, stream_id text NOT NULL, revision bigint NOT NULL, event_id uuid NOT NULL);`,
    canHandle: (event) => event.streamId.startsWith(prefix),
    apply: eventByEvent(async (client: PoolClient, event: RecordedEvent, schema: string) => {
      const fault = options.faults?.failOn;
      if (options.faults?.delayMs) {
        options.faults.hits++;
        await new Promise((resolve) => setTimeout(resolve, options.faults?.delayMs));
      }
      if (options.faults && fault?.eventId === event.id) {
        options.faults.hits++;
        if (fault.mode === 'throw') throw new Error('injected evolve failure');
        await client.query('SELECT pg_terminate_backend(pg_backend_pid())');
      }
      await client.query(
        `WITH counted AS (
           INSERT INTO "${schema}".counters AS c (stream_id, revision, events) VALUES ($1, $2, 1)
           ON CONFLICT (stream_id) DO UPDATE SET revision = EXCLUDED.revision, events = c.events + 1
            WHERE c.revision < EXCLUDED.revision
           RETURNING 1)
         INSERT INTO "${schema}".applied (stream_id, revision, event_id) SELECT $1, $2, $3 FROM counted`,
        [event.streamId, event.revision.toString(), event.id],
      );
    }),
  };
  return { projection, prefix };
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

function eventsToAppend(count: number) {
  return Array.from({ length: count }, (_, i) => ({ id: randomUUID(), type: 'Counted', data: { i }, metadata: {} }));
}

function append(streamId: string, count: number): Promise<AppendResult> {
  return store.appendToStream(streamId, eventsToAppend(count), { expectedRevision: 'any' });
}

async function untilCaughtUp(runner: ProjectionRunner): Promise<void> {
  await firstValueFrom(runner.caughtUp$.pipe(filter(Boolean), timeout(10_000)));
}

async function reached(runner: ProjectionRunner, position: Position): Promise<Position> {
  const checkpoint = await firstValueFrom(
    runner.checkpoint$.pipe(
      filter((c): c is Position => c !== null && comparePositions(c, position) >= 0),
      timeout(10_000),
    ),
  );
  return checkpoint;
}

async function resetCheckpoint(name: string, position: Position | null): Promise<void> {
  await db.pool.query('UPDATE projection_checkpoints SET commit_position = $2, prepare_position = $3 WHERE name = $1', [
    name,
    position?.commit.toString() ?? null,
    position?.prepare.toString() ?? null,
  ]);
}

async function counters(projection: Projection) {
  const { rows } = await db.pool.query<{ stream_id: string; revision: bigint; events: number }>(
    `SELECT stream_id, revision, events FROM "${liveSchema(projection)}".counters ORDER BY stream_id COLLATE "C"`,
  );
  return rows;
}

async function applied(projection: Projection) {
  const { rows } = await db.pool.query<{ stream_id: string; revision: bigint; event_id: string }>(
    `SELECT stream_id, revision, event_id FROM "${liveSchema(projection)}".applied ORDER BY stream_id COLLATE "C", revision`,
  );
  return rows;
}

/** What the counters should hold: computed from the log itself. */
async function expectedCounters(prefix: string) {
  const byStream = new Map<string, { stream_id: string; revision: bigint; events: number }>();
  let after: Position | undefined;
  for (;;) {
    const page = await store.readAll({ after, maxCount: 1000 });
    if (page.length === 0) break;
    for (const event of page) {
      if (!event.streamId.startsWith(prefix)) continue;
      const row = byStream.get(event.streamId) ?? { stream_id: event.streamId, revision: -1n, events: 0 };
      byStream.set(event.streamId, { ...row, revision: event.revision, events: row.events + 1 });
    }
    after = page.at(-1)!.position;
  }
  return [...byStream.values()].sort((a, b) => (a.stream_id < b.stream_id ? -1 : 1));
}

async function eventually(assertion: () => void | Promise<void>, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      await assertion();
      return;
    } catch (error) {
      if (Date.now() > deadline) throw error;
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
  }
}
