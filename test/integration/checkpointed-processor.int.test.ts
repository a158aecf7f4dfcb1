import { randomUUID } from 'node:crypto';
import { filter, firstValueFrom, timeout } from 'rxjs';
import type { AppendResult, EventStore, RecordedEvent, SubscribeToAllOptions } from '../../shared/eventstore/port';
import { comparePositions, samePosition, type Position } from '../../shared/eventstore/position';
import { createPostgresEventStore, type PostgresEventStore } from '../../shared/eventstore/postgres/postgres-event-store';
import {
  SAVED,
  inMemoryCheckpoints,
  startCheckpointedProcessor,
  type CheckpointedProcessor,
  type CheckpointedProcessorOptions,
  type CheckpointStore,
} from '../../shared/subscriptions/checkpointed-processor';
import { createTestDatabase, type TestDatabase } from '../helpers/postgres';

/**
 * The contract of the checkpointed processor (shared/subscriptions/checkpointed-processor.ts)
 * against the real Postgres event store: batches, checkpoint after the handler, backoff and
 * resubscription after a failure, a moved checkpoint, stop, lag, and a run over a position range.
 * Each test reads only its own stream prefix or starts after the head it saw.
 */
jest.setTimeout(20_000);

let db: TestDatabase;
let store: PostgresEventStore;
const processors: CheckpointedProcessor[] = [];

beforeAll(async () => {
  db = await createTestDatabase('checkpointed_processor');
  store = createPostgresEventStore({ pool: db.pool, pollIntervalMs: 100 });
});

afterEach(async () => {
  await Promise.all(processors.splice(0).map((p) => p.stop()));
});

afterAll(async () => {
  await store?.close();
  await db?.drop();
});

