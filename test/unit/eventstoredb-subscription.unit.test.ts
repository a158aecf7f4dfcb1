import { Transform, type TransformCallback } from 'node:stream';
import type { AllStreamResolvedEvent, AllStreamSubscription, Position as ClientPosition } from '@eventstore/db-client';
import type { SubscriptionMessage } from '../../shared/eventstore/port';
import { MessageQueue, SubscriptionEndedError, adaptSubscription } from '../../shared/eventstore/eventstoredb/subscription';

describe('eventstoredb subscription', () => {
  describe('when the server sends events, then caughtUp', () => {
    it('yields the events in order, then caughtUp at the last event', async () => {
      const { subscription, server } = subscribe();

      server.send(event(1), event(2), event(3), caughtUp());

      expect(await take(subscription, 4)).toEqual([ev(1), ev(2), ev(3), { kind: 'caughtUp', position: pos(3) }]);
      await subscription.unsubscribe();
    });

    it('never reports caughtUp ahead of events still buffered in the client stream', async () => {
      // 40 events overflow the client's object buffers (16 + 16) and this adapter's queue (8),
      // so caughtUp is emitted while most of them have not reached a 'data' listener yet.
      const { subscription, server } = subscribe({ highWaterMark: 8 });

      server.send(...range(1, 40).map(event), caughtUp(), event(41));

      const messages = await take(subscription, 42);
      expect(messages).toEqual([...range(1, 40).map(ev), { kind: 'caughtUp', position: pos(40) }, ev(41)]);
      await subscription.unsubscribe();
    });

    it('reports caughtUp once, even after the client fell behind and caught up again', async () => {
      const { subscription, server } = subscribe();

      server.send(event(1), caughtUp(), fellBehind(), event(2), caughtUp(), event(3));

      expect(await take(subscription, 4)).toEqual([ev(1), { kind: 'caughtUp', position: pos(1) }, ev(2), ev(3)]);
      await subscription.unsubscribe();
    });

    it('reports caughtUp at the start position when nothing follows it', async () => {
      const { subscription, server } = subscribe({ after: pos(7) });

      server.send(caughtUp());

      expect(await take(subscription, 1)).toEqual([{ kind: 'caughtUp', position: pos(7) }]);
      await subscription.unsubscribe();
    });

    it('reports caughtUp without a position on an empty log', async () => {
      const { subscription, server } = subscribe();

      server.send(caughtUp());

      expect(await take(subscription, 1)).toEqual([{ kind: 'caughtUp', position: null }]);
      await subscription.unsubscribe();
    });
  });

  describe('when the server sends checkpoints', () => {
    it('yields each checkpoint after the events before it, only when it moves forward', async () => {
      const { subscription, server } = subscribe({ highWaterMark: 4 });

      server.send(
        ...range(1, 30).map(event),
        checkpoint(35),
        checkpoint(35), // the same position again (live checkpoints repeat on some servers)
        checkpoint(20), // behind an event already yielded
        event(40),
        checkpoint(40), // equal to the last event
        checkpoint(50),
      );

      expect(await take(subscription, 33)).toEqual([
        ...range(1, 30).map(ev),
        { kind: 'checkpoint', position: pos(35) },
        ev(40),
        { kind: 'checkpoint', position: pos(50) },
      ]);
      await subscription.unsubscribe();
    });

    it('drops a checkpoint at or before the start position', async () => {
      const { subscription, server } = subscribe({ after: pos(10) });

      server.send(checkpoint(10), checkpoint(12), caughtUp());

      expect(await take(subscription, 2)).toEqual([
        { kind: 'checkpoint', position: pos(12) },
        { kind: 'caughtUp', position: pos(12) },
      ]);
      await subscription.unsubscribe();
    });
  });

  describe('when records are not events of the service', () => {
    it('skips system events and links without yielding or counting them as progress', async () => {
      const { subscription, server } = subscribe();

      server.send(event(1), systemEvent(2), link(3), event(4), caughtUp());

      expect(await take(subscription, 3)).toEqual([ev(1), ev(4), { kind: 'caughtUp', position: pos(4) }]);
      await subscription.unsubscribe();
    });

    it('never yields an event at or before the start position, nor one twice', async () => {
      const { subscription, server } = subscribe({ after: pos(2) });

      server.send(event(2), event(3), event(3), event(4));

      expect(await take(subscription, 2)).toEqual([ev(3), ev(4)]);
      await subscription.unsubscribe();
    });
  });

  describe('when the consumer is slower than the server', () => {
    it('pauses the client stream at the high-water mark and resumes when drained', async () => {
      const { subscription, server } = subscribe({ highWaterMark: 4 });

      server.send(...range(1, 100).map(event));
      await settle();

      expect(server.stream.isPaused()).toBe(true);
      expect(await take(subscription, 100)).toEqual(range(1, 100).map(ev));
      expect(server.stream.isPaused()).toBe(false);
      await subscription.unsubscribe();
    });
  });

  describe('when the consumer unsubscribes', () => {
    it('ends a pending iteration without error and cancels the client subscription once', async () => {
      const { subscription, server } = subscribe();
      const iterator = subscription[Symbol.asyncIterator]();
      const pending = iterator.next();

      await Promise.all([subscription.unsubscribe(), subscription.unsubscribe()]);

      await expect(pending).resolves.toEqual({ value: undefined, done: true });
      await expect(iterator.next()).resolves.toEqual({ value: undefined, done: true });
      expect(server.unsubscribed).toBe(1);
    });

    it('drops what was still queued', async () => {
      const { subscription, server } = subscribe();
      server.send(event(1), event(2));
      await settle();

      await subscription.unsubscribe();

      expect(await drain(subscription)).toEqual([]);
    });

    it('stops the subscription when the consumer breaks out of for-await', async () => {
      const { subscription, server } = subscribe();
      server.send(event(1), event(2), event(3));

      const seen: SubscriptionMessage[] = [];
      for await (const message of subscription) {
        seen.push(message);
        if (seen.length === 2) break;
      }

      expect(seen).toEqual([ev(1), ev(2)]);
      expect(server.unsubscribed).toBe(1);
    });

    it('calls onStop once', async () => {
      const onStop = jest.fn();
      const { subscription } = subscribe({ onStop });

      await subscription.unsubscribe();
      await subscription.unsubscribe();

      expect(onStop).toHaveBeenCalledTimes(1);
    });

    it('can be iterated only once', () => {
      const { subscription } = subscribe();
      subscription[Symbol.asyncIterator]();

      expect(() => subscription[Symbol.asyncIterator]()).toThrow('a subscription can be iterated only once');
      void subscription.unsubscribe();
    });
  });

  describe('when the client subscription fails', () => {
    it('yields what was queued, then throws the error, then ends', async () => {
      const onStop = jest.fn();
      const { subscription, server } = subscribe({ onStop });
      const failure = new Error('connection reset');
      server.send(event(1), event(2));
      await settle();

      server.stream.destroy(failure);
      const iterator = subscription[Symbol.asyncIterator]();

      await expect(iterator.next()).resolves.toEqual({ value: ev(1), done: false });
      await expect(iterator.next()).resolves.toEqual({ value: ev(2), done: false });
      await expect(iterator.next()).rejects.toBe(failure);
      await expect(iterator.next()).resolves.toEqual({ value: undefined, done: true });
      expect(onStop).toHaveBeenCalledTimes(1);
      expect(server.unsubscribed).toBe(1);
    });

    it('rejects a pending iteration', async () => {
      const { subscription, server } = subscribe();
      const pending = subscription[Symbol.asyncIterator]().next();

      server.stream.destroy(new Error('connection reset'));

      await expect(pending).rejects.toThrow('connection reset');
    });

    it('treats an end the consumer did not ask for as an error', async () => {
      const { subscription, server } = subscribe();

      server.send(event(1));
      server.stream.end();

      const iterator = subscription[Symbol.asyncIterator]();
      await expect(iterator.next()).resolves.toEqual({ value: ev(1), done: false });
      await expect(iterator.next()).rejects.toBeInstanceOf(SubscriptionEndedError);
    });

    it('fails with the decoding error when an event is not a JSON object', async () => {
      const { subscription, server } = subscribe();

      server.send(event(1), { event: { ...event(2).event!, data: 'not an object' } as AllStreamResolvedEvent['event'] });

      const iterator = subscription[Symbol.asyncIterator]();
      await expect(iterator.next()).resolves.toEqual({ value: ev(1), done: false });
      await expect(iterator.next()).rejects.toThrow('EventStoreDB event user-2@0: data is not a JSON object');
    });
  });
});

