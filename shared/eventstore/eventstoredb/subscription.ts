import type { AllStreamResolvedEvent, AllStreamSubscription, Position as ClientPosition } from '@eventstore/db-client';
import type { Logger } from '../../logging/logger';
import type { Subscription, SubscriptionMessage } from '../port';
import { isAfter, type Position } from '../position';
import { fromClientPosition, toRecordedEvent } from './mapping';

/**
 * A single-consumer async queue. The producer pushes synchronously (from event-emitter
 * listeners, which must not be async); `next()` hands items out in order, then the failure
 * (once) or the end. `onDrained` fires when a consumer brings the size down to `lowWaterMark`,
 * so a producer paused at the high-water mark can resume.
 */
export class MessageQueue<T> {
  private readonly items: T[] = [];
  private waiter: { resolve(result: IteratorResult<T, undefined>): void; reject(error: unknown): void } | undefined;
  private state: 'open' | 'ended' | 'failed' = 'open';
  private failure: unknown;

  constructor(
    private readonly lowWaterMark = 0,
    private readonly onDrained: () => void = () => undefined,
  ) {}

  get size(): number {
    return this.items.length;
  }

  get isOpen(): boolean {
    return this.state === 'open';
  }

  push(item: T): void {
    if (this.state !== 'open') return;
    const waiter = this.waiter;
    if (waiter !== undefined) {
      this.waiter = undefined;
      waiter.resolve({ value: item, done: false });
    } else {
      this.items.push(item);
    }
  }

  /** No more items; with `discard`, also drop those not handed out yet. */
  end(options: { discard?: boolean } = {}): void {
    if (this.state !== 'open') {
      if (options.discard) this.items.length = 0;
      return;
    }
    this.state = 'ended';
    if (options.discard) this.items.length = 0;
    this.settleWaiter();
  }

  /** The consumer gets the items already queued, then this error. */
  fail(error: unknown): void {
    if (this.state !== 'open') return;
    this.state = 'failed';
    this.failure = error;
    this.settleWaiter();
  }

  next(): Promise<IteratorResult<T, undefined>> {
    if (this.items.length > 0) {
      const value = this.items.shift() as T;
      if (this.items.length === this.lowWaterMark) this.onDrained();
      return Promise.resolve({ value, done: false });
    }
    if (this.state === 'failed') {
      this.state = 'ended';
      return Promise.reject(this.failure);
    }
    if (this.state === 'ended') return Promise.resolve({ value: undefined, done: true });
    if (this.waiter !== undefined) return Promise.reject(new Error('next() called before the previous call settled'));
    return new Promise((resolve, reject) => {
      this.waiter = { resolve, reject };
    });
  }

  private settleWaiter(): void {
    const waiter = this.waiter;
    if (waiter === undefined) return;
    this.waiter = undefined;
    if (this.state === 'failed') {
      this.state = 'ended';
      waiter.reject(this.failure);
    } else {
      waiter.resolve({ value: undefined, done: true });
    }
  }
}

export class SubscriptionEndedError extends Error {
  constructor() {
    super('EventStoreDB ended the $all subscription without being asked to; subscribe again from the last checkpoint');
    this.name = 'SubscriptionEndedError';
  }
}

export interface SubscriptionAdapterOptions {
  /** Exclusive start: an event at or before it is never yielded. */
  readonly after?: Position;
  /** Queue size at which the client's stream is paused (gRPC flow control then holds the server). */
  readonly highWaterMark?: number;
  readonly log?: Logger;
  /** Called once, when the subscription stops for any reason. */
  readonly onStop?: () => void;
}

type Marker = { readonly kind: 'checkpoint'; readonly position: Position } | { readonly kind: 'caughtUp' };

/**
 * Turns the client's $all subscription (a Node stream of resolved events, plus out-of-band
 * `caughtUp` events and `checkpointReached` calls) into the port's ordered message iterable.
 *
 * Ordering: the client emits `caughtUp` and calls `checkpointReached` while it transforms the
 * server's message, at which point every event the server sent before that message has been
 * pushed into the stream's readable buffer but may not have been emitted as 'data' yet. So a
 * marker is queued only after the `readableLength` events still buffered at that moment have
 * been delivered: checkpoint and caughtUp are never reported ahead of the events before them.
 *
 * `open` receives the checkpoint callback to put in the subscription filter.
 */
