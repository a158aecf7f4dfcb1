import type { PoolClient } from '../../shared/db/pool';
import type { RecordedEvent } from '../../shared/eventstore/port';

/**
 * A read model fed from the global log. The runtime (runner.ts) owns subscription, batching,
 * checkpoint and retries; rebuild.ts builds it afresh into a new schema and swaps that in.
 */
export interface Projection {
  readonly name: string;          // e.g. 'scim'; also the live schema's base name
  readonly version: number;       // bump when tables or evolve change: the runtime rebuilds
  /** SQL creating every table of this projection inside `schema` (already created). */
  createTables(schema: string): string;
  canHandle(event: RecordedEvent): boolean;
  /** Applies one event inside the batch transaction; rows live in `schema`. Must be idempotent
      (guarded by stream revision) and must never throw on a valid event. */
  evolve(client: PoolClient, event: RecordedEvent, schema: string): Promise<void>;
}

export const liveSchema = (projection: Projection) => `${projection.name}_read`;   // e.g. scim_read
