import { randomUUID } from 'node:crypto';
import pino from 'pino';
import { Client, type PoolClient } from 'pg';
import { withDatabase } from '../../shared/db/connection-string';
import { DuplicateEventIdError, WrongExpectedRevisionError, type AppendResult } from '../../shared/eventstore/port';
import { comparePositions, formatPosition, START } from '../../shared/eventstore/position';
import {
  createPostgresEventStore,
  type PostgresEventStore,
  type PostgresEventStoreOptions,
} from '../../shared/eventstore/postgres/postgres-event-store';
import { createTestDatabase, type TestDatabase } from '../helpers/postgres';
import {
  describeEventStoreContract,
  event,
  expectStrictlyIncreasing,
  range,
  SubscriptionReader,
  withTimeout,
} from './event-store.contract';
import { describeWritePathUnderFaults } from './write-path-faults.contract';

let db: TestDatabase;

beforeAll(async () => {
  db = await createTestDatabase('pg_event_store');
}, 60_000);

afterAll(async () => {
  await db?.drop();
});

/** Stores made by a test; closed after it, so a failed assertion leaves no listener behind. */
const opened: PostgresEventStore[] = [];
function openStore(options: Partial<PostgresEventStoreOptions> = {}): PostgresEventStore {
  const store = createPostgresEventStore({ pool: db.pool, pollIntervalMs: 200, ...options });
  opened.push(store);
  return store;
}
afterEach(async () => {
  await Promise.all(opened.splice(0).map((s) => s.close()));
});

