import { setTimeout as delay } from 'node:timers/promises';
import { BehaviorSubject, distinctUntilChanged, type Observable } from 'rxjs';
import type { EventStore, RecordedEvent, SubscriptionFilter, SubscriptionMessage } from '../eventstore/port';
import { formatPosition, isAfter, samePosition, type Position } from '../eventstore/position';
import { createLogger, type Logger } from '../logging/logger';
import { backoff } from '../process/backoff';
import { MessageBatches } from './message-batches';

/** One batch of the log: its events in log order, and the checkpoint before and after it. */
export interface EventBatch {
  /** Empty when the store only reported progress past events the subscription's filter dropped. */
  readonly events: readonly RecordedEvent[];
  /** The checkpoint the batch starts after; null at the start of the log. */
  readonly from: Position | null;
  /** The checkpoint once the batch is handled: its last event's position, or further. */
  readonly to: Position;
}

/** What saving a batch's checkpoint came to. */
export type CheckpointCommit =
  | { readonly saved: true }
  /** The stored checkpoint is no longer `batch.from` (another processor, or an operator, moved it): nothing was saved. */
  | { readonly saved: false; readonly stored: Position | null };

export const SAVED: CheckpointCommit = Object.freeze({ saved: true });

/**
 * Where a processor keeps its checkpoint. `Tx` is what a batch's work runs in: a database
 * transaction for a read model (its rows and checkpoint commit together), nothing for a sink such as
 * a broker (its checkpoint is saved after the broker acknowledged).
 */
export interface CheckpointStore<Tx = void> {
  /** The saved checkpoint (null: nothing handled yet); read at start and at every resubscription. */
  read(): Promise<Position | null>;
  /**
   * Runs `work` for the batch and then moves the checkpoint from `batch.from` to `batch.to` — only
   * once `work` resolved, and only while the stored checkpoint still is `batch.from` (else
   * `{ saved: false, stored }`, and `work` may have been skipped or must be rolled back).
   * Throwing, or a `work` that throws, leaves the checkpoint where it was.
   */
  commit(batch: EventBatch, work: (tx: Tx) => Promise<void>): Promise<CheckpointCommit>;
}

/** A checkpoint held in memory only, starting after `after`: for a one-off run over a range. */
export function inMemoryCheckpoints(after: Position | null = null): CheckpointStore & { current(): Position | null } {
  let position = after;
  return {
    read: () => Promise.resolve(position),
    current: () => position,
    async commit(batch, work) {
      if (!samePosition(position, batch.from)) return { saved: false, stored: position };
      await work();
      position = batch.to;
      return SAVED;
    },
  };
}

export interface ProcessorLag {
  /** Events after the saved checkpoint, counted up to `lagCap` (so at most that). */
  readonly eventsBehind: number;
  /** Age of the oldest event after the checkpoint (by `occurredAt`), in seconds; 0 when caught up. */
  readonly secondsBehind: number;
}

export interface CheckpointedProcessorOptions<Tx = void> {
  readonly store: Pick<EventStore, 'subscribeToAll' | 'readAll' | 'countEventsAfter'>;
  readonly checkpoints: CheckpointStore<Tx>;
  /**
   * Does the batch's work (never called with no events): apply rows inside `tx`, send to a broker.
   * Throwing fails the batch: nothing is saved, and the processor resubscribes from the checkpoint.
   */
  readonly handle: (events: readonly RecordedEvent[], tx: Tx) => Promise<void>;
  /** Only events of these streams; the store's progress past the others still moves the checkpoint. */
  readonly filter?: SubscriptionFilter;
  /** Ends the run once everything up to this position is handled (a range); omitted: runs until stopped. */
  readonly until?: Position;
  /** Most messages in one batch (one commit). Default 500. */
  readonly batchSize?: number;
  /** How long a batch keeps gathering after its first message, in ms. Default 2. */
  readonly batchWindowMs?: number;
  /** Backoff after a failure: doubles from initialMs up to maxMs (ms), with jitter. */
  readonly retry?: { readonly initialMs: number; readonly maxMs: number };
  /**
   * Runs before every subscription (at start, after a failure or a moved checkpoint): get ready
   * (build a schema, connect a producer), or answer 'standby' when this processor must not run now
   * (another one holds the lock); it is then asked again after `standbyRetryMs`. Throwing is a failure.
   */
  readonly prepare?: () => Promise<'ready' | 'standby'>;
  readonly standbyRetryMs?: number;
  /** Logs the subscription, instead of the processor's 'subscribing' line. */
  readonly onSubscribe?: (from: Position | null, context: { readonly first: boolean; readonly recovering: boolean }) => void;
  /** After a failure, before the backoff: drop what may be broken, and log, instead of the processor's error line. */
  readonly onFailure?: (error: unknown, context: { readonly attempt: number; readonly retryInMs: number; readonly checkpoint: Position | null }) => Promise<void> | void;
  /** After the first batch that committed following one or more failures. */
  readonly onRecovered?: (checkpoint: Position | null) => void;
  /** Once, when the run ends (stopped, or the range reached): close what `prepare` opened. */
  readonly release?: () => Promise<void>;
  /** When an event happened, for lag; default its `recordedAt`. */
  readonly occurredAt?: (event: RecordedEvent) => Date;
  /** Lag counts events up to this many. Default 10,000. */
  readonly lagCap?: number;
  readonly now?: () => number;
  readonly log?: Logger;
}

