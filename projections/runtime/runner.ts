import { setTimeout as delay } from 'node:timers/promises';
import { BehaviorSubject, distinctUntilChanged, type Observable } from 'rxjs';
import { MessageBatches } from '../../shared/eventstore/message-batches';
import { backoff } from '../../shared/process/backoff';
import type { Pool } from '../../shared/db/pool';
import type { EventStore, SubscriptionMessage } from '../../shared/eventstore/port';
import { formatPosition, isAfter, type Position } from '../../shared/eventstore/position';
import { createLogger, type Logger } from '../../shared/logging/logger';
import { inProjectionTransaction, lockCheckpointRow, readCheckpointRow, samePosition, writeCheckpoint } from './checkpoints';
import { liveSchema, type Projection } from './projection';
import { applyEvents, assertProjectionName, buildAndSwap, schemaExists, withRebuildLock, type RebuildOptions } from './rebuild';
import type { PostgresEventStore } from '../../shared/eventstore/postgres/postgres-event-store';

export interface ProjectionRunnerOptions {
  readonly pool: Pool;
  readonly store: EventStore;
  readonly projection: Projection;
  readonly log?: Logger;
  /** Most messages applied in one transaction. */
  readonly batchSize?: number;
  /** How long a batch keeps gathering after its first message. */
  readonly batchWindowMs?: number;
  /** Backoff between attempts after a failure: doubles from initialMs up to maxMs, with jitter. */
  readonly retry?: { readonly initialMs: number; readonly maxMs: number };
}

/** The store's readCommitted when writers may keep this projection inline (rebuild.ts). */
export function inlineReads(store: EventStore, projection: Projection): RebuildOptions['readCommitted'] {
  if (!projection.streamLocal || store.kind !== 'postgres') return undefined;
  const postgres = store as PostgresEventStore;
  return (after, maxCount) => postgres.readCommitted(after, maxCount);
}

export interface ProjectionRunner {
  /** The committed checkpoint: the current value first, then every change (after each committed batch). */
  readonly checkpoint$: Observable<Position | null>;
  checkpoint(): Position | null;
  /** True once the subscription reached the live end and everything before it is committed. */
  readonly caughtUp$: Observable<boolean>;
  /** Ends the subscription; resolves once the batch in flight has committed or rolled back. */
  stop(): Promise<void>;
}

export const DEFAULT_BATCH_SIZE = 500;
export const DEFAULT_BATCH_WINDOW_MS = 2;
export const DEFAULT_RETRY = Object.freeze({ initialMs: 100, maxMs: 5_000 });

/** The stored checkpoint is no longer this runner's: another runner or a rebuild moved it. */
class CheckpointMoved {
  constructor(readonly position: Position | null) {}
}

/** The live schema was built by another version of the projection: this runner stands down. */
class VersionMismatch extends Error {
  constructor(name: string, stored: number, own: number) {
    super(`projection ${name}: the live read model is version ${stored}, this runner is version ${own}; standing down`);
    this.name = 'VersionMismatch';
  }
}

type Outcome = 'stopped' | 'moved';

/**
 * Keeps a projection's live read model up to date: makes sure it exists for this version (building
 * it from position zero when it does not), then applies the log from the stored checkpoint in
 * batches, each batch and its checkpoint in one transaction. Any failure rolls the batch back and
 * resubscribes, after a backoff, from the last committed checkpoint: no event is ever skipped, and
 * one delivered again changes nothing (evolve is guarded by stream revision).
 */
