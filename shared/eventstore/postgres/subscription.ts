import type { Subscription, SubscriptionMessage } from '../port';
import type { Position } from '../position';
import type { NotificationListener } from './listener';
import { toLazyRecordedEvent, toPosition, type EventRow } from './rows';

/** A row of the global log as a subscription scans it; payload columns (JSON text) only when `matched`. */
export type ScannedRow = Omit<EventRow, 'data' | 'metadata'> & { readonly data: string; readonly metadata: string; readonly matched: boolean };

/** One read of the log: its rows, and whether an event writer still in flight held later rows back. */
export interface ScannedPage {
  readonly rows: readonly ScannedRow[];
  readonly heldBack: boolean;
}

export interface SubscriptionSource {
  readPage(after: Position | undefined, limit: number, streamPrefixes: readonly string[] | undefined): Promise<ScannedPage>;
  readonly listener: NotificationListener;
  readonly pageSize: number;
  readonly pollIntervalMs: number;
  /**
   * At the live end, the shortest time between two reads: commits notified meanwhile are read
   * together, so a busy log costs a subscriber a bounded number of reads per second instead of
   * one per append (ms; 0 reads at every notification).
   */
  readonly liveReadIntervalMs: number;
  /** Called once when the subscription ends, however it ends. */
  released(subscription: PostgresSubscription): void;
}

export interface PostgresSubscriptionOptions {
  readonly after?: Position;
  readonly maxCount?: number;
  readonly streamPrefixes?: readonly string[];
}

const DONE: IteratorReturnResult<undefined> = Object.freeze({ done: true, value: undefined });

/** Resolves after `ms`, or at once when `signal` aborts. */
function sleep(ms: number, signal: AbortSignal): Promise<void> {
  if (signal.aborted) return Promise.resolve();
  return new Promise((resolve) => {
    const done = () => {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal.addEventListener('abort', done, { once: true });
  });
}

/**
 * Catch-up by pages, then live. The consumer pulls: at most two pages are held in memory (the one
 * being consumed, and the next, read ahead while the consumer works during catch-up).
 */
/** The longest wait between re-reads while committed rows are held back by an older transaction. */
const HELD_BACK_RETRY_MAX_MS = 20;

export class PostgresSubscription implements Subscription, AsyncIterator<SubscriptionMessage, undefined> {
  private position: Position | undefined;
  private remaining: number;
  private readonly pending: SubscriptionMessage[] = [];
  private caughtUp = false;
  /** Listener version taken before the last short page was read; set while at the live end. */
  private seenAtEnd: number | undefined;
  /**
   * Set while an event writer still in flight holds later rows back: it notifies when it commits,
   * but not when it rolls back, so the log is read again after this short, growing delay instead
   * of the poll interval.
   */
  private heldBackRetryMs: number | undefined;
  private ended = false;
  /** When the last read of the log started (ms since the epoch). */
  private lastReadAt = 0;
  /** The next page, read ahead during catch-up; its failure surfaces when it is consumed. */
  private ahead: Promise<ScannedPage & { seen: number }> | undefined;
  private readonly stop = new AbortController();
  /** The pull in flight: next() calls are served one at a time, and unsubscribe() waits for it. */
  private inFlight: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly source: SubscriptionSource,
    private readonly options: PostgresSubscriptionOptions,
  ) {
    this.position = options.after;
    this.remaining = options.maxCount ?? Number.POSITIVE_INFINITY;
  }

  [Symbol.asyncIterator](): AsyncIterator<SubscriptionMessage, undefined> {
    return this;
  }

  next(): Promise<IteratorResult<SubscriptionMessage, undefined>> {
    const result = this.inFlight.then(() => this.pull());
    this.inFlight = result.catch(() => undefined);
    return result;
  }

  /** Called by `for await` when the consumer breaks out of the loop or throws. */
  async return(): Promise<IteratorReturnResult<undefined>> {
    await this.unsubscribe();
    return DONE;
  }

  async unsubscribe(): Promise<void> {
    this.end();
    await this.inFlight;
  }

  private end(): void {
    if (this.ended) return;
    this.ended = true;
    this.stop.abort();
    this.pending.length = 0;
    this.source.released(this);
  }

  private async pull(): Promise<IteratorResult<SubscriptionMessage, undefined>> {
    try {
      for (;;) {
        if (this.ended) return DONE;
        if (this.remaining <= 0) {
          this.end();
          return DONE;
        }
        const message = this.pending.shift();
        if (message) {
          if (message.kind === 'event') this.remaining--;
          return { done: false, value: message };
        }
        await this.readMore();
      }
    } catch (error) {
      // The consumer sees the error and resubscribes from its checkpoint.
      this.end();
      throw error;
    }
  }

  /** One read of the log from the current position; `seen` is the listener's version taken before it. */
  private async fetchPage(): Promise<ScannedPage & { seen: number }> {
    const seen = this.source.listener.seen;
    const page = await this.source.readPage(this.position, this.source.pageSize, this.options.streamPrefixes);
    return { ...page, seen };
  }

  private async readMore(): Promise<void> {
    const { listener, pageSize, pollIntervalMs } = this.source;
    if (this.seenAtEnd !== undefined) {
      await listener.wait(this.seenAtEnd, this.heldBackRetryMs ?? pollIntervalMs, this.stop.signal);
      this.seenAtEnd = undefined;
      const sinceLastRead = Date.now() - this.lastReadAt;
      if (sinceLastRead < this.source.liveReadIntervalMs) await sleep(this.source.liveReadIntervalMs - sinceLastRead, this.stop.signal);
      if (this.ended) return;
    }
    // During catch-up the next page was read while the consumer handled this one.
    const ahead = this.ahead;
    this.ahead = undefined;
    if (!ahead) this.lastReadAt = Date.now();
    const { rows, heldBack, seen } = await (ahead ?? this.fetchPage());
    if (this.ended) return;
    // Capped low: the rows show up as soon as the writer ends, and a re-read is a cheap index scan.
    this.heldBackRetryMs = heldBack ? Math.min(pollIntervalMs, HELD_BACK_RETRY_MAX_MS, (this.heldBackRetryMs ?? 1) * 2) : undefined;

    let droppedSinceLastEvent = false;
    for (const row of rows) {
      this.position = toPosition(row);
      droppedSinceLastEvent = !row.matched;
      if (row.matched) this.pending.push({ kind: 'event', event: toLazyRecordedEvent(row) });
    }
    // Lets a processor save progress past events it never receives.
    if (droppedSinceLastEvent && this.position) this.pending.push({ kind: 'checkpoint', position: this.position });
    if (rows.length < pageSize) {
      this.seenAtEnd = seen;
      if (!this.caughtUp) {
        this.caughtUp = true;
        this.pending.push({ kind: 'caughtUp', position: this.position ?? null });
      }
    } else if (this.remaining > this.pending.length) {
      // A full page: more is there. Reading it now overlaps the database with the consumer's work
      // (a publisher's send, a rebuild's apply); at most two pages are ever held.
      const next = this.fetchPage();
      next.catch(() => undefined);
      this.ahead = next;
      this.lastReadAt = Date.now();
    }
  }
}
