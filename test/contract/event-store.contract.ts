import { randomUUID } from 'node:crypto';
import {
  DuplicateEventIdError,
  WrongExpectedRevisionError,
  type AppendResult,
  type EventStore,
  type EventToAppend,
  type ExpectedRevision,
  type RecordedEvent,
  type StreamRevision,
  type Subscription,
  type SubscriptionMessage,
} from '../../shared/eventstore/port';
import { comparePositions, formatPosition, type Position } from '../../shared/eventstore/position';

export type EventStoreContractSetup = () => Promise<{ store: EventStore; teardown: () => Promise<void> }>;

/**
 * The behaviour every EventStore adapter must have, against the port only. Stream names carry a
 * per-run id, and every global read starts after the head seen at the test's start, so the suite
 * can run against a shared server that other runs write to at the same time.
 */
export function describeEventStoreContract(name: string, setup: EventStoreContractSetup, options: { skip?: string } = {}): void {
  if (options.skip !== undefined) {
    // Registered as skipped, so jest counts them as such; the reason is printed, never silent.
    console.warn(`SKIPPED: the ${name} event store contract did not run: ${options.skip}`);
  }
  (options.skip === undefined ? describe : describe.skip)(`the ${name} event store (contract)`, () => {
    let store: EventStore | undefined;
    let teardown: (() => Promise<void>) | undefined;
    const run = randomUUID().slice(0, 8);
    let streams = 0;
    /** A stream name (or, with a trailing '-', a prefix) nobody else uses. */
    const unique = (label: string): string => `contract_${run}_${++streams}_${label}`;

    beforeAll(async () => {
      ({ store, teardown } = await setup());
    }, 120_000);

    afterAll(async () => {
      await teardown?.();
    });

    function contract(title: string, body: (store: EventStore) => Promise<void>, timeoutMs = 30_000): void {
      test(title, () => body(store!), timeoutMs);
    }

    describe('appendToStream and readStream', () => {
      contract('records type, data, metadata, ids and 0-based revisions, in order', async (store) => {
        const streamId = unique('roundtrip');
        const events = [
          event('ThingCreated', { name: 'Zoë', nested: { list: [1, 'two', null, true], empty: {} } }),
          event('ThingRenamed', { name: 'Zoë 2', emoji: '🙂', quote: '"\\' }),
          event('ThingDeleted', {}),
        ];
        const before = Date.now();

        const result = await store.appendToStream(streamId, events, { expectedRevision: 'no_stream' });
        const recorded = await store.readStream(streamId);

        expect(result.nextExpectedRevision).toBe(2n);
        expect(recorded.map(summary)).toEqual(
          events.map((e, i) => ({ id: e.id, type: e.type, streamId, revision: BigInt(i), data: e.data, metadata: e.metadata })),
        );
        expectStrictlyIncreasing(recorded.map((e) => e.position));
        expect(comparePositions(result.position, recorded[2]!.position)).toBe(0);
        for (const e of recorded) {
          expect(e.recordedAt).toBeInstanceOf(Date);
          expect(e.recordedAt.getTime()).toBeGreaterThan(before - 60_000);
        }
      });

      contract('continues a stream from the revision of its last event', async (store) => {
        const streamId = unique('continue');
        await store.appendToStream(streamId, [event('A'), event('B')], { expectedRevision: 'no_stream' });

        const result = await store.appendToStream(streamId, [event('C'), event('D')], { expectedRevision: 1n });

        expect(result.nextExpectedRevision).toBe(3n);
        expect((await store.readStream(streamId)).map((e) => [e.type, e.revision])).toEqual([
          ['A', 0n],
          ['B', 1n],
          ['C', 2n],
          ['D', 3n],
        ]);
      });

      contract('reads from a revision, at most maxCount events', async (store) => {
        const streamId = unique('paged');
        await store.appendToStream(streamId, range(10).map((i) => event('Counted', { i })), {
          expectedRevision: 'no_stream',
        });

        expect((await store.readStream(streamId, { fromRevision: 3n, maxCount: 4 })).map((e) => e.revision)).toEqual([
          3n, 4n, 5n, 6n,
        ]);
        expect((await store.readStream(streamId, { fromRevision: 8n })).map((e) => e.revision)).toEqual([8n, 9n]);
        expect((await store.readStream(streamId, { maxCount: 2 })).map((e) => e.revision)).toEqual([0n, 1n]);
        expect(await store.readStream(streamId, { fromRevision: 10n })).toEqual([]);
      });

      contract('reads an absent stream as []', async (store) => {
        expect(await store.readStream(unique('absent'))).toEqual([]);
      });
    });

    describe('expected revision', () => {
      contract('no_stream: creates a stream, and conflicts once it exists', async (store) => {
        const streamId = unique('no-stream');
        const created = await store.appendToStream(streamId, [event('A'), event('B')], { expectedRevision: 'no_stream' });
        expect(created.nextExpectedRevision).toBe(1n);

        await expectWrongRevision(store.appendToStream(streamId, [event('C')], { expectedRevision: 'no_stream' }), {
          streamId,
          expected: 'no_stream',
          actual: 1n,
        });
        expect(await store.readStream(streamId)).toHaveLength(2);
      });

      contract('stream_exists: conflicts on an absent stream, appends to an existing one', async (store) => {
        const streamId = unique('stream-exists');
        await expectWrongRevision(store.appendToStream(streamId, [event('A')], { expectedRevision: 'stream_exists' }), {
          streamId,
          expected: 'stream_exists',
          actual: 'no_stream',
        });
        expect(await store.readStream(streamId)).toEqual([]);

        await store.appendToStream(streamId, [event('A')], { expectedRevision: 'no_stream' });
        const result = await store.appendToStream(streamId, [event('B')], { expectedRevision: 'stream_exists' });
        expect(result.nextExpectedRevision).toBe(1n);
      });

      contract('any: appends to an absent and to an existing stream', async (store) => {
        const streamId = unique('any');
        expect((await store.appendToStream(streamId, [event('A')], { expectedRevision: 'any' })).nextExpectedRevision).toBe(0n);
        expect(
          (await store.appendToStream(streamId, [event('B'), event('C')], { expectedRevision: 'any' })).nextExpectedRevision,
        ).toBe(2n);
      });

      contract('an exact revision: appends when it is the last event, conflicts with the actual one otherwise', async (store) => {
        const streamId = unique('exact');
        await expectWrongRevision(store.appendToStream(streamId, [event('A')], { expectedRevision: 0n }), {
          streamId,
          expected: 0n,
          actual: 'no_stream',
        });
        await store.appendToStream(streamId, [event('A'), event('B'), event('C')], { expectedRevision: 'no_stream' });

        await expectWrongRevision(store.appendToStream(streamId, [event('X')], { expectedRevision: 1n }), {
          streamId,
          expected: 1n,
          actual: 2n,
        });
        await expectWrongRevision(store.appendToStream(streamId, [event('X')], { expectedRevision: 5n }), {
          streamId,
          expected: 5n,
          actual: 2n,
        });
        const result = await store.appendToStream(streamId, [event('D')], { expectedRevision: 2n });

        expect(result.nextExpectedRevision).toBe(3n);
        expect((await store.readStream(streamId)).map((e) => e.type)).toEqual(['A', 'B', 'C', 'D']);
      });

      contract('an empty append checks the expectation and writes nothing', async (store) => {
        const streamId = unique('empty');
        await store.appendToStream(streamId, [], { expectedRevision: 'no_stream' });
        expect(await store.readStream(streamId)).toEqual([]);

        await store.appendToStream(streamId, [event('A'), event('B')], { expectedRevision: 'no_stream' });
        const result = await store.appendToStream(streamId, [], { expectedRevision: 1n });
        expect(result.nextExpectedRevision).toBe(1n);
        await expectWrongRevision(store.appendToStream(streamId, [], { expectedRevision: 'no_stream' }), {
          streamId,
          expected: 'no_stream',
          actual: 1n,
        });
        expect(await store.readStream(streamId)).toHaveLength(2);
      });
    });

    describe('idempotency by event id', () => {
      contract('a retried write is recorded once and answers with the original result', async (store) => {
        const streamId = unique('retried');
        const write = [event('A'), event('B')];
        const original = await store.appendToStream(streamId, write, { expectedRevision: 'no_stream' });

        const retried = await store.appendToStream(streamId, write, { expectedRevision: 'no_stream' });
        await store.appendToStream(streamId, [event('C')], { expectedRevision: 1n });
        const retriedLater = await store.appendToStream(streamId, write, { expectedRevision: 'no_stream' });
        const retriedAny = await store.appendToStream(streamId, write, { expectedRevision: 'any' });

        for (const result of [retried, retriedLater, retriedAny]) expectSameResult(result, original);
        expect((await store.readStream(streamId)).map((e) => e.id)).toEqual([write[0]!.id, write[1]!.id, expect.any(String)]);
      });

      contract('re-using an event id of an earlier write alongside new events is rejected', async (store) => {
        const streamId = unique('reused');
        const [a, b] = [event('A'), event('B')];
        await store.appendToStream(streamId, [a, b], { expectedRevision: 'no_stream' });

        const error = await store.appendToStream(streamId, [a, event('C')], { expectedRevision: 'any' }).then(
          () => undefined,
          (e: unknown) => e,
        );

        expect(error).toBeInstanceOf(DuplicateEventIdError);
        expect(error).toMatchObject({ streamId, eventId: a.id });
        expect((await store.readStream(streamId)).map((e) => e.id)).toEqual([a.id, b.id]);
      });
    });

    describe('readAll and headPosition', () => {
      contract('reads the global log in position order, `after` exclusive, page by page', async (store) => {
        const start = await store.headPosition();
        const prefix = unique('global-');
        const written: EventToAppend[] = [];
        const append = async (stream: string, events: EventToAppend[], expectedRevision: ExpectedRevision) => {
          await store.appendToStream(`${prefix}${stream}`, events, { expectedRevision });
          written.push(...events);
        };
        await append('1', [event('A'), event('B')], 'no_stream');
        await append('2', [event('C')], 'no_stream');
        await append('1', [event('D')], 1n);
        await append('3', [event('E'), event('F'), event('G')], 'no_stream');

        const ours: RecordedEvent[] = [];
        let after: Position | undefined = start ?? undefined;
        for (let pages = 0; ours.length < written.length; pages++) {
          if (pages > 1000) throw new Error('readAll paged past our events without finding them all');
          const page = await store.readAll({ after, maxCount: 3 });
          if (page.length === 0) break;
          expect(page.length).toBeLessThanOrEqual(3);
          if (after) expect(comparePositions(page[0]!.position, after)).toBe(1);
          expectStrictlyIncreasing(page.map((e) => e.position));
          ours.push(...page.filter((e) => e.streamId.startsWith(prefix)));
          after = page[page.length - 1]!.position;
        }

        expect(ours.map((e) => e.id)).toEqual(written.map((e) => e.id));
        expect(ours.map((e) => [e.streamId.slice(prefix.length), e.revision])).toEqual([
          ['1', 0n], ['1', 1n], ['2', 0n], ['1', 2n], ['3', 0n], ['3', 1n], ['3', 2n],
        ]);
        const afterThird = (await store.readAll({ after: ours[2]!.position, maxCount: 100 })).filter((e) =>
          e.streamId.startsWith(prefix),
        );
        expect(afterThird.map((e) => e.id)).toEqual(written.slice(3).map((e) => e.id));

        const head = await store.headPosition();
        expect(head).not.toBeNull();
        expect(comparePositions(head!, ours[ours.length - 1]!.position)).toBeGreaterThanOrEqual(0);
      });
    });

    describe('countEventsAfter', () => {
      contract('counts the events after a position, `after` exclusive, up to the limit', async (store) => {
        const streamId = unique('count');
        await store.appendToStream(streamId, [event('A'), event('B'), event('C'), event('D'), event('E')], { expectedRevision: 'no_stream' });
        const ours = await store.readStream(streamId);

        // Other writers may add events after ours at any time: only lower bounds and the cap are exact.
        expect(await store.countEventsAfter(ours[0]!.position, 3)).toBe(3);
        expect(await store.countEventsAfter(ours[0]!.position, 1000)).toBeGreaterThanOrEqual(4);
        expect(await store.countEventsAfter(ours[3]!.position, 1000)).toBeGreaterThanOrEqual(1);
        expect(await store.countEventsAfter(undefined, 2)).toBe(2);
        expect(await store.countEventsAfter(ours[0]!.position, 0)).toBe(0);
      });
    });

    describe('concurrent writers', () => {
      contract('of one stream with the same expected revision: exactly one wins each round', async (store) => {
        const streamId = unique('race');
        const winners: string[] = [];
        for (let round = 0; round < 5; round++) {
          const expectedRevision: ExpectedRevision = round === 0 ? 'no_stream' : BigInt(round - 1);
          const contenders = range(20).map(() => event('Contended', { round }));

          const outcomes = await Promise.allSettled(
            contenders.map((e) => store.appendToStream(streamId, [e], { expectedRevision })),
          );

          const won = outcomes.flatMap((o, i) => (o.status === 'fulfilled' ? [{ result: o.value, id: contenders[i]!.id }] : []));
          expect(won).toHaveLength(1);
          expect(won[0]!.result.nextExpectedRevision).toBe(BigInt(round));
          winners.push(won[0]!.id);
          for (const o of outcomes) {
            if (o.status === 'rejected') {
              expect(o.reason).toBeInstanceOf(WrongExpectedRevisionError);
              expect(o.reason).toMatchObject({ streamId, expected: expectedRevision, actual: BigInt(round) });
            }
          }
        }
        expect((await store.readStream(streamId)).map((e) => e.id)).toEqual(winners);
      });

      contract('of one stream with `any`: every write lands, each at its own revision', async (store) => {
        const streamId = unique('any-race');
        const results = await Promise.all(
          range(20).map((i) => store.appendToStream(streamId, [event('Any', { i })], { expectedRevision: 'any' })),
        );

        expect(results.map((r) => r.nextExpectedRevision).sort(compareBigInt)).toEqual(range(20).map(BigInt));
        expect((await store.readStream(streamId)).map((e) => e.revision)).toEqual(range(20).map(BigInt));
      });
    });

    describe('subscribeToAll', () => {
      contract('catches up, says caughtUp once, then delivers live events', async (store) => {
        const start = await store.headPosition();
        const streamId = unique('catch-up');
        const early = [event('A'), event('B'), event('C')];
        await store.appendToStream(streamId, early, { expectedRevision: 'no_stream' });
        const reader = new SubscriptionReader(store.subscribeToAll({ after: start ?? undefined }));
        try {
          await reader.untilCaughtUp();
          expect(reader.eventIds(streamId)).toEqual(early.map((e) => e.id));

          const late = [event('D'), event('E')];
          await store.appendToStream(streamId, late.slice(0, 1), { expectedRevision: 2n });
          await store.appendToStream(streamId, late.slice(1), { expectedRevision: 3n });
          await reader.untilEvents(streamId, 5);

          expect(reader.eventIds(streamId)).toEqual([...early, ...late].map((e) => e.id));
          expect(reader.messages.filter((m) => m.kind === 'caughtUp')).toHaveLength(1);
          expectStrictlyIncreasing(reader.events().map((e) => e.position));
        } finally {
          await reader.subscription.unsubscribe();
        }
      });

      contract('starts strictly after `after`', async (store) => {
        const streamId = unique('after');
        const events = [event('A'), event('B'), event('C')];
        await store.appendToStream(streamId, events, { expectedRevision: 'no_stream' });
        const [first] = await store.readStream(streamId);
        const reader = new SubscriptionReader(store.subscribeToAll({ after: first!.position }));
        try {
          await reader.untilCaughtUp();
          expect(reader.eventIds(streamId)).toEqual([events[1]!.id, events[2]!.id]);
        } finally {
          await reader.subscription.unsubscribe();
        }
      });

      contract('delivers only streams that start with a filtered prefix', async (store) => {
        const start = await store.headPosition();
        const base = unique('filter');
        const [a, b, c] = [`${base}-a-`, `${base}-b-`, `${base}-c-`];
        await store.appendToStream(`${a}1`, [event('A1')], { expectedRevision: 'no_stream' });
        await store.appendToStream(`${b}1`, [event('B1')], { expectedRevision: 'no_stream' });
        await store.appendToStream(`${c}1`, [event('C1')], { expectedRevision: 'no_stream' });
        await store.appendToStream(`${a}2`, [event('A2'), event('A2')], { expectedRevision: 'no_stream' });
        await store.appendToStream(`${b}1`, [event('B1')], { expectedRevision: 0n });
        const reader = new SubscriptionReader(
          store.subscribeToAll({ after: start ?? undefined, filter: { streamPrefixes: [a, c] } }),
        );
        try {
          await reader.untilCaughtUp();
          expect(reader.events().map((e) => e.type)).toEqual(['A1', 'C1', 'A2', 'A2']);

          await store.appendToStream(`${b}2`, [event('B2')], { expectedRevision: 'no_stream' });
          await store.appendToStream(`${a}3`, [event('A3')], { expectedRevision: 'no_stream' });
          await reader.until(() => reader.events().length >= 5);

          expect(reader.events().map((e) => e.type)).toEqual(['A1', 'C1', 'A2', 'A2', 'A3']);
          // Checkpoints never move backwards, nor behind an event already delivered.
          expectNonDecreasing(
            reader.messages.flatMap((m) => (m.kind === 'event' ? [m.event.position] : m.kind === 'checkpoint' ? [m.position] : [])),
          );
        } finally {
          await reader.subscription.unsubscribe();
        }
      });

      contract('unsubscribe() ends a pending iteration', async (store) => {
        const start = await store.headPosition();
        const subscription = store.subscribeToAll({ after: start ?? undefined });
        const seen: SubscriptionMessage[] = [];
        let caughtUp!: () => void;
        const reachedLive = new Promise<void>((resolve) => (caughtUp = resolve));
        const loop = (async () => {
          for await (const message of subscription) {
            seen.push(message);
            if (message.kind === 'caughtUp') caughtUp();
          }
        })();
        await withTimeout(reachedLive, 10_000, 'caughtUp');

        await subscription.unsubscribe();

        await withTimeout(loop, 5_000, 'the for-await loop to end after unsubscribe()');
        expect(seen.filter((m) => m.kind === 'caughtUp')).toHaveLength(1);
      });

      contract('breaking out of for-await ends the subscription', async (store) => {
        const streamId = unique('break');
        await store.appendToStream(streamId, [event('A'), event('B')], { expectedRevision: 'no_stream' });
        const [first] = await store.readStream(streamId);
        const subscription = store.subscribeToAll({ after: first!.position });

        let received: RecordedEvent | undefined;
        for await (const message of subscription) {
          if (message.kind === 'event' && message.event.streamId === streamId) {
            received = message.event;
            break;
          }
        }

        expect(received?.type).toBe('B');
        await withTimeout(subscription.unsubscribe(), 5_000, 'unsubscribe() after break');
      });

      contract(
        'while many writers append: every event exactly once, streams in revision order, positions increasing',
        async (store) => {
          const start = await store.headPosition();
          const prefix = unique('busy-');
          const reader = new SubscriptionReader(
            store.subscribeToAll({ after: start ?? undefined, filter: { streamPrefixes: [prefix] } }),
          );
          try {
            await reader.untilCaughtUp();
            const written: string[] = [];
            const writer = async (w: number): Promise<void> => {
              const revisions = new Map<string, StreamRevision>();
              for (let i = 0; i < 30; i++) {
                const shared = i % 5 === 4;
                const streamId = shared ? `${prefix}shared` : `${prefix}w${w}-s${i % 3}`;
                const events = range(i % 4 === 0 ? 2 : 1).map(() => event('Busy', { w, i }));
                const revision = revisions.get(streamId);
                const result = await store.appendToStream(streamId, events, {
                  expectedRevision: shared ? 'any' : (revision ?? 'no_stream'),
                });
                revisions.set(streamId, result.nextExpectedRevision);
                written.push(...events.map((e) => e.id));
              }
            };

            await Promise.all(range(10).map(writer));
            await reader.until(() => reader.events().length >= written.length, 20_000);
            await reader.settle(300);

            const delivered = reader.events();
            expect(delivered).toHaveLength(written.length);
            expect(new Set(delivered.map((e) => e.id))).toEqual(new Set(written));
            expectStrictlyIncreasing(delivered.map((e) => e.position));
            const revisionsByStream = new Map<string, bigint[]>();
            for (const e of delivered) revisionsByStream.set(e.streamId, [...(revisionsByStream.get(e.streamId) ?? []), e.revision]);
            for (const [streamId, revisions] of revisionsByStream) {
              expect({ streamId, revisions }).toEqual({ streamId, revisions: range(revisions.length).map(BigInt) });
            }
            const stored = await Promise.all([...revisionsByStream.keys()].map((s) => store.readStream(s)));
            expect(stored.flat().length).toBe(written.length);
            expect(reader.messages.filter((m) => m.kind === 'caughtUp')).toHaveLength(1);
          } finally {
            await reader.subscription.unsubscribe();
          }
        },
        45_000,
      );
    });
  });
}

