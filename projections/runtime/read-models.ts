import { combineLatest, filter, firstValueFrom, map } from 'rxjs';
import type { Pool } from '../../shared/db/pool';
import type { EventStore } from '../../shared/eventstore/port';
import type { Logger } from '../../shared/logging/logger';
import { platformProjection } from '../platform/projection';
import { scimProjection } from '../scim/projection';
import { startProjection, type ProjectionRunner } from './runner';

export interface ReadModels {
  readonly scim: ProjectionRunner;
  readonly platform: ProjectionRunner;
  /** Resolves once both read models exist and have caught up with the log once. */
  caughtUp(): Promise<void>;
  stop(): Promise<void>;
}

/** Runs the service's two projections (see projections/registry.ts) in this process. */
export function startReadModels({ pool, store, log }: { pool: Pool; store: EventStore; log?: Logger }): ReadModels {
  const runner = (projection: typeof scimProjection | typeof platformProjection) =>
    startProjection({ pool, store, projection, ...(log ? { log: log.child({ projection: projection.name }) } : {}) });
  const scim = runner(scimProjection);
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