describe('a checkpointed processor', () => {
  it('hands the log over in batches of at most batchSize, in order, and saves each checkpoint only after its handler resolved', async () => {
    const prefix = newPrefix();
    const before = await store.headPosition();
    const written = await append(`${prefix}a`, 10);
    const steps: string[] = [];
    const checkpoints = recorded(inMemoryCheckpoints(before), steps);
    const batches: RecordedEvent[][] = [];

    start({
      checkpoints,
      filter: { streamPrefixes: [prefix] },
      batchSize: 4,
      batchWindowMs: 50,
      async handle(events) {
        steps.push(`handle ${events.length}`);
        await sleep(5);
        batches.push([...events]);
        steps.push('handled');
      },
    });
    await eventually(() => expect(checkpoints.current()).toEqual(written.position));

    expect(batches.map((b) => b.length)).toEqual([4, 4, 2]);
    expect(batches.flat().map((e) => e.revision)).toEqual(range(10).map(BigInt));
    expect(steps).toEqual(['handle 4', 'handled', 'saved', 'handle 4', 'handled', 'saved', 'handle 2', 'handled', 'saved']);
  });

  it('keeps the checkpoint when the handler fails, backs off, and hands the same batch again from the checkpoint', async () => {
    const prefix = newPrefix();
    const checkpoints = inMemoryCheckpoints(await store.headPosition());
    const attempts: { at: number; ids: string[]; checkpoint: Position | null }[] = [];
    const failures: { attempt: number; retryInMs: number }[] = [];
    const processor = start({
      checkpoints,
      filter: { streamPrefixes: [prefix] },
      retry: { initialMs: 200, maxMs: 200 },
      async handle(events) {
        attempts.push({ at: Date.now(), ids: events.map((e) => e.id), checkpoint: checkpoints.current() });
        if (attempts.length === 1) throw new Error('the sink is down');
      },
      onFailure: (_error, { attempt, retryInMs }) => void failures.push({ attempt, retryInMs }),
    });
    await untilCaughtUp(processor);

    const written = await append(`${prefix}a`, 3);
    await eventually(() => expect(checkpoints.current()).toEqual(written.position));

    expect(failures).toEqual([{ attempt: 1, retryInMs: expect.any(Number) }]);
    expect(failures[0]!.retryInMs).toBeGreaterThanOrEqual(100);
    expect(failures[0]!.retryInMs).toBeLessThanOrEqual(200);
    expect(attempts).toHaveLength(2);
    expect(attempts[1]!.ids).toEqual(attempts[0]!.ids);
    expect(attempts[1]!.checkpoint).toEqual(attempts[0]!.checkpoint);
    // Equal jitter: at least half of initialMs.
    expect(attempts[1]!.at - attempts[0]!.at).toBeGreaterThanOrEqual(100);
  });

  it('resubscribes from the saved checkpoint when the subscription fails, and tells once a batch commits again', async () => {
    const prefix = newPrefix();
    const before = await store.headPosition();
    const first = await append(`${prefix}a`, 2);
    const faulty = failingSubscriptions(store, 2);
    const checkpoints = inMemoryCheckpoints(before);
    const handled: RecordedEvent[] = [];
    const failures: number[] = [];
    const recoveries: (Position | null)[] = [];
    const processor = start({
      store: faulty.store,
      checkpoints,
      filter: { streamPrefixes: [prefix] },
      retry: { initialMs: 20, maxMs: 40 },
      handle: async (events) => void handled.push(...events),
      onFailure: (_error, { attempt }) => void failures.push(attempt),
      onRecovered: (checkpoint) => void recoveries.push(checkpoint),
    });

    await untilCaughtUp(processor);
    const second = await append(`${prefix}a`, 2);
    await eventually(() => expect(checkpoints.current()).toEqual(second.position));

    // Each failed subscription had delivered an event, never committed: all three start at the checkpoint.
    expect(faulty.subscribedAfter()).toEqual([before, before, before]);
    expect(failures).toEqual([1, 2]);
    expect(recoveries).toEqual([first.position]);
    expect(handled.map((e) => e.revision)).toEqual([0n, 1n, 2n, 3n]);
  });

  it('resubscribes from the stored checkpoint when someone else moved it, handling again what follows it', async () => {
    const prefix = newPrefix();
    const before = await store.headPosition();
    const checkpoints = movableCheckpoints(before);
    const handled: bigint[] = [];
    const processor = start({
      checkpoints,
      filter: { streamPrefixes: [prefix] },
      handle: async (events) => void handled.push(...events.map((e) => e.revision)),
    });
    await untilCaughtUp(processor);
    const first = await append(`${prefix}a`, 2);
    await reached(processor, first.position);

    // An operator resets the checkpoint under the running processor.
    checkpoints.moveTo(before);
    const second = await append(`${prefix}a`, 1);
    await eventually(() => expect(checkpoints.current()).toEqual(second.position));

    expect(handled).toEqual([0n, 1n, 0n, 1n, 2n]);
  });

  it('lets the batch in flight commit when stopped, then releases once', async () => {
    const prefix = newPrefix();
    const checkpoints = inMemoryCheckpoints(await store.headPosition());
    let finishHandling: () => void = () => undefined;
    const handling = new Promise<void>((resolve) => (finishHandling = resolve));
    let entered = false;
    let released = 0;
    const processor = start({
      checkpoints,
      filter: { streamPrefixes: [prefix] },
      handle: async () => {
        entered = true;
        await handling;
      },
      release: async () => void released++,
    });
    await untilCaughtUp(processor);
    const written = await append(`${prefix}a`, 3);
    await eventually(() => expect(entered).toBe(true));

    let stopped = false;
    const stopping = processor.stop().then(() => (stopped = true));
    await sleep(50);
    expect(stopped).toBe(false);
    finishHandling();
    await stopping;

    expect(checkpoints.current()).toEqual(written.position);
    expect(released).toBe(1);
    expect(await processor.finished).toBe('stopped');
  });

  it('waits on standby while prepare says so, handling nothing, and starts once it is ready', async () => {
    const prefix = newPrefix();
    const before = await store.headPosition();
    const written = await append(`${prefix}a`, 2);
    let ready = false;
    let asked = 0;
    const handled: string[] = [];
    const processor = start({
      checkpoints: inMemoryCheckpoints(before),
      filter: { streamPrefixes: [prefix] },
      standbyRetryMs: 20,
      prepare: async () => {
        asked++;
        return ready ? 'ready' : 'standby';
      },
      handle: async (events) => void handled.push(...events.map((e) => e.id)),
    });
    await eventually(() => expect(asked).toBeGreaterThanOrEqual(3));
    expect(handled).toEqual([]);
    expect(processor.checkpoint()).toBeNull();

    ready = true;
    await reached(processor, written.position);
    expect(handled).toHaveLength(2);
  });

  it('reports lag from the saved checkpoint: events behind up to the cap, and the age of the oldest', async () => {
    const clock = { now: Date.now() };
    const processor = start({
      checkpoints: inMemoryCheckpoints(await store.headPosition()),
      // Never subscribes: the checkpoint stays where it is while the log grows.
      prepare: async () => 'standby',
      standbyRetryMs: 60_000,
      handle: async () => undefined,
      lagCap: 4,
      now: () => clock.now,
      occurredAt: (event) => new Date(String(event.metadata.occurredAt)),
    });
    expect(await processor.lag()).toEqual({ eventsBehind: 0, secondsBehind: 0 });

    const occurredAt = new Date(clock.now - 5_000).toISOString();
    await store.appendToStream(`${newPrefix()}a`, eventsToAppend(3, occurredAt), { expectedRevision: 'no_stream' });
    expect(await processor.lag()).toEqual({ eventsBehind: 3, secondsBehind: 5 });

    await append(`${newPrefix()}b`, 3);
    expect((await processor.lag()).eventsBehind).toBe(4);
  });

  describe('over a position range (in-memory checkpoint, `until`)', () => {
    it('hands exactly the events after `after` up to `until`, then ends with the checkpoint at `until`', async () => {
      const prefix = newPrefix();
      const positions: Position[] = [];
      for (let i = 0; i < 6; i++) positions.push((await append(`${prefix}${i % 2}`, 1)).position);
      await append(`${prefix}later`, 2);
      const checkpoints = inMemoryCheckpoints(positions[1]!);
      const handled: RecordedEvent[] = [];

      const processor = start({
        checkpoints,
        until: positions[4]!,
        batchSize: 2,
        filter: { streamPrefixes: [prefix] },
        handle: async (events) => void handled.push(...events),
      });

      expect(await processor.finished).toBe('reached');
      expect(handled.map((e) => e.position)).toEqual(positions.slice(2, 5));
      expect(checkpoints.current()).toEqual(positions[4]);
    });

    it('waits for the log to reach `until`', async () => {
      const prefix = newPrefix();
      const start0 = await store.headPosition();
      const handled: string[] = [];
      const processor = start({
        checkpoints: inMemoryCheckpoints(start0),
        filter: { streamPrefixes: [prefix] },
        until: { commit: 2n ** 62n, prepare: 0n },
        handle: async (events) => void handled.push(...events.map((e) => e.id)),
      });
      const early = await append(`${prefix}a`, 1);
      await reached(processor, early.position);
      expect(handled).toHaveLength(1);
      expect(await Promise.race([processor.finished, sleep(100).then(() => 'running')])).toBe('running');
    });

    it('ends at once, without subscribing, when it starts at or after `until`', async () => {
      const written = await append(`${newPrefix()}a`, 2);
      const subscribing = failingSubscriptions(store, 0);
      const processor = start({
        store: subscribing.store,
        checkpoints: inMemoryCheckpoints(written.position),
        until: written.position,
        handle: async () => undefined,
      });
      expect(await processor.finished).toBe('reached');
      expect(subscribing.subscribedAfter()).toEqual([]);
    });
  });
});