export function startProjection(options: ProjectionRunnerOptions): ProjectionRunner {
  const { pool, store, projection } = options;
  assertProjectionName(projection.name);
  const batchSize = Math.max(1, options.batchSize ?? DEFAULT_BATCH_SIZE);
  const batchWindowMs = Math.max(0, options.batchWindowMs ?? DEFAULT_BATCH_WINDOW_MS);
  const retry = options.retry ?? DEFAULT_RETRY;
  const log = (options.log ?? createLogger({ level: 'silent' })).child({ component: 'projection', projection: projection.name });
  const schema = liveSchema(projection);

  const checkpoint$ = new BehaviorSubject<Position | null>(null);
  const caughtUp$ = new BehaviorSubject<boolean>(false);
  const stopping = new AbortController();

  /** What this runner last committed or read back: the only position it may write after. */
  let committed: Position | null = null;
  const setCommitted = (position: Position | null): void => {
    committed = position;
    if (!samePosition(checkpoint$.getValue(), position)) checkpoint$.next(position);
  };
  const setCaughtUp = (value: boolean): void => {
    if (caughtUp$.getValue() !== value) caughtUp$.next(value);
  };

  /**
   * The live schema and its checkpoint row exist, else build them, one builder at a time. At start
   * a schema of another version is rebuilt too; later it is not: two versions running at once
   * (a rolling deploy) would otherwise rebuild in turns, so the one that did not start last stands down.
   */
  async function ensureReadModel(atStart: boolean): Promise<void> {
    const isCurrent = async (): Promise<boolean> => {
      const row = await readCheckpointRow(pool, projection.name);
      return row !== null && (row.version === projection.version || !atStart) && (await schemaExists(pool, schema));
    };
    if (await isCurrent()) return;
    await withRebuildLock(pool, projection.name, stopping.signal, async () => {
      // Another process may have built it while this one waited for the lock.
      if (await isCurrent()) return;
      const before = await readCheckpointRow(pool, projection.name);
      log.info({ storedVersion: before?.version ?? null, version: projection.version }, 'building the read model');
      const readCommitted = inlineReads(store, projection);
      await buildAndSwap({ pool, store, projection, log: options.log, signal: stopping.signal, ...(readCommitted ? { readCommitted } : {}) });
    });
  }

  async function applyBatch(messages: readonly SubscriptionMessage[]): Promise<Outcome | undefined> {
    let target: Position | null = null;
    for (const message of messages) {
      const position = message.kind === 'event' ? message.event.position : message.position;
      if (position !== null && (target === null || isAfter(position, target))) target = position;
    }
    if (target === null || (committed !== null && !isAfter(target, committed))) return undefined;
    const events = messages.flatMap((m) => (m.kind === 'event' ? [m.event] : []));
    const to = target;
    try {
      await inProjectionTransaction(pool, async (client) => {
        const row = await lockCheckpointRow(client, projection.name);
        if (row === null) throw new Error(`projection ${projection.name}: the checkpoint row is gone`);
        if (row.version !== projection.version) throw new VersionMismatch(projection.name, row.version, projection.version);
        if (!samePosition(row.position, committed)) throw new CheckpointMoved(row.position);
        await applyEvents(client, projection, events, schema);
        // Unhandled events and store checkpoints advance it too: the read model is complete up to here.
        await writeCheckpoint(client, projection.name, to);
      });
    } catch (error) {
      if (!(error instanceof CheckpointMoved)) throw error;
      // Forward: another runner or a rebuild got there first. Backward: someone reset it, replay.
      const backward = error.position === null || (committed !== null && isAfter(committed, error.position));
      log[backward ? 'info' : 'debug'](
        { from: committed && formatPosition(committed), to: error.position && formatPosition(error.position) },
        'checkpoint moved elsewhere; resubscribing from it',
      );
      if (backward) setCaughtUp(false);
      setCommitted(error.position);
      return 'moved';
    }
    setCommitted(to);
    log.debug({ events: events.length, checkpoint: formatPosition(to) }, 'batch committed');
    return undefined;
  }

  /** Applies the log after `from` until stopped or the checkpoint moves; throws on any failure. */
  async function consume(from: Position | null, progressed: () => void): Promise<Outcome> {
    const subscription = store.subscribeToAll(from ? { after: from } : {});
    const batches = new MessageBatches(subscription, batchSize, batchWindowMs, stopping.signal);
    try {
      for (;;) {
        const { messages, done } = await batches.next();
        if (messages.length > 0) {
          const outcome = await applyBatch(messages);
          if (outcome) return outcome;
          progressed();
          if (messages.some((m) => m.kind === 'caughtUp')) setCaughtUp(true);
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

  async function run(): Promise<void> {
    let failures = 0;
    let subscriptions = 0;
    let atStart = true;
    while (!stopping.signal.aborted) {
      try {
        // Cheap when all is in place; heals a dropped schema or checkpoint row on the next attempt.
        await ensureReadModel(atStart);
        atStart = false;
        const row = await readCheckpointRow(pool, projection.name);
        if (row === null) throw new Error(`projection ${projection.name}: the checkpoint row is gone`);
        if (row.version !== projection.version) throw new VersionMismatch(projection.name, row.version, projection.version);
        setCommitted(row.position);
        // A resubscription after a moved checkpoint is routine; the first one and a recovery are news.
        log[subscriptions++ === 0 || failures > 0 ? 'info' : 'debug']({ from: row.position && formatPosition(row.position) }, 'subscribing');
        const outcome = await consume(row.position, () => {
          failures = 0;
        });
        if (outcome === 'stopped') return;
      } catch (error) {
        setCaughtUp(false);
        if (stopping.signal.aborted) return;
        const waitMs = backoff(retry, failures++);
        const entry = { err: error, attempt: failures, retryInMs: waitMs, checkpoint: committed && formatPosition(committed) };
        if (error instanceof VersionMismatch) log.warn(entry, 'another version owns the read model');
        else log.error(entry, 'projection failed; resubscribing from the last committed checkpoint');
        await delay(waitMs, undefined, { signal: stopping.signal }).catch(() => undefined);
      }
    }
  }

  const running = run().catch((err: unknown) => log.fatal({ err }, 'projection runner crashed'));

  return {
    checkpoint$: checkpoint$.asObservable(),
    checkpoint: () => checkpoint$.getValue(),
    caughtUp$: caughtUp$.pipe(distinctUntilChanged()),
    async stop() {
      stopping.abort();
      await running;
      checkpoint$.complete();
      caughtUp$.complete();
    },
  };
}
