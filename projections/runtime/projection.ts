import type { PoolClient } from '../../shared/db/pool';
import type { RecordedEvent } from '../../shared/eventstore/port';

/**
 * A read model fed from the global log. The runtime (runner.ts) owns subscription, batching,
 * checkpoint and retries; rebuild.ts builds it afresh into a new schema and swaps that in.
 */
export interface Projection {
  /** e.g. 'scim'; also the live schema's base name (`scim_read`). */
  readonly name: string;
  /** Bump when tables or what they hold change: the runtime rebuilds the read model. */
  readonly version: number;
  /** SQL creating every table of this projection inside `schema` (already created). */
  createTables(schema: string): string;
  canHandle(event: RecordedEvent): boolean;
  /**
   * Applies events it can handle, in log order, inside the caller's transaction; rows live in
   * `schema`. Idempotent (an event applied again changes nothing: rows are guarded by stream
   * revision or log position), and never throws on a valid event.
   */
  apply(client: PoolClient, events: readonly RecordedEvent[], schema: string): Promise<void>;
  /**
   * True when every row depends on its own stream's events alone, never on the order of events of
   * different streams: such a projection may also be kept inline, in each append's statement,
   * and a rebuild may apply late events in any order across streams.
   */
  readonly streamLocal?: boolean;
}

export const liveSchema = (projection: Pick<Projection, 'name'>) => `${projection.name}_read`;

/** An event a projection could not apply, and why (the runtime names the projection). */
export class EventApplyError extends Error {
  constructor(
    readonly event: RecordedEvent,
    override readonly cause: unknown,
  ) {
    super(`could not apply event ${event.id}`);
    this.name = 'EventApplyError';
  }
}

/** `apply` for a projection that handles one event at a time; names the event that failed. */
export function eventByEvent(evolve: (client: PoolClient, event: RecordedEvent, schema: string) => Promise<void>): Projection['apply'] {
  return async (client, events, schema) => {
    for (const event of events) {
      try {
        await evolve(client, event, schema);
      } catch (error) {
        throw new EventApplyError(event, error);
      }
    }
  };
}
