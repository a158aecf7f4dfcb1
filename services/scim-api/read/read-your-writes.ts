import { filter, firstValueFrom, timeout, type Observable } from 'rxjs';
import { comparePositions, maxPosition, type Position } from '../../../shared/eventstore/position';
import { ScimError } from '../../../shared/scim/errors';

/** The projection checkpoint as it moves: the current value first, then every change. */
export type CheckpointStream = Observable<Position | null>;

const reached = (checkpoint: Position | null, target: Position) => checkpoint !== null && comparePositions(checkpoint, target) >= 0;

/**
 * An instance never answers a GET with data older than a write it has acknowledged: it remembers
 * the position of its last acknowledged write and waits (bounded) until the projection checkpoint
 * has reached it; past the bound it answers 503 with Retry-After, never stale data.
 */
export class ReadYourWrites {
  private acknowledged: Position | null = null;

  constructor(
    private readonly checkpoints: CheckpointStream,
    private readonly timeoutMs: number,
    private readonly observeWait?: (seconds: number) => void,
    /** The read model is also kept inline: a write projected in its own statement needs no wait. */
    private readonly keptInline = false,
  ) {}

  /** An acknowledged write landed at `position`; `projectedInline` when the inline projections already hold it. */
  acknowledge(position: Position, projectedInline = false): void {
    if (projectedInline && this.keptInline) return;
    this.acknowledged = this.acknowledged ? maxPosition(this.acknowledged, position) : position;
  }

  /** Resolves once the read model holds every write this instance acknowledged before the call. */
  async wait(): Promise<void> {
    const target = this.acknowledged;
    if (target === null) return;
    const started = process.hrtime.bigint();
    try {
      await firstValueFrom(this.checkpoints.pipe(filter((c) => reached(c, target)), timeout(this.timeoutMs)));
    } catch {
      throw new ScimError(503, undefined, `the read model has not caught up with this instance's last write within ${this.timeoutMs} ms; retry`);
    } finally {
      this.observeWait?.(Number(process.hrtime.bigint() - started) / 1e9);
    }
  }
}