/** Pulls a subscription's messages into `messages` on demand, with deadlines. */
export class SubscriptionReader {
  readonly messages: SubscriptionMessage[] = [];
  private readonly iterator: AsyncIterator<SubscriptionMessage>;
  private pending: Promise<IteratorResult<SubscriptionMessage>> | undefined;
  private ended = false;

  constructor(readonly subscription: Subscription) {
    this.iterator = subscription[Symbol.asyncIterator]();
  }

  events(streamId?: string): RecordedEvent[] {
    return this.messages.flatMap((m) =>
      m.kind === 'event' && (streamId === undefined || m.event.streamId === streamId) ? [m.event] : [],
    );
  }

  eventIds(streamId: string): string[] {
    return this.events(streamId).map((e) => e.id);
  }

  caughtUp(): boolean {
    return this.messages.some((m) => m.kind === 'caughtUp');
  }

  /** Reads until `done` holds for the messages read so far. */
  async until(done: () => boolean, timeoutMs = 10_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!done()) {
      const next = await this.next(deadline - Date.now());
      if (next === 'timeout') {
        throw new Error(
          `subscription: condition not met within ${timeoutMs} ms; ${this.messages.length} messages read, last ${describeMessage(this.messages.at(-1))}`,
        );
      }
      if (next === 'ended') throw new Error('subscription ended before the condition was met');
    }
  }

  untilCaughtUp(timeoutMs?: number): Promise<void> {
    return this.until(() => this.caughtUp(), timeoutMs);
  }

  untilEvents(streamId: string, count: number, timeoutMs?: number): Promise<void> {
    return this.until(() => this.events(streamId).length >= count, timeoutMs);
  }

  /** Keeps reading for `ms` more, to catch anything delivered twice or late. */
  async settle(ms: number): Promise<void> {
    const deadline = Date.now() + ms;
    while (!this.ended && (await this.next(deadline - Date.now())) !== 'timeout');
  }

  private async next(timeoutMs: number): Promise<SubscriptionMessage | 'timeout' | 'ended'> {
    if (this.ended) return 'ended';
    this.pending ??= this.iterator.next();
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<'timeout'>((resolve) => (timer = setTimeout(() => resolve('timeout'), Math.max(0, timeoutMs))));
    const result = await Promise.race([this.pending, timeout]);
    clearTimeout(timer);
    if (result === 'timeout') return result;
    this.pending = undefined;
    if (result.done) {
      this.ended = true;
      return 'ended';
    }
    this.messages.push(result.value);
    return result.value;
  }
}