export interface CheckpointedProcessor {
  /** The checkpoint this processor last read or committed: the current value first, then every change. */
  readonly checkpoint$: Observable<Position | null>;
  checkpoint(): Position | null;
  /** True once a batch that reached the live end has committed; false again after a failure or a move back. */
  readonly caughtUp$: Observable<boolean>;
  /**
   * From the saved checkpoint (read now, whichever processor saved it) to the end of the log, through
   * the port (countEventsAfter, readAll): every event counts, whatever the subscription's filter.
   */
  lag(): Promise<ProcessorLag>;
  /** How the run ended: 'reached' once a range (`until`) is handled, 'stopped' after stop(). */
  readonly finished: Promise<'reached' | 'stopped'>;
  /** Ends the run; resolves once the batch in flight has committed or failed, and `release` ran. */
  stop(): Promise<void>;
}

export const DEFAULT_BATCH_SIZE = 500;
export const DEFAULT_BATCH_WINDOW_MS = 2;
export const DEFAULT_RETRY = Object.freeze({ initialMs: 100, maxMs: 5_000 });
export const DEFAULT_STANDBY_RETRY_MS = 5_000;
export const DEFAULT_LAG_CAP = 10_000;

type Outcome = 'stopped' | 'moved' | 'reached';

/**
 * A checkpointed subscription to the store's global log, the one loop behind the projection runner,
 * the event publisher and a republish over a range. It reaches the store only through its port.
 *
 * Contract:
 * - Subscribes after the checkpoint `checkpoints.read()` returns and cuts the log into batches of at
 *   most `batchSize` messages (a batch closes `batchWindowMs` after its first message, or at the
 *   live end). One batch is in flight at a time, in log order.
 * - Each batch runs as `checkpoints.commit(batch, tx => handle(events, tx))`: the checkpoint moves to
 *   `batch.to` only after `handle` succeeded. A batch whose commit reports the checkpoint moved ends
 *   the subscription and resubscribes from the stored one (a move back also clears caughtUp).
 * - Any failure (subscription, handle, commit, prepare) keeps the checkpoint, calls `onFailure`,
 *   waits a jittered exponential backoff (reset by the next committed batch) and resubscribes from
 *   `checkpoints.read()`: every event is handled at least once, in order, and a batch that failed is
 *   handled again whole.
 * - With `until`, events after it are left out, the last batch's checkpoint is `until`, and the run
 *   ends ('reached') once it is committed; a log that has not reached `until` yet is waited for.
 * - stop() lets the batch in flight finish (commit or fail), then ends: `release` runs once either way.
 */