export function adaptSubscription(
  open: (onCheckpoint: (position: ClientPosition) => void) => AllStreamSubscription,
  options: SubscriptionAdapterOptions = {},
): Subscription {
  const highWaterMark = Math.max(1, options.highWaterMark ?? 256);
  const log = options.log;

  let paused = false;
  let stopped = false;
  let unsubscribing: Promise<void> | undefined;
  let iterated = false;

  /** Events received from the stream ('data'), yielded or skipped. */
  let received = 0;
  const pending: { at: number; marker: Marker }[] = [];
  /** Last position yielded (event or checkpoint), starting at the exclusive `after`. */
  let last: Position | undefined = options.after;
  let caughtUpSent = false;

  const queue = new MessageQueue<SubscriptionMessage>(Math.floor(highWaterMark / 2), () => {
    if (paused && !stopped) {
      paused = false;
      source.resume();
    }
  });

  const push = (message: SubscriptionMessage): void => {
    queue.push(message);
    if (!paused && queue.size >= highWaterMark) {
      paused = true;
      source.pause();
    }
  };

  const emitMarker = (marker: Marker): void => {
    if (marker.kind === 'caughtUp') {
      // The client emits caughtUp again after a fellBehind; the port reports it once.
      if (caughtUpSent) return;
      caughtUpSent = true;
      push({ kind: 'caughtUp', position: last ?? null });
      return;
    }
    // A checkpoint only ever moves forward, and never to or before a yielded event.
    if (last !== undefined && !isAfter(marker.position, last)) return;
    last = marker.position;
    push(marker);
  };

  const flushMarkers = (): void => {
    while (pending.length > 0 && pending[0]!.at <= received) emitMarker(pending.shift()!.marker);
  };

  const onMarker = (marker: Marker): void => {
    if (stopped) return;
    pending.push({ at: received + source.readableLength, marker });
    flushMarkers();
  };

  const stop = (): void => {
    if (stopped) return;
    stopped = true;
    pending.length = 0;
    options.onStop?.();
  };

  const release = (): Promise<void> => {
    unsubscribing ??= (async () => {
      // Let the cancelled stream drain to its end; the listeners ignore what still arrives.
      source.resume();
      await source.unsubscribe();
    })().catch((error: unknown) => {
      log?.debug({ err: error }, 'eventstoredb subscription: unsubscribe failed');
    });
    return unsubscribing;
  };

  const fail = (error: unknown): void => {
    if (stopped) return;
    queue.fail(error);
    stop();
    void release();
  };

  const onData = (resolved: AllStreamResolvedEvent): void => {
    if (stopped) return;
    received += 1;
    try {
      const event = toRecordedEvent(resolved);
      // ESDB starts a $all subscription strictly after `fromPosition`; the check guards the
      // port's promise (never at or before `after`, never twice) regardless.
      if (event !== undefined && (last === undefined || isAfter(event.position, last))) {
        last = event.position;
        push({ kind: 'event', event });
      }
    } catch (error) {
      fail(error);
      return;
    }
    flushMarkers();
  };

  // The closures above first run once the client has answered, which is after this line.
  const source = open((position) => onMarker({ kind: 'checkpoint', position: fromClientPosition(position) }));
  source.on('data', onData);
  source.on('caughtUp', () => onMarker({ kind: 'caughtUp' }));
  // Stays attached after stop: an 'error' event without a listener would crash the process.
  source.on('error', (error: Error) => {
    if (stopped) return;
    log?.warn({ err: error }, 'eventstoredb $all subscription failed');
    fail(error);
  });
  source.on('end', () => {
    if (stopped) return;
    log?.warn('eventstoredb $all subscription ended by the server');
    fail(new SubscriptionEndedError());
  });

  const unsubscribe = async (): Promise<void> => {
    if (!stopped) {
      queue.end({ discard: true });
      stop();
    }
    await release();
  };

  return {
    unsubscribe,
    [Symbol.asyncIterator](): AsyncIterator<SubscriptionMessage, undefined> {
      if (iterated) throw new Error('a subscription can be iterated only once');
      iterated = true;
      return {
        next: () => queue.next(),
        // `break` in a for-await loop lands here: leaving the loop stops the subscription.
        return: async () => {
          await unsubscribe();
          return { value: undefined, done: true };
        },
      };
    },
  };
}