export function event(type: string, data: Record<string, unknown> = {}): EventToAppend {
  return {
    id: randomUUID(),
    type,
    data,
    metadata: { correlationId: randomUUID(), actor: 'contract-test', occurredAt: new Date().toISOString() },
  };
}

export function range(n: number): number[] {
  return Array.from({ length: n }, (_, i) => i);
}

export async function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([
      promise,
      new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`timed out waiting for ${what}`)), ms))),
    ]);
  } finally {
    clearTimeout(timer);
  }
}

export function expectStrictlyIncreasing(positions: readonly Position[]): void {
  positions.slice(1).forEach((p, i) => {
    if (comparePositions(positions[i]!, p) >= 0) {
      throw new Error(`position ${formatPosition(p)} at ${i + 1} does not follow ${formatPosition(positions[i]!)}`);
    }
  });
}

function expectNonDecreasing(positions: readonly Position[]): void {
  positions.slice(1).forEach((p, i) => {
    if (comparePositions(positions[i]!, p) > 0) {
      throw new Error(`position ${formatPosition(p)} at ${i + 1} is before ${formatPosition(positions[i]!)}`);
    }
  });
}

async function expectWrongRevision(
  append: Promise<AppendResult>,
  expected: { streamId: string; expected: ExpectedRevision; actual: StreamRevision | 'no_stream' },
): Promise<void> {
  const error = await append.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(WrongExpectedRevisionError);
  expect(error).toMatchObject(expected);
}

function expectSameResult(actual: AppendResult, expected: AppendResult): void {
  expect(actual.nextExpectedRevision).toBe(expected.nextExpectedRevision);
  expect(formatPosition(actual.position)).toBe(formatPosition(expected.position));
}

function summary(e: RecordedEvent) {
  return { id: e.id, type: e.type, streamId: e.streamId, revision: e.revision, data: e.data, metadata: e.metadata };
}

function compareBigInt(a: bigint, b: bigint): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function describeMessage(message: SubscriptionMessage | undefined): string {
  if (!message) return 'none';
  if (message.kind === 'event') return `event ${message.event.streamId}@${message.event.revision}`;
  return `${message.kind} ${message.position ? formatPosition(message.position) : 'null'}`;
}
