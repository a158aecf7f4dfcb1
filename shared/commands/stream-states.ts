import { LRUCache } from 'lru-cache';
import type { Pool } from '../db/pool';
import { sql, type SqlStatement } from '../db/sql-statement';
import type { EventStore, RecordedEvent } from '../eventstore/port';
import { upcastRecordedEvent } from '../events/upcast';

/** How a stream's events fold into its state; `snapshotVersion` names the state's shape. */
export interface StreamFold<State, Event> {
  evolve(state: State, event: Event): State;
  readonly initialState: State;
  /** Bumped whenever State's shape changes: snapshots of another version are not used. */
  readonly snapshotVersion?: number;
}

/** A stream's state and the revision of its last event (null: the stream has none). */
export interface StreamState<State> {
  readonly state: State;
  readonly revision: bigint | null;
}

/** The recorded event as the domain knows it: older schema versions upcast (history is never rewritten). */
export function toDomainEvent<Event>(recorded: RecordedEvent): Event {
  const current = upcastRecordedEvent(recorded);
  return { type: current.type, data: current.data, metadata: current.metadata } as Event;
}

/** The state `recorded` folds to from `from`. */
export function foldEvents<State, Event>(fold: Pick<StreamFold<State, Event>, 'evolve' | 'initialState'>, recorded: readonly RecordedEvent[], from: State = fold.initialState): State {
  return recorded.reduce((state, e) => fold.evolve(state, toDomainEvent<Event>(e)), from);
}

interface Entry {
  readonly state: unknown;
  readonly revision: bigint | null;
  /** Revision of the last persisted snapshot (null: none). */
  readonly snapshotRevision: bigint | null;
}

export interface StreamStatesOptions {
  readonly store: EventStore;
  /** Where snapshots live (`stream_snapshots`); without it, streams are always folded from the start. */
  readonly pool?: Pool;
  /** Streams kept in memory (least recently used go first). */
  readonly maxStreams?: number;
  /** A snapshot is written once a stream has this many events past its last one. */
  readonly snapshotEvery?: number;
}

const UPSERT_SNAPSHOT = `ON CONFLICT (stream_id) DO UPDATE SET revision = EXCLUDED.revision, version = EXCLUDED.version, state = EXCLUDED.state,
  written_at = clock_timestamp() WHERE stream_snapshots.revision < EXCLUDED.revision OR stream_snapshots.version <> EXCLUDED.version`;

// A stream's state can be large (a group holds its member ids); 20,000 of them took the API past
// 300 MB RSS at 100,000 users, while 5,000 still hold the working set of a provisioning cycle
// (a miss costs a snapshot read and at most 200 events).
export const DEFAULT_MAX_STREAMS = 5_000;
export const DEFAULT_SNAPSHOT_EVERY = 200;

/**
 * The current state of event streams, so that a command's cost does not grow with its stream's
 * history: kept in memory per stream (LRU) and, every `snapshotEvery` events, as a snapshot in
 * Postgres beside the events; a cold load reads the snapshot and the events after it.
 *
 * Memory is trusted only while this process hears about every other writer's appends (`changed`,
 * fed by the event store's notifications, see observeStreamChanges): until a feed calls `resume`,
 * and while it is down (`pause`), nothing is remembered and every load reads the store. A writer
 * would not even need that trust (an append with a stale expected revision fails and the command
 * is decided again on a fresh load), but checks that only read another stream's state do.
 */
export class StreamStates {
  private readonly entries: LRUCache<string, Entry>;
  /** The newest revision another writer announced per stream, for loads that raced with it. */
  private readonly announced: LRUCache<string, bigint>;
  /** Memory is trusted only while a change feed says it hears every append (resume/pause). */
  private trusted = false;
  private readonly snapshotEvery: number;

  constructor(private readonly options: StreamStatesOptions) {
    const max = options.maxStreams ?? DEFAULT_MAX_STREAMS;
    this.entries = new LRUCache({ max });
    this.announced = new LRUCache({ max });
    this.snapshotEvery = Math.max(1, options.snapshotEvery ?? DEFAULT_SNAPSHOT_EVERY);
  }

  /**
   * The stream's state: from memory when it is known current, else from its snapshot and the
   * events after it (or all its events).
   */
  async load<State, Event>(streamId: string, fold: StreamFold<State, Event>): Promise<StreamState<State>> {
    const known = this.trusted ? this.entries.get(streamId) : undefined;
    if (known) return { state: known.state as State, revision: known.revision };
    return this.refresh(streamId, fold);
  }

