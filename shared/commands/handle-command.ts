import { randomUUID } from 'node:crypto';
import type { EventStore, EventToAppend, JsonObject, RecordedEvent } from '../eventstore/port';
import { WrongExpectedRevisionError } from '../eventstore/port';
import type { Position } from '../eventstore/position';
import type { DomainEvent } from '../domain/metadata';
import { scimErrors } from '../scim/errors';
import { keyChange, type KeyOwner, type UniqueKey } from '../uniqueness/keys';
import { KeyedLock } from './keyed-lock';
import type { SideEffects, StreamWriter } from './stream-writer';

export interface Decider<State, Command, Event> {
  decide(command: Command, state: State): Event[];
  evolve(state: State, event: Event): State;
  readonly initialState: State;
}

export interface CommandResult<State, Event> {
  readonly state: State;
  /** Revision of the stream's last event after the command; null when the stream has none. */
  readonly revision: bigint | null;
  readonly newEvents: readonly Event[];
  /** Where the append landed; null when the command changed nothing. */
  readonly position: Position | null;
}

export interface HandleOptions<State, Event = unknown> {
  /** From If-Match: the revision the client saw; a mismatch is 412, never retried. */
  readonly expectedRevision?: bigint;
  /** The unique keys a state holds; claimed and released with the append. */
  readonly keysOf?: (state: State) => readonly UniqueKey[];
  readonly owner?: KeyOwner;
  /** Checks against other aggregates (e.g. members exist) before anything is written. */
  readonly validate?: (newEvents: readonly Event[], before: State, after: State) => Promise<void>;
  /** Write-side rows that go with the append (see SideEffects). */
  readonly effects?: SideEffects;
  /** Bounded retries when another writer appended first. */
  readonly maxAttempts?: number;
}

export function toDomainEvent<Event>(recorded: RecordedEvent): Event {
  // Old schema versions are upcast here when there are any; history is never rewritten.
  return { type: recorded.type, data: recorded.data, metadata: recorded.metadata } as Event;
}

/** The state a stream's events fold to. */
export function foldEvents<State, Event>(decider: Pick<Decider<State, unknown, Event>, 'evolve' | 'initialState'>, recorded: readonly RecordedEvent[]): State {
  return recorded.reduce((state, e) => decider.evolve(state, toDomainEvent<Event>(e)), decider.initialState);
}

/** The current state of one aggregate, for checks that read another aggregate before a decision. */
export async function loadState<State, Event>(
  store: EventStore,
  streamId: string,
  decider: Pick<Decider<State, unknown, Event>, 'evolve' | 'initialState'>,
): Promise<State> {
  return foldEvents(decider, await store.readStream(streamId));
}

function toAppend(event: DomainEvent<string, unknown>): EventToAppend {
  return { id: randomUUID(), type: event.type, data: event.data as JsonObject, metadata: event.metadata as unknown as JsonObject };
}

export interface CommandDependencies {
  readonly store: EventStore;
  readonly writer: StreamWriter;
  readonly lock: KeyedLock;
  /** Told where every acknowledged append landed (read-your-writes). */
  readonly onAppended?: (position: Position) => void;
}

export function createCommandDependencies(store: EventStore, writer: StreamWriter, onAppended?: (position: Position) => void): CommandDependencies {
  return { store, writer, lock: new KeyedLock(), ...(onAppended ? { onAppended } : {}) };
}

const backoff = (attempt: number) => new Promise((resolve) => setTimeout(resolve, Math.random() * 10 * 2 ** Math.min(attempt, 6)));

/** Load the stream, fold, decide, append with the expected revision; on a conflict, decide again. */
export function handleCommand<State, Command, Event extends DomainEvent<string, unknown>>(
  deps: CommandDependencies,
  streamId: string,
  decider: Decider<State, Command, Event>,
  command: Command,
  options: HandleOptions<State, Event> = {},
): Promise<CommandResult<State, Event>> {
  return deps.lock.run(streamId, () => decideAndAppend(deps, streamId, decider, command, options));
}

async function decideAndAppend<State, Command, Event extends DomainEvent<string, unknown>>(
  deps: CommandDependencies,
  streamId: string,
  decider: Decider<State, Command, Event>,
  command: Command,
  options: HandleOptions<State, Event>,
): Promise<CommandResult<State, Event>> {
  const maxAttempts = options.maxAttempts ?? 10;
  for (let attempt = 1; ; attempt++) {
    const recorded = await deps.store.readStream(streamId);
    const state = foldEvents(decider, recorded);
    const revision = recorded.length > 0 ? recorded[recorded.length - 1]!.revision : null;
    if (options.expectedRevision !== undefined && options.expectedRevision !== revision) {
      throw scimErrors.preconditionFailed(`the resource has changed: If-Match names version ${options.expectedRevision}, current is ${revision ?? 'none'}`);
    }

    const newEvents = decider.decide(command, state);
    if (newEvents.length === 0) return { state, revision, newEvents, position: null };
    const after = newEvents.reduce(decider.evolve, state);
    await options.validate?.(newEvents, state, after);

    const keys =
      options.keysOf && options.owner
        ? keyChange(options.owner, options.keysOf(state), options.keysOf(after))
        : { owner: options.owner ?? { stream: streamId, id: streamId }, claim: [], release: [] };
    try {
      const result = await deps.writer.append(streamId, newEvents.map(toAppend), revision ?? 'no_stream', keys, options.effects);
      deps.onAppended?.(result.position);
      return { state: after, revision: result.nextExpectedRevision, newEvents, position: result.position };
    } catch (error) {
      if (!(error instanceof WrongExpectedRevisionError)) throw error;
      if (options.expectedRevision !== undefined) {
        throw scimErrors.preconditionFailed('the resource changed while this request was applied');
      }
      if (attempt >= maxAttempts) {
        throw scimErrors.unavailable(`too many concurrent changes to ${streamId}; retry the request`);
      }
      await backoff(attempt);
    }
  }
}