describe('MessageQueue', () => {
  it('hands out items in order and tells when it is drained to the low-water mark', async () => {
    const onDrained = jest.fn();
    const queue = new MessageQueue<number>(1, onDrained);
    queue.push(1);
    queue.push(2);
    queue.push(3);

    await expect(queue.next()).resolves.toEqual({ value: 1, done: false });
    expect(onDrained).not.toHaveBeenCalled();
    await expect(queue.next()).resolves.toEqual({ value: 2, done: false });
    expect(onDrained).toHaveBeenCalledTimes(1);
  });

  it('resolves a waiting consumer with the next push', async () => {
    const queue = new MessageQueue<string>();
    const pending = queue.next();

    queue.push('a');

    await expect(pending).resolves.toEqual({ value: 'a', done: false });
  });

  it('rejects a second next() while one is pending', async () => {
    const queue = new MessageQueue<string>();
    void queue.next();

    await expect(queue.next()).rejects.toThrow('next() called before the previous call settled');
  });

  it('ignores pushes after the end', async () => {
    const queue = new MessageQueue<string>();
    queue.end();
    queue.push('late');

    await expect(queue.next()).resolves.toEqual({ value: undefined, done: true });
  });
});

/** A resolved event (the server's event message), or one of its control messages. */
type ServerMessage =
  | AllStreamResolvedEvent
  | { readonly caughtUp: true }
  | { readonly fellBehind: true }
  | { readonly checkpoint: ClientPosition };