describe('the Postgres event store', () => {
  it('has no head position while the log is empty, and answers ping()', async () => {
    const store = openStore();
    expect(await store.headPosition()).toBeNull();
    await expect(store.ping()).resolves.toBeUndefined();
  });

  it('orders by transaction id as a number, then by global position', async () => {
    const store = openStore();
    const streamId = `old-transactions-${randomUUID()}`;
    // Transaction ids older than any this server will hand out, one digit apart: '100' < '99' as text.
    await db.pool.query(
      `INSERT INTO events (transaction_id, event_id, stream_id, stream_revision, event_type, data, metadata)
       VALUES ('100', $1, $3, 1, 'Second', '{}', '{}'), ('99', $2, $3, 0, 'First', '{}', '{}')`,
      [randomUUID(), randomUUID(), streamId],
    );

    const page = await store.readAll({ maxCount: 2 });
    const reader = new SubscriptionReader(store.subscribeToAll({ filter: { streamPrefixes: [streamId] } }));
    await reader.untilCaughtUp();

    expect(page.map((e) => [e.type, e.position.commit])).toEqual([
      ['First', 99n],
      ['Second', 100n],
    ]);
    expect(page[0]!.position.prepare).toBeGreaterThan(page[1]!.position.prepare);
    expect(reader.events().map((e) => e.type)).toEqual(['First', 'Second']);
  });

  describe('when an earlier transaction is still open', () => {
    it('holds back later commits until it commits, then delivers everything once, in position order', async () => {
      const store = openStore();
      const start = await store.headPosition();
      const prefix = `held-${randomUUID()}-`;
      const reader = new SubscriptionReader(
        store.subscribeToAll({ after: start ?? undefined, filter: { streamPrefixes: [prefix] } }),
      );
      await reader.untilCaughtUp();
      const heldEvent = event('Held');
      const laterEvents = range(3).map(() => event('Later'));

      const held = await inOpenTransaction(async (client, commit) => {
        const result = await store.appendToStreamInTransaction(client, `${prefix}held`, [heldEvent], {
          expectedRevision: 'no_stream',
        });
        for (const [i, e] of laterEvents.entries()) {
          await store.appendToStream(`${prefix}later-${i}`, [e], { expectedRevision: 'no_stream' });
        }
        expect(await store.readStream(`${prefix}later-0`)).toHaveLength(1);

        await reader.settle(1_000);
        expect(reader.events()).toEqual([]);
        expect((await store.readAll({ after: start ?? undefined })).filter((e) => e.streamId.startsWith(prefix))).toEqual([]);
        const head = await store.headPosition();
        expect(head === null || comparePositions(head, result.position) < 0).toBe(true);

        await commit();
        return result;
      });

      await reader.until(() => reader.events().length >= 4);
      await reader.settle(500);
      const delivered = reader.events();
      expect(delivered.map((e) => e.id)).toEqual([heldEvent, ...laterEvents].map((e) => e.id));
      expect(formatPosition(delivered[0]!.position)).toBe(formatPosition(held.position));
      expectStrictlyIncreasing(delivered.map((e) => e.position));
      const readBack = (await store.readAll({ after: start ?? undefined })).filter((e) => e.streamId.startsWith(prefix));
      expect(readBack.map((e) => e.id)).toEqual(delivered.map((e) => e.id));
    });

    it('is held back only by transactions that write events: a long one elsewhere delays nobody', async () => {
      // Polling rarely, so a delivery in time can only come from the notification.
      const store = openStore({ pollIntervalMs: 10_000 });
      const prefix = `unrelated-${randomUUID()}-`;
      const reader = new SubscriptionReader(
        store.subscribeToAll({ after: (await store.headPosition()) ?? undefined, filter: { streamPrefixes: [prefix] } }),
      );
      await reader.untilCaughtUp();
      const otherDatabase = new Client({ connectionString: withDatabase(db.url, 'postgres') });
      await otherDatabase.connect();
      try {
        // Writing transactions that append no events, in another database and in this one.
        await otherDatabase.query('BEGIN');
        await otherDatabase.query('SELECT pg_current_xact_id()');
        await inOpenTransaction(async (client) => {
          await client.query('SELECT pg_current_xact_id()');
          const started = Date.now();
          await store.appendToStream(`${prefix}a`, [event('A')], { expectedRevision: 'no_stream' });
          await reader.until(() => reader.events().length === 1, 2_000);
          expect(Date.now() - started).toBeLessThan(1_000);
          expect((await store.headPosition())!.prepare).toBe(reader.events()[0]!.position.prepare);
        });
      } finally {
        await otherDatabase.query('ROLLBACK').catch(() => undefined);
        await otherDatabase.end();
      }
    });

    it('reads again soon after a writer that held rows back rolls back (it sends no notification)', async () => {
      const store = openStore({ pollIntervalMs: 10_000 });
      const prefix = `rolled-back-writer-${randomUUID()}-`;
      const reader = new SubscriptionReader(
        store.subscribeToAll({ after: (await store.headPosition()) ?? undefined, filter: { streamPrefixes: [prefix] } }),
      );
      await reader.untilCaughtUp();
      const client = await db.pool.connect();
      try {
        await client.query('BEGIN');
        await store.appendToStreamInTransaction(client, `${prefix}doomed`, [event('Doomed')], { expectedRevision: 'no_stream' });
        await store.appendToStream(`${prefix}later`, [event('Later')], { expectedRevision: 'no_stream' });
        await reader.settle(300);
        expect(reader.events()).toEqual([]);
        await client.query('ROLLBACK');
        const rolledBackAt = Date.now();
        await reader.until(() => reader.events().length === 1, 2_000);
        expect(Date.now() - rolledBackAt).toBeLessThan(500);
        expect(reader.events().map((e) => e.type)).toEqual(['Later']);
      } finally {
        client.release();
      }
    });

    it('orders by transaction first: an event written last by the oldest transaction comes first', async () => {
      const store = openStore();
      const start = await store.headPosition();
      const prefix = `xid-first-${randomUUID()}-`;
      const reader = new SubscriptionReader(
        store.subscribeToAll({ after: start ?? undefined, filter: { streamPrefixes: [prefix] } }),
      );
      await reader.untilCaughtUp();
      const heldEvent = event('Held');
      const laterEvents = range(3).map(() => event('Later'));
      const later: AppendResult[] = [];

      const held = await inOpenTransaction(async (client, commit) => {
        // As when the write side reserves a uniqueness key before it appends: it registers as an
        // event writer first, then gets its transaction id.
        await client.query('SELECT event_store_register_writer()');
        await client.query('SELECT pg_current_xact_id()');
        for (const [i, e] of laterEvents.entries()) {
          later.push(await store.appendToStream(`${prefix}later-${i}`, [e], { expectedRevision: 'no_stream' }));
        }
        const result = await store.appendToStreamInTransaction(client, `${prefix}held`, [heldEvent], {
          expectedRevision: 'no_stream',
        });
        await reader.settle(1_000);
        expect(reader.events()).toEqual([]);
        await commit();
        return result;
      });

      expect(held.position.commit).toBeLessThan(later[0]!.position.commit);
      expect(held.position.prepare).toBeGreaterThan(later[2]!.position.prepare);
      await reader.until(() => reader.events().length >= 4);
      await reader.settle(500);
      expect(reader.events().map((e) => e.id)).toEqual([heldEvent, ...laterEvents].map((e) => e.id));
      expectStrictlyIncreasing(reader.events().map((e) => e.position));
    });
  });

  describe('appendToStreamInTransaction', () => {
    it('refuses to append in a transaction that wrote before registering as an event writer', async () => {
      const store = openStore();
      const client = await db.pool.connect();
      try {
        await client.query('BEGIN');
        await client.query('SELECT pg_current_xact_id()');
        // A reader may already have passed this transaction id: its events could be skipped.
        await expect(
          store.appendToStreamInTransaction(client, `unregistered-${randomUUID()}`, [event('A')], { expectedRevision: 'no_stream' }),
        ).rejects.toMatchObject({ code: 'ES500', message: 'an event store append must come before any other write of its transaction' });
      } finally {
        await client.query('ROLLBACK');
        client.release();
      }
    });

    it("writes nothing when the caller's transaction rolls back", async () => {
      const store = openStore();
      const streamId = `rolled-back-${randomUUID()}`;
      const client = await db.pool.connect();
      try {
        await client.query('BEGIN');
        await store.appendToStreamInTransaction(client, streamId, [event('A')], { expectedRevision: 'no_stream' });
        expect(await store.readStream(streamId)).toEqual([]);
        await client.query('ROLLBACK');
      } finally {
        client.release();
      }
      expect(await store.readStream(streamId)).toEqual([]);
    });

    it("reports a writer that committed first, and leaves the caller's transaction usable", async () => {
      const store = openStore();
      const streamId = `two-transactions-${randomUUID()}`;
      const [first, second] = [await db.pool.connect(), await db.pool.connect()];
      try {
        await first.query('BEGIN');
        await second.query('BEGIN');
        await store.appendToStreamInTransaction(first, streamId, [event('First')], { expectedRevision: 'no_stream' });
        // Waits on the unique index for the first transaction, then loses to it.
        const losing = store.appendToStreamInTransaction(second, streamId, [event('Second')], {
          expectedRevision: 'no_stream',
        });
        await first.query('COMMIT');

        const error = await losing.then(
          () => undefined,
          (e: unknown) => e,
        );
        expect(error).toBeInstanceOf(WrongExpectedRevisionError);
        expect(error).toMatchObject({ streamId, expected: 'no_stream', actual: 0n });
        const retried = await store.appendToStreamInTransaction(second, streamId, [event('Second')], {
          expectedRevision: 0n,
        });
        await second.query('COMMIT');

        expect(retried.nextExpectedRevision).toBe(1n);
        expect((await store.readStream(streamId)).map((e) => e.type)).toEqual(['First', 'Second']);
      } finally {
        await Promise.all([first, second].map((c) => c.query('ROLLBACK').catch(() => undefined)));
        first.release();
        second.release();
      }
    });
  });

  describe('idempotency', () => {
    it('answers a retry with the original result even when the revision moved on', async () => {
      const store = openStore();
      const streamId = `retry-${randomUUID()}`;
      const write = [event('A'), event('B')];
      await store.appendToStream(streamId, [event('Zero')], { expectedRevision: 'no_stream' });
      const original = await store.appendToStream(streamId, write, { expectedRevision: 0n });
      await store.appendToStream(streamId, [event('C')], { expectedRevision: 2n });

      const retried = await store.appendToStream(streamId, write, { expectedRevision: 0n });

      expect(retried.nextExpectedRevision).toBe(2n);
      expect(formatPosition(retried.position)).toBe(formatPosition(original.position));
      expect(await store.readStream(streamId)).toHaveLength(4);
    });

    it('rejects part of an earlier write, another stream, an id after a new one, and an id twice', async () => {
      const store = openStore();
      const streamId = `partial-${randomUUID()}`;
      const [a, b] = [event('A'), event('B')];
      await store.appendToStream(streamId, [a, b], { expectedRevision: 'no_stream' });
      const fresh = event('Fresh');

      await expectDuplicate(store.appendToStream(streamId, [a], { expectedRevision: 'any' }), streamId, a.id);
      await expectDuplicate(store.appendToStream(streamId, [b], { expectedRevision: 'any' }), streamId, b.id);
      await expectDuplicate(store.appendToStream(`other-${streamId}`, [a, b], { expectedRevision: 'any' }), `other-${streamId}`, a.id);
      await expectDuplicate(store.appendToStream(streamId, [fresh, b], { expectedRevision: 'any' }), streamId, b.id);
      await expectDuplicate(store.appendToStream(streamId, [b, a], { expectedRevision: 'any' }), streamId, b.id);
      await expectDuplicate(store.appendToStream(streamId, [fresh, fresh], { expectedRevision: 'any' }), streamId, fresh.id);

      expect((await store.readStream(streamId)).map((e) => e.id)).toEqual([a.id, b.id]);
      expect(await store.readStream(`other-${streamId}`)).toEqual([]);
    });

    it('rejects an id that is not a UUID', async () => {
      const store = openStore();
      await expect(
        store.appendToStream(`bad-id-${randomUUID()}`, [{ ...event('A'), id: 'not-a-uuid' }], { expectedRevision: 'any' }),
      ).rejects.toThrow(/not a UUID/);
    });

    it('answers an empty append to an absent stream with revision -1 at the start', async () => {
      const store = openStore();
      const result = await store.appendToStream(`empty-${randomUUID()}`, [], { expectedRevision: 'no_stream' });
      expect(result).toEqual({ nextExpectedRevision: -1n, position: START });
    });
  });

  describe('subscriptions', () => {
    it('sends a checkpoint when a page ends in events the filter dropped', async () => {
      const store = openStore({ pageSize: 4 });
      const start = await store.headPosition();
      const prefix = `checkpoint-${randomUUID()}-`;
      await store.appendToStream(`${prefix}a`, [event('A')], { expectedRevision: 'no_stream' });
      await store.appendToStream(`${prefix}b`, range(6).map(() => event('B')), { expectedRevision: 'no_stream' });
      const [lastB] = await store.readStream(`${prefix}b`, { fromRevision: 5n });
      const reader = new SubscriptionReader(
        store.subscribeToAll({ after: start ?? undefined, filter: { streamPrefixes: [`${prefix}a`] } }),
      );
      try {
        await reader.untilCaughtUp();
        expect(reader.messages.map((m) => m.kind)).toEqual(['event', 'checkpoint', 'checkpoint', 'caughtUp']);
        const last = reader.messages.at(-2)!;
        expect(last.kind === 'checkpoint' && formatPosition(last.position)).toBe(formatPosition(lastB!.position));
      } finally {
        await reader.subscription.unsubscribe();
      }
    });

    it('ends after maxCount events', async () => {
      const store = openStore();
      const start = await store.headPosition();
      const streamId = `max-count-${randomUUID()}`;
      await store.appendToStream(streamId, range(3).map(() => event('A')), { expectedRevision: 'no_stream' });
      const seen: string[] = [];
      for await (const message of store.subscribeToAll({ after: start ?? undefined, maxCount: 2 })) {
        if (message.kind === 'event') seen.push(message.event.streamId);
      }
      expect(seen).toEqual([streamId, streamId]);
    });

    it('keeps delivering by polling when no notification arrives', async () => {
      const writer = openStore({ notifyChannel: 'nobody_listens' });
      const store = openStore({ pollIntervalMs: 100 });
      const streamId = `polled-${randomUUID()}`;
      const reader = new SubscriptionReader(store.subscribeToAll({ after: (await store.headPosition()) ?? undefined }));
      try {
        await reader.untilCaughtUp();
        await writer.appendToStream(streamId, [event('A')], { expectedRevision: 'no_stream' });
        await reader.untilEvents(streamId, 1, 3_000);
      } finally {
        await reader.subscription.unsubscribe();
      }
    });

    it('reconnects its listener after the connection is lost, without losing an event', async () => {
      const warnings: string[] = [];
      const log = pino({ level: 'warn' }, { write: (line: string) => void warnings.push(JSON.parse(line).msg) });
      // Polling so slow that only notifications (and the reconnect) can deliver in time.
      const store = openStore({ log, pollIntervalMs: 60_000 });
      const streamId = `listener-${randomUUID()}`;
      const reader = new SubscriptionReader(store.subscribeToAll({ after: (await store.headPosition()) ?? undefined }));
      try {
        await reader.untilCaughtUp();
        await store.appendToStream(streamId, [event('BeforeLoss')], { expectedRevision: 'no_stream' });
        await reader.untilEvents(streamId, 1, 3_000);
        const before = await listenerPids();
        expect(before.length).toBeGreaterThan(0);

        await db.pool.query('SELECT pg_terminate_backend(pid) FROM unnest($1::int[]) AS pid', [before]);
        await store.appendToStream(streamId, [event('DuringLoss')], { expectedRevision: 0n });
        await reader.untilEvents(streamId, 2, 5_000);
        await waitFor(async () => (await listenerPids()).some((pid) => !before.includes(pid)), 'a new listener');
        await store.appendToStream(streamId, [event('AfterLoss')], { expectedRevision: 1n });
        await reader.untilEvents(streamId, 3, 3_000);

        expect(reader.events(streamId).map((e) => e.type)).toEqual(['BeforeLoss', 'DuringLoss', 'AfterLoss']);
        expect(warnings).toContain('listener lost');
      } finally {
        await reader.subscription.unsubscribe();
      }
    });

    it('close() ends its subscriptions and leaves the pool open', async () => {
      const store = openStore();
      const subscription = store.subscribeToAll();
      const loop = (async () => {
        for await (const _message of subscription);
      })();

      await store.close();

      await withTimeout(loop, 3_000, 'the subscription to end');
      await waitFor(async () => (await listenerPids()).length === 0, 'the listener to disconnect');
      await expect(db.pool.query('SELECT 1')).resolves.toBeDefined();
      await expect(store.appendToStream('closed', [event('A')], { expectedRevision: 'any' })).rejects.toThrow(/closed/);
    });
  });
});

