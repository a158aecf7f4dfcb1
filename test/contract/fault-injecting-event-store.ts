import type {
  AppendOptions,
  AppendResult,
  EventStore,
  EventToAppend,
  ReadAllOptions,
  ReadStreamOptions,
  RecordedEvent,
  SubscribeToAllOptions,
  Subscription,
} from '../../shared/eventstore/port';
import type { Position } from '../../shared/eventstore/position';

/**
 * What goes wrong with one append:
 * - `before-send`: the request never reaches the store (no leader, connection refused), and the
 *   writer gets `error`: it cannot tell that nothing was written;
 * - `after-commit`: the store commits the events, then the answer is lost (a deadline, a dropped
 *   connection): the writer gets `error` for a write that landed;
 * - `hold`: the append waits for `until` before it goes out (to line up a race), then proceeds.
 */
export type AppendFault =
  | { readonly when: 'before-send'; readonly error: () => Error }
  | { readonly when: 'after-commit'; readonly error: () => Error }
  | { readonly when: 'hold'; readonly until: Promise<void> };

/** One fault that fired: on which stream, which kind. */
export interface InjectedFault {
  readonly streamId: string;
  readonly when: AppendFault['when'];
}

/**
 * A real event store adapter with faults injected into its appends, one per `failNextAppend` call,
 * for the next append to a stream `matches` accepts. Everything else goes to the adapter as it is.
 */
export class FaultInjectingEventStore implements EventStore {
  readonly injected: InjectedFault[] = [];
  private readonly planned: { matches: (streamId: string) => boolean; fault: AppendFault }[] = [];

  constructor(readonly inner: EventStore) {}

  get kind(): EventStore['kind'] {
    return this.inner.kind;
  }

  /** The next append to a stream `streamId` names (exactly, or by a predicate) meets `fault`. */
  failNextAppend(streamId: string | ((streamId: string) => boolean), fault: AppendFault): void {
    this.planned.push({ matches: typeof streamId === 'string' ? (s) => s === streamId : streamId, fault });
  }

  /** Faults planned that no append met yet. */
  get pending(): number {
    return this.planned.length;
  }

  async appendToStream(streamId: string, events: readonly EventToAppend[], options: AppendOptions): Promise<AppendResult> {
    const index = this.planned.findIndex((p) => p.matches(streamId));
    if (index < 0) return this.inner.appendToStream(streamId, events, options);
    const { fault } = this.planned.splice(index, 1)[0]!;
    this.injected.push({ streamId, when: fault.when });
    switch (fault.when) {
      case 'before-send':
        throw fault.error();
      case 'after-commit':
        await this.inner.appendToStream(streamId, events, options);
        throw fault.error();
      case 'hold':
        await fault.until;
        return this.inner.appendToStream(streamId, events, options);
    }
  }

  readStream(streamId: string, options?: ReadStreamOptions): Promise<RecordedEvent[]> {
    return this.inner.readStream(streamId, options);
  }

  readAll(options?: ReadAllOptions): Promise<RecordedEvent[]> {
    return this.inner.readAll(options);
  }

  subscribeToAll(options?: SubscribeToAllOptions): Subscription {
    return this.inner.subscribeToAll(options);
  }

  headPosition(): Promise<Position | null> {
    return this.inner.headPosition();
  }

  countEventsAfter(after: Position | undefined, limit: number): Promise<number> {
    return this.inner.countEventsAfter(after, limit);
  }

  ping(): Promise<void> {
    return this.inner.ping();
  }

  close(): Promise<void> {
    return this.inner.close();
  }
}