/**
 * Built like the client's Subscription (streams/utils/Subscription.js in 6.2.1): a Transform in
 * object mode fed the server's messages in order, emitting caughtUp/fellBehind and awaiting the
 * filter's checkpointReached while transforming, and pushing events to its readable side.
 */
class FakeClientSubscription extends Transform {
  unsubscribed = 0;

  constructor(private readonly checkpointReached: (subscription: unknown, position: ClientPosition) => unknown) {
    super({ objectMode: true });
  }

  override async _transform(message: ServerMessage, _encoding: BufferEncoding, next: TransformCallback): Promise<void> {
    if ('caughtUp' in message) this.emit('caughtUp');
    if ('fellBehind' in message) this.emit('fellBehind');
    if ('checkpoint' in message) await this.checkpointReached(this, message.checkpoint);
    if ('event' in message) return next(null, message);
    next();
  }

  async unsubscribe(): Promise<void> {
    this.unsubscribed += 1;
    this.end();
  }
}

function subscribe(options: Parameters<typeof adaptSubscription>[1] = {}) {
  let stream: FakeClientSubscription | undefined;
  const subscription = adaptSubscription((onCheckpoint) => {
    stream = new FakeClientSubscription((_subscription, position) => onCheckpoint(position));
    return stream as unknown as AllStreamSubscription;
  }, options);
  const server = {
    stream: stream!,
    get unsubscribed() {
      return stream!.unsubscribed;
    },
    send(...messages: ServerMessage[]) {
      for (const message of messages) stream!.write(message);
    },
  };
  return { subscription, server };
}

async function take(subscription: AsyncIterable<SubscriptionMessage>, count: number): Promise<SubscriptionMessage[]> {
  const iterator = subscription[Symbol.asyncIterator]();
  const messages: SubscriptionMessage[] = [];
  while (messages.length < count) {
    const result = await iterator.next();
    if (result.done) break;
    messages.push(result.value);
  }
  return messages;
}

async function drain(subscription: AsyncIterable<SubscriptionMessage>): Promise<SubscriptionMessage[]> {
  const messages: SubscriptionMessage[] = [];
  for await (const message of subscription) messages.push(message);
  return messages;
}

function settle(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

function range(from: number, to: number): number[] {
  return Array.from({ length: to - from + 1 }, (_, i) => from + i);
}

function pos(n: number) {
  return { commit: BigInt(n) * 100n, prepare: BigInt(n) * 100n };
}

const created = new Date('2025-03-01T10:00:00.000Z');

function event(n: number): { event: AllStreamResolvedEvent['event'] } {
  return {
    event: {
      id: `00000000-0000-4000-8000-${String(n).padStart(12, '0')}`,
      streamId: `user-${n}`,
      type: 'UserProvisioned',
      revision: 0n,
      isJson: true,
      data: { n },
      metadata: { requestId: `req-${n}` },
      created,
      position: pos(n),
    } as AllStreamResolvedEvent['event'],
  };
}

function ev(n: number): SubscriptionMessage {
  return {
    kind: 'event',
    event: {
      id: `00000000-0000-4000-8000-${String(n).padStart(12, '0')}`,
      streamId: `user-${n}`,
      type: 'UserProvisioned',
      revision: 0n,
      position: pos(n),
      data: { n },
      metadata: { requestId: `req-${n}` },
      recordedAt: created,
    },
  };
}

function systemEvent(n: number): { event: AllStreamResolvedEvent['event'] } {
  return { event: { ...event(n).event!, streamId: '$stats-127.0.0.1:2113', type: '$statsCollected' } as AllStreamResolvedEvent['event'] };
}

function link(n: number): { event: AllStreamResolvedEvent['event'] } {
  return { event: { ...event(n).event!, type: '$>' } as AllStreamResolvedEvent['event'] };
}

function caughtUp(): ServerMessage {
  return { caughtUp: true };
}

function fellBehind(): ServerMessage {
  return { fellBehind: true };
}

function checkpoint(n: number): ServerMessage {
  return { checkpoint: pos(n) };
}
