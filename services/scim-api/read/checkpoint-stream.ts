import { distinctUntilChanged, from, shareReplay, switchMap, timer } from 'rxjs';
import type { Pool } from 'pg';
import { readCheckpoint } from '../../../projections/runtime/checkpoints';
import { comparePositions, type Position } from '../../../shared/eventstore/position';
import type { CheckpointStream } from './read-your-writes';

/**
 * The checkpoint of a projection that runs in another process, polled from its row. Polling runs
 * only while a read is waiting (refCount), so an idle API asks nothing.
 */
export function polledCheckpoints(pool: Pool, projection: string, intervalMs = 20): CheckpointStream {
  return timer(0, intervalMs).pipe(
    switchMap(() => from(readCheckpoint(pool, projection))),
    distinctUntilChanged((a: Position | null, b: Position | null) => (a === null || b === null ? a === b : comparePositions(a, b) === 0)),
    shareReplay({ bufferSize: 1, refCount: true }),
  );
}