describeEventStoreContract('postgres', async () => {
  const store = createPostgresEventStore({ pool: db.pool });
  return { store, teardown: () => store.close() };
});

describeWritePathUnderFaults('postgres', async () => {
  const store = createPostgresEventStore({ pool: db.pool });
  return { store, pool: db.pool, teardown: () => store.close() };
});

/** Runs `work` in a transaction it may commit; rolls back whatever it leaves open. */
async function inOpenTransaction<T>(work: (client: PoolClient, commit: () => Promise<void>) => Promise<T>): Promise<T> {
  const client = await db.pool.connect();
  let open = true;
  try {
    await client.query('BEGIN');
    return await work(client, async () => {
      await client.query('COMMIT');
      open = false;
    });
  } finally {
    if (open) await client.query('ROLLBACK').catch(() => undefined);
    client.release();
  }
}

async function listenerPids(): Promise<number[]> {
  const { rows } = await db.pool.query<{ pid: number }>(
    `SELECT pid FROM pg_stat_activity WHERE application_name = 'event-store-listener' AND datname = current_database()`,
  );
  return rows.map((r) => r.pid);
}

async function waitFor(condition: () => Promise<boolean>, what: string, timeoutMs = 5_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

async function expectDuplicate(append: Promise<AppendResult>, streamId: string, eventId: string): Promise<void> {
  const error = await append.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(DuplicateEventIdError);
  expect(error).toMatchObject({ streamId, eventId });
}
