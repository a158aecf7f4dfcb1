import { combineLatest, filter, firstValueFrom, map } from 'rxjs';
import type { Pool } from '../../shared/db/pool';
import type { EventStore } from '../../shared/eventstore/port';
import type { Logger } from '../../shared/logging/logger';
import { platformProjection } from '../platform/projection';
import { scimProjection } from '../scim/projection';
import { readCheckpointRow } from './checkpoints';
import { liveSchema } from './projection';
import { schemaExists } from './rebuild';
import { startProjection, type ProjectionRunner } from './runner';

/** How long the scim runner gathers a batch while writers keep its read model inline. */
export const INLINE_FOLLOW_WINDOW_MS = 200;

export interface ReadModels {
  readonly scim: ProjectionRunner;
  readonly platform: ProjectionRunner;
  /** Resolves once both read models exist and have caught up with the log once. */
  caughtUp(): Promise<void>;
  stop(): Promise<void>;
}

/** Runs the service's two projections (see projections/registry.ts) in this process. */
export function startReadModels({ pool, store, log }: { pool: Pool; store: EventStore; log?: Logger }): ReadModels {
  const runner = (projection: typeof scimProjection | typeof platformProjection, batchWindowMs?: number) =>
    startProjection({ pool, store, projection, ...(batchWindowMs === undefined ? {} : { batchWindowMs }), ...(log ? { log: log.child({ projection: projection.name }) } : {}) });
  // With the Postgres store the writers keep the scim read model inline: its runner only catches
  // what another writer appended and moves the checkpoint, so it may gather a long batch.
  const scim = runner(scimProjection, store.kind === 'postgres' ? INLINE_FOLLOW_WINDOW_MS : undefined);
  const platform = runner(platformProjection);
  return {
    scim,
    platform,
    caughtUp: () =>
      firstValueFrom(
        combineLatest([scim.caughtUp$, platform.caughtUp$]).pipe(
          map(([a, b]) => a && b),
          filter(Boolean),
        ),
      ).then(() => undefined),
    stop: async () => {
      await Promise.all([scim.stop(), platform.stop()]);
    },
  };
}

/**
 * Waits until another process (the projector, `make projector`) has built both read models at this
 * code's versions: an API started with RUN_PROJECTIONS=false writes the scim read model inline,
 * so it must not take a request before its tables exist. Polls every `intervalMs`; `onWait` is
 * told once when it has to wait.
 * @throws the signal's reason when aborted.
 */
export async function readModelsBuilt(pool: Pool, { signal, intervalMs = 250, onWait }: { signal?: AbortSignal; intervalMs?: number; onWait?: () => void } = {}): Promise<void> {
  let told = false;
  for (;;) {
    signal?.throwIfAborted();
    const built = await Promise.all(
      [scimProjection, platformProjection].map(async (projection) => {
        const row = await readCheckpointRow(pool, projection.name);
        return row !== null && row.version === projection.version && (await schemaExists(pool, liveSchema(projection)));
      }),
    );
    if (built.every(Boolean)) return;
    if (!told) onWait?.();
    told = true;
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
}
