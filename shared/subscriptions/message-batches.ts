import type { Subscription, SubscriptionMessage } from '../eventstore/port';

type Pulled = IteratorResult<SubscriptionMessage, undefined>;

/**
 * Cuts a subscription into batches by pulling from its iterator: a batch ends at `size` messages,
 * `windowMs` after its first message, or at `caughtUp`. The store reads ahead only as fast as
 * batches are applied, so catch-up over a long log holds one page in memory.
 */
export class MessageBatches {
  private readonly iterator: AsyncIterator<SubscriptionMessage, undefined>;
  /** A pull that outlived the previous batch's window; the next batch starts with it. */
  private pending: Promise<Pulled> | undefined;

  constructor(
    subscription: Subscription,
    private readonly size: number,
    private readonly windowMs: number,
    private readonly signal: AbortSignal,
  ) {
    this.iterator = subscription[Symbol.asyncIterator]();
  }

  /** `done`: the subscription ended or stop was asked; on stop, messages not yet applied are left. */
  async next(): Promise<{ messages: SubscriptionMessage[]; done: boolean }> {
    const messages: SubscriptionMessage[] = [];
    let deadline: number | undefined;
    while (messages.length < this.size) {
      const remaining = deadline === undefined ? undefined : deadline - Date.now();
      if (remaining !== undefined && remaining <= 0) break;
      this.pending ??= this.iterator.next();
      const pulled = await settleWithin(this.pending, remaining, this.signal);
      if (pulled === 'stopped') return { messages: [], done: true };
      if (pulled === 'window') break;
      this.pending = undefined;
      if (pulled.done) return { messages, done: true };
      messages.push(pulled.value);
      if (pulled.value.kind === 'caughtUp') break;
      deadline ??= Date.now() + this.windowMs;
    }
    return { messages, done: false };
  }
}

/** The promise's outcome, or 'window' after `ms` (never, when undefined), or 'stopped' on abort. */
function settleWithin<T>(promise: Promise<T>, ms: number | undefined, signal: AbortSignal): Promise<T | 'window' | 'stopped'> {
  if (signal.aborted) return Promise.resolve('stopped');
  return new Promise((resolve, reject) => {
    const settle = (): void => {
      clearTimeout(timer);
      signal.removeEventListener('abort', onAbort);
    };
    const onAbort = (): void => {
      settle();
      resolve('stopped');
    };
    const timer = ms === undefined ? undefined : setTimeout(() => {
      settle();
      resolve('window');
    }, ms);
    signal.addEventListener('abort', onAbort, { once: true });
    promise.then(
      (value) => {
        settle();
        resolve(value);
      },
      (error: unknown) => {
        settle();
        reject(error);
      },
    );
  });
}