  /** The stream's state from the store, never from memory; remembered for next time. */
  async refresh<State, Event>(streamId: string, fold: StreamFold<State, Event>): Promise<StreamState<State>> {
    const trustedBefore = this.trusted;
    const snapshot = await this.readSnapshot<State>(streamId, fold);
    const from = snapshot ? snapshot.revision + 1n : 0n;
    const recorded = await this.options.store.readStream(streamId, { fromRevision: from });
    const state = foldEvents(fold, recorded, snapshot ? snapshot.state : fold.initialState);
    const last = recorded[recorded.length - 1];
    const revision = last ? last.revision : snapshot ? snapshot.revision : null;
    // A change announced while this load ran makes it stale already; so does a lost feed.
    if (trustedBefore && this.trusted && !this.isStale(streamId, revision)) {
      this.entries.set(streamId, { state, revision, snapshotRevision: snapshot?.revision ?? null });
    }
    return { state, revision };
  }

  /** This process appended: `state` is the stream's state at `revision`. */
  remember(streamId: string, state: unknown, revision: bigint, snapshotRevision?: bigint): void {
    if (!this.trusted || this.isStale(streamId, revision)) return;
    const before = this.entries.get(streamId);
    this.entries.set(streamId, { state, revision, snapshotRevision: snapshotRevision ?? before?.snapshotRevision ?? null });
  }

  forget(streamId: string): void {
    this.entries.delete(streamId);
  }

  /** Another writer appended to the stream up to `revision`. */
  changed(streamId: string, revision: bigint): void {
    const announced = this.announced.get(streamId);
    if (announced === undefined || revision > announced) this.announced.set(streamId, revision);
    const known = this.entries.peek(streamId);
    if (known && (known.revision === null || known.revision < revision)) this.entries.delete(streamId);
  }

  /** The change feed is down: nothing in memory can be trusted until resume(). */
  pause(): void {
    this.trusted = false;
    this.entries.clear();
  }

  /** The change feed is back: start afresh. */
  resume(): void {
    this.entries.clear();
    this.trusted = true;
  }

  get size(): number {
    return this.entries.size;
  }

  /** Whether this write brings the stream `snapshotEvery` events past its last snapshot. */
  snapshotDue(streamId: string, revisionBefore: bigint | null, eventCount: number): boolean {
    const last = this.entries.peek(streamId)?.snapshotRevision ?? -1n;
    return this.options.pool !== undefined && (revisionBefore ?? -1n) + BigInt(eventCount) - last >= BigInt(this.snapshotEvery);
  }

  /**
   * The statement that persists `state` as the stream's snapshot, to run in the append's own
   * statement (`head.next_revision` is the append's last revision): never ahead of or behind it.
   */
  snapshotInAppend(streamId: string, fold: StreamFold<unknown, unknown>, state: unknown): SqlStatement {
    return sql(`INSERT INTO stream_snapshots (stream_id, revision, version, state) SELECT $1, head.next_revision, $2, $3::jsonb FROM head ${UPSERT_SNAPSHOT}`, [
      streamId,
      fold.snapshotVersion ?? 1,
      JSON.stringify(state),
    ]);
  }

  /** Persists `state` at `revision` after an append that could not carry it (EventStoreDB). */
  async writeSnapshot(streamId: string, fold: StreamFold<unknown, unknown>, state: unknown, revision: bigint): Promise<void> {
    if (!this.options.pool) return;
    await this.options.pool.query(`INSERT INTO stream_snapshots (stream_id, revision, version, state) VALUES ($1, $2, $3, $4::jsonb) ${UPSERT_SNAPSHOT}`, [
      streamId,
      revision,
      fold.snapshotVersion ?? 1,
      JSON.stringify(state),
    ]);
    const known = this.entries.peek(streamId);
    if (known && known.revision === revision) this.entries.set(streamId, { ...known, snapshotRevision: revision });
  }

  private isStale(streamId: string, revision: bigint | null): boolean {
    const announced = this.announced.get(streamId);
    return announced !== undefined && (revision === null || revision < announced);
  }

  private async readSnapshot<State>(streamId: string, fold: StreamFold<State, unknown>): Promise<{ state: State; revision: bigint } | undefined> {
    if (!this.options.pool) return undefined;
    const { rows } = await this.options.pool.query<{ revision: bigint; state: State }>(
      `SELECT revision, state FROM stream_snapshots WHERE stream_id = $1 AND version = $2`,
      [streamId, fold.snapshotVersion ?? 1],
    );
    return rows[0];
  }
}