// ---------------------------------------------------------------------------------------------------
// Test data and helpers

function start(options: Partial<CheckpointedProcessorOptions> & Pick<CheckpointedProcessorOptions, 'checkpoints' | 'handle'>): CheckpointedProcessor {
  const processor = startCheckpointedProcessor({ store, batchWindowMs: 5, retry: { initialMs: 20, maxMs: 100 }, ...options });
  processors.push(processor);
  return processor;
}

let prefixes = 0;
const newPrefix = () => `cp${++prefixes}-${randomUUID().slice(0, 8)}-`;

function eventsToAppend(count: number, occurredAt = new Date().toISOString()) {
  return Array.from({ length: count }, (_, i) => ({ id: randomUUID(), type: 'Counted', data: { i }, metadata: { occurredAt } }));
}

function append(streamId: string, count: number): Promise<AppendResult> {
  return store.appendToStream(streamId, eventsToAppend(count), { expectedRevision: 'any' });
}

/** In-memory checkpoints that the test can move, as an operator resetting a checkpoint would. */
function movableCheckpoints(start: Position | null): CheckpointStore & { current(): Position | null; moveTo(position: Position | null): void } {
  let stored = start;
  return {
    read: () => Promise.resolve(stored),
    current: () => stored,
    moveTo: (position) => void (stored = position),
    async commit(batch, work) {
      if (!samePosition(stored, batch.from)) return { saved: false, stored };
      await work();
      stored = batch.to;
      return SAVED;
    },
  };
}

/** Records when the store saved a checkpoint, beside the handler's steps. */
function recorded<S extends CheckpointStore>(checkpoints: S, steps: string[]): S {
  return {
    ...checkpoints,
    async commit(batch, work) {
      const result = await checkpoints.commit(batch, work);
      if (result.saved) steps.push('saved');
      return result;
    },
  };
}

/** The store, whose first `failures` subscriptions fail after their first message; records where each started. */
function failingSubscriptions(real: EventStore, failures: number) {
  const starts: (Position | undefined)[] = [];
  const proxy: EventStore = Object.create(real) as EventStore;
  let failed = 0;
  proxy.subscribeToAll = (options: SubscribeToAllOptions = {}) => {
    starts.push(options.after);
    const subscription = real.subscribeToAll(options);
    if (failed >= failures) return subscription;
    failed++;
    const iterator = subscription[Symbol.asyncIterator]();
    let pulled = 0;
    return {
      unsubscribe: () => subscription.unsubscribe(),
      [Symbol.asyncIterator]: () => ({
        next: async () => {
          if (pulled++ >= 1) throw new Error('the connection was lost');
          return iterator.next();
        },
      }),
    };
  };
  return { store: proxy, subscribedAfter: () => starts.map((p) => p ?? null) };
}

async function untilCaughtUp(processor: CheckpointedProcessor): Promise<void> {
  await firstValueFrom(processor.caughtUp$.pipe(filter(Boolean), timeout(10_000)));
}

async function reached(processor: CheckpointedProcessor, position: Position): Promise<void> {
  await firstValueFrom(processor.checkpoint$.pipe(filter((c) => c !== null && comparePositions(c, position) >= 0), timeout(10_000)));
}

async function eventually(assertion: () => void, ms = 10_000): Promise<void> {
  const deadline = Date.now() + ms;
  for (;;) {
    try {
      assertion();
      return;
    } catch (error) {
      if (Date.now() > deadline) throw error;
      await sleep(10);
    }
  }
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const range = (n: number) => Array.from({ length: n }, (_, i) => i);
