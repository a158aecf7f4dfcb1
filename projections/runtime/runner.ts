import type { Observable } from 'rxjs';
import type { Pool, PoolClient } from '../../shared/db/pool';
import type { EventStore } from '../../shared/eventstore/port';
import { classifyUnavailable } from '../../shared/infrastructure/unavailable';
import { formatPosition, samePosition, type Position } from '../../shared/eventstore/position';
import type { PostgresEventStore } from '../../shared/eventstore/postgres/postgres-event-store';
import { createLogger, type Logger } from '../../shared/logging/logger';
import { SAVED, startCheckpointedProcessor, type CheckpointStore } from '../../shared/subscriptions/checkpointed-processor';
import { inProjectionTransaction, lockCheckpointRow, readCheckpointRow, writeCheckpoint } from './checkpoints';
import { liveSchema, type Projection } from './projection';
import { applyEvents, assertProjectionName, buildAndSwap, schemaExists, withRebuildLock, type RebuildOptions } from './rebuild';

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

/** The live schema was built by another version of the projection: this runner stands down. */
class VersionMismatch extends Error {
  constructor(name: string, stored: number, own: number) {
    super(`projection ${name}: the live read model is version ${stored}, this runner is version ${own}; standing down`);
    this.name = 'VersionMismatch';
  }
}

/**
 * Keeps a projection's live read model up to date: makes sure it exists for this version (building
 * it from position zero when it does not), then applies the log from the stored checkpoint in
 * batches (shared/subscriptions/checkpointed-processor.ts), each batch and its checkpoint in one
 * transaction that first locks the checkpoint row. Any failure rolls the batch back and
 * resubscribes, after a backoff, from the last committed checkpoint: no event is ever skipped, and
 * one delivered again changes nothing (evolve is guarded by stream revision).
 */
export function startProjection(options: ProjectionRunnerOptions): ProjectionRunner {
  const { pool, store, projection } = options;
  assertProjectionName(projection.name);
  const log = (options.log ?? createLogger({ level: 'silent' })).child({ component: 'projection', projection: projection.name });
  const schema = liveSchema(projection);
  const stopping = new AbortController();
  let atStart = true;

  /**
   * The live schema and its checkpoint row exist, else build them, one builder at a time. At start
   * a schema of another version is rebuilt too; later it is not: two versions running at once
   * (a rolling deploy) would otherwise rebuild in turns, so the one that did not start last stands down.
   */
  async function ensureReadModel(): Promise<'ready'> {
    const isCurrent = async (): Promise<boolean> => {
      const row = await readCheckpointRow(pool, projection.name);
      return row !== null && (row.version === projection.version || !atStart) && (await schemaExists(pool, schema));
    };
    if (!(await isCurrent())) {
      await withRebuildLock(pool, projection.name, stopping.signal, async () => {
        // Another process may have built it while this one waited for the lock.
        if (await isCurrent()) return;
        const before = await readCheckpointRow(pool, projection.name);
        log.info({ storedVersion: before?.version ?? null, version: projection.version }, 'building the read model');
        const readCommitted = inlineReads(store, projection);
        await buildAndSwap({ pool, store, projection, log: options.log, signal: stopping.signal, ...(readCommitted ? { readCommitted } : {}) });
      });
    }
    atStart = false;
    return 'ready';
  }

  /** The projection_checkpoints row: read at every subscription, locked by every batch. */
  const checkpoints: CheckpointStore<PoolClient> = {
    async read() {
      const row = await readCheckpointRow(pool, projection.name);
      if (row === null) throw new Error(`projection ${projection.name}: the checkpoint row is gone`);
      if (row.version !== projection.version) throw new VersionMismatch(projection.name, row.version, projection.version);
      return row.position;
    },
    commit: (batch, work) =>
      inProjectionTransaction(pool, async (client) => {
        const row = await lockCheckpointRow(client, projection.name);
        if (row === null) throw new Error(`projection ${projection.name}: the checkpoint row is gone`);
        if (row.version !== projection.version) throw new VersionMismatch(projection.name, row.version, projection.version);
        // Another runner or a rebuild moved it: this batch is not this runner's to apply.
        if (!samePosition(row.position, batch.from)) return { saved: false, stored: row.position };
        await work(client);
        // Unhandled events and store checkpoints advance it too: the read model is complete up to here.
        await writeCheckpoint(client, projection.name, batch.to);
        return SAVED;
      }),
  };

  const processor = startCheckpointedProcessor<PoolClient>({
    store,
    checkpoints,
    handle: (events, client) => applyEvents(client, projection, events, schema),
    batchSize: options.batchSize ?? DEFAULT_BATCH_SIZE,
    batchWindowMs: options.batchWindowMs ?? DEFAULT_BATCH_WINDOW_MS,
    retry: options.retry ?? DEFAULT_RETRY,
    // Cheap when all is in place; heals a dropped schema or checkpoint row on the next attempt.
    prepare: ensureReadModel,
    onFailure(error, { attempt, retryInMs, checkpoint }) {
      const entry = { err: error, attempt, retryInMs, checkpoint: checkpoint && formatPosition(checkpoint) };
      if (error instanceof VersionMismatch) log.warn(entry, 'another version owns the read model');
      // A database or event store outage is waited out, not a fault of the projection.
      else if (classifyUnavailable(error)) log.warn(entry, 'projection paused: the database or event store cannot be reached; resubscribing from the last committed checkpoint');
      else log.error(entry, 'projection failed; resubscribing from the last committed checkpoint');
    },
    log,
  });

  return {
    checkpoint$: processor.checkpoint$,
    checkpoint: () => processor.checkpoint(),
    caughtUp$: processor.caughtUp$,
    async stop() {
      stopping.abort();
      await processor.stop();
    },
  };
}