export function startCheckpointedProcessor<Tx = void>(options: CheckpointedProcessorOptions<Tx>): CheckpointedProcessor {
  const { store, checkpoints, handle, until } = options;
  const batchSize = Math.max(1, options.batchSize ?? DEFAULT_BATCH_SIZE);
  const batchWindowMs = Math.max(0, options.batchWindowMs ?? DEFAULT_BATCH_WINDOW_MS);
  const retry = options.retry ?? DEFAULT_RETRY;
  const now = options.now ?? Date.now;
  const log = options.log ?? createLogger({ level: 'silent' });

  const checkpoint$ = new BehaviorSubject<Position | null>(null);
  const caughtUp$ = new BehaviorSubject<boolean>(false);
  const stopping = new AbortController();

  /** What this processor last committed or read back: the only position it may commit after. */
  let committed: Position | null = null;
  const setCommitted = (position: Position | null): void => {
    committed = position;
    if (!samePosition(checkpoint$.getValue(), position)) checkpoint$.next(position);
  };
  const setCaughtUp = (value: boolean): void => {
    if (caughtUp$.getValue() !== value) caughtUp$.next(value);
  };
  const reachedEnd = (): boolean => until !== undefined && committed !== null && !isAfter(until, committed);
  const pause = (ms: number) => delay(ms, undefined, { signal: stopping.signal }).catch(() => undefined);

  /** Commits one batch; undefined when it committed or had nothing new. */
  async function commitBatch(messages: readonly SubscriptionMessage[]): Promise<'moved' | undefined> {
    let to: Position | null = null;
    for (const message of messages) {
      const position = message.kind === 'event' ? message.event.position : message.position;
      if (position !== null && (to === null || isAfter(position, to))) to = position;
    }
    if (until !== undefined && to !== null && isAfter(to, until)) to = until;
    if (to === null || (committed !== null && !isAfter(to, committed))) return undefined;
    const last = to;
    const events = messages.flatMap((m) => (m.kind === 'event' && !isAfter(m.event.position, last) ? [m.event] : []));
    const batch: EventBatch = { events, from: committed, to };
    const result = await checkpoints.commit(batch, (tx) => (events.length > 0 ? handle(events, tx) : Promise.resolve()));
    if (!result.saved) {
      // Forward: another processor got there first. Backward: someone reset it, so replay.
      const backward = result.stored === null || (committed !== null && isAfter(committed, result.stored));
      log[backward ? 'info' : 'debug'](
        { from: committed && formatPosition(committed), to: result.stored && formatPosition(result.stored) },
        'checkpoint moved elsewhere; resubscribing from it',
      );
      if (backward) setCaughtUp(false);
      setCommitted(result.stored);
      return 'moved';
    }
    setCommitted(to);
    log.debug({ events: events.length, checkpoint: formatPosition(to) }, 'batch committed');
    return undefined;
  }

  /** Handles the log after `from` until stopped, moved or the range's end; throws on any failure. */
  async function consume(from: Position | null, progressed: () => void): Promise<Outcome> {
    const subscription = store.subscribeToAll({ ...(from ? { after: from } : {}), ...(options.filter ? { filter: options.filter } : {}) });
    const batches = new MessageBatches(subscription, batchSize, batchWindowMs, stopping.signal);
    try {
      for (;;) {
        const { messages, done } = await batches.next();
        if (messages.length > 0) {
          if ((await commitBatch(messages)) === 'moved') return 'moved';
          progressed();
          if (messages.some((m) => m.kind === 'caughtUp')) setCaughtUp(true);
          if (reachedEnd()) return 'reached';
        }
        if (done) {
          if (stopping.signal.aborted) return 'stopped';
          throw new Error('the subscription ended');
        }
      }
    } finally {
      await subscription.unsubscribe();
    }
  }

  async function run(): Promise<'reached' | 'stopped'> {
    let failures = 0;
    let subscriptions = 0;
    try {
      while (!stopping.signal.aborted) {
        try {
          if ((await options.prepare?.()) === 'standby') {
            await pause(options.standbyRetryMs ?? DEFAULT_STANDBY_RETRY_MS);
            continue;
          }
          setCommitted(await checkpoints.read());
          if (reachedEnd()) return 'reached';
          const context = { first: subscriptions++ === 0, recovering: failures > 0 };
          if (options.onSubscribe) options.onSubscribe(committed, context);
          else log[context.first || context.recovering ? 'info' : 'debug']({ from: committed && formatPosition(committed) }, 'subscribing');
          const outcome = await consume(committed, () => {
            if (failures > 0) options.onRecovered?.(committed);
            failures = 0;
          });
          if (outcome !== 'moved') return outcome;
        } catch (error) {
          setCaughtUp(false);
          if (stopping.signal.aborted) break;
          const retryInMs = backoff(retry, failures++);
          const context = { attempt: failures, retryInMs, checkpoint: committed };
          if (options.onFailure) await options.onFailure(error, context);
          else log.error({ err: error, ...context, checkpoint: committed && formatPosition(committed) }, 'processing failed; resubscribing from the checkpoint');
          await pause(retryInMs);
        }
      }
      return 'stopped';
    } finally {
      await options.release?.().catch((err: unknown) => log.warn({ err }, 'releasing the processor failed'));
    }
  }

  const finished = run().then(
    (outcome) => {
      if (outcome === 'reached') log.info({ until: until && formatPosition(until) }, 'range handled');
      return outcome;
    },
    (err: unknown) => {
      log.fatal({ err }, 'checkpointed processor crashed');
      throw err;
    },
  );
  // A crash is logged above; callers that await `finished` still see it.
  finished.catch(() => undefined);

  return {
    checkpoint$: checkpoint$.asObservable(),
    checkpoint: () => checkpoint$.getValue(),
    caughtUp$: caughtUp$.pipe(distinctUntilChanged()),
    finished,

    async lag() {
      const checkpoint = (await checkpoints.read()) ?? undefined;
      const [eventsBehind, oldest] = await Promise.all([
        store.countEventsAfter(checkpoint, options.lagCap ?? DEFAULT_LAG_CAP),
        store.readAll({ ...(checkpoint ? { after: checkpoint } : {}), maxCount: 1 }),
      ]);
      const first = oldest[0];
      const occurredAt = first && (options.occurredAt?.(first) ?? first.recordedAt);
      return { eventsBehind, secondsBehind: occurredAt ? Math.max(0, (now() - occurredAt.getTime()) / 1000) : 0 };
    },

    async stop() {
      stopping.abort();
      await finished.catch(() => undefined);
      checkpoint$.complete();
      caughtUp$.complete();
    },
  };
}
