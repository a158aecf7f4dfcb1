import { randomUUID } from 'node:crypto';
import type { EventStore, EventToAppend, JsonObject } from '../eventstore/port';
import { WrongExpectedRevisionError } from '../eventstore/port';
import type { Position } from '../eventstore/position';
import type { DomainEvent } from '../domain/metadata';
import { scimErrors } from '../scim/errors';
import { keyChange, type KeyOwner, type UniqueKey } from '../uniqueness/keys';
import { KeyedLock } from './keyed-lock';
import { failedPrecondition, type RevisionPrecondition } from './precondition';
import { StreamStates, type StreamFold } from './stream-states';
import type { StreamWriter, WriteModelRows } from './stream-writer';

export { foldEvents, toDomainEvent } from './stream-states';

export interface Decider<State, Command, Event> extends StreamFold<State, Event> {
  decide(command: Command, state: State): Event[];
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
  /** From If-Match and If-None-Match: conditions on the current revision; a failed one is 412, never retried. */
  readonly precondition?: RevisionPrecondition;
  /** Whether a state is a resource that exists (not absent, not deleted), for `*` in the precondition; default: the stream has events. */
  readonly exists?: (state: State) => boolean;
  /** The unique keys a state holds; claimed and released with the append. */
  readonly keysOf?: (state: State) => readonly UniqueKey[];
  readonly owner?: KeyOwner;
  /** Checks against other aggregates (e.g. members exist) before anything is written. */
  readonly validate?: (newEvents: readonly Event[], before: State, after: State) => Promise<void>;
  /** Write-model rows that go with the append (see WriteModelRows). */
  readonly rows?: (after: State) => WriteModelRows;
  /** The stream cannot exist yet (its id was made for this command): it is not read. */
  readonly newStream?: boolean;
  /** Bounded retries when another writer appended first. */
  readonly maxAttempts?: number;
}

function toAppend(event: DomainEvent<string, unknown>): EventToAppend {
  return { id: randomUUID(), type: event.type, data: event.data as JsonObject, metadata: event.metadata as unknown as JsonObject };
}

export interface CommandDependencies {
  readonly store: EventStore;
  readonly writer: StreamWriter;
  readonly lock: KeyedLock;
  /** Stream states in memory and as snapshots: a command reads only what it does not know. */
  readonly states: StreamStates;
  /**
   * Told where every acknowledged append landed (read-your-writes), and whether the inline
   * projections already hold it.
   */
  readonly onAppended?: (position: Position, projectedInline: boolean) => void;
}

export function createCommandDependencies(
  store: EventStore,
  writer: StreamWriter,
  onAppended?: (position: Position, projectedInline: boolean) => void,
  states: StreamStates = new StreamStates({ store }),
): CommandDependencies {
  return { store, writer, lock: new KeyedLock(), states, ...(onAppended ? { onAppended } : {}) };
}

/** The current state of one aggregate, for checks that read another aggregate before a decision. */
export function loadState<State, Event>(deps: Pick<CommandDependencies, 'states'>, streamId: string, fold: StreamFold<State, Event>): Promise<State> {
  return deps.states.load(streamId, fold).then((loaded) => loaded.state);
}

const backoff = (attempt: number) => new Promise((resolve) => setTimeout(resolve, Math.random() * 10 * 2 ** Math.min(attempt, 6)));

/**
 * Load the stream's state (memory, snapshot + tail, or nothing for a new stream), decide, append
 * with the expected revision; when another writer appended first, load afresh and decide again.
 * The store sees one statement per command where it allows it (see StreamWriter).
 * @throws ScimError 412 when `precondition` fails (If-Match, If-None-Match); 503 after `maxAttempts` lost races; the decider's
 * and `validate`'s errors; the writer's (UniqueKeyTakenError, connection errors).
 */
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
  let fresh = false;
  for (let attempt = 1; ; attempt++) {
    const loaded =
      options.newStream && attempt === 1
        ? { state: decider.initialState, revision: null }
        : fresh
          ? await deps.states.refresh(streamId, decider)
          : await deps.states.load(streamId, decider);
    const { state, revision } = loaded;
    const failed = options.precondition && failedPrecondition(options.precondition, revision, options.exists?.(state) ?? revision !== null);
    if (failed !== undefined) {
      // Memory may lag behind a writer elsewhere: only the store's answer is a mismatch.
      if (!fresh) {
        fresh = true;
        attempt--;
        continue;
      }
      throw scimErrors.preconditionFailed(failed);
    }

    const newEvents = decider.decide(command, state);
    if (newEvents.length === 0) return { state, revision, newEvents, position: null };
    const after = newEvents.reduce(decider.evolve, state);
    await options.validate?.(newEvents, state, after);

    const keys =
      options.keysOf && options.owner
        ? keyChange(options.owner, options.keysOf(state), options.keysOf(after))
        : { owner: options.owner ?? { stream: streamId, id: streamId }, claim: [], release: [] };
    const snapshot = deps.states.snapshotDue(streamId, revision, newEvents.length);
    try {
      const result = await deps.writer.append({
        streamId,
        events: newEvents.map(toAppend),
        expectedRevision: revision ?? 'no_stream',
        keys,
        stateBefore: state,
        state: after,
        ...(options.rows ? { rows: options.rows(after) } : {}),
        ...(snapshot && deps.writer.projectsInline ? { inline: [deps.states.snapshotInAppend(streamId, decider, after)] } : {}),
      });
      const written = snapshot && deps.writer.projectsInline ? result.nextExpectedRevision : undefined;
      deps.states.remember(streamId, after, result.nextExpectedRevision, written);
      if (snapshot && !deps.writer.projectsInline) {
        // Best effort: a missing snapshot costs a longer fold next time, nothing else.
        await deps.states.writeSnapshot(streamId, decider, after, result.nextExpectedRevision).catch(() => undefined);
      }
      deps.onAppended?.(result.position, deps.writer.projectsInline);
      return { state: after, revision: result.nextExpectedRevision, newEvents, position: result.position };
    } catch (error) {
      deps.states.forget(streamId);
      if (!(error instanceof WrongExpectedRevisionError)) throw error;
      // Another writer came first: the retry checks the precondition again against its revision.
      if (attempt >= maxAttempts) {
        throw scimErrors.unavailable(`too many concurrent changes to ${streamId}; retry the request`);
      }
      fresh = true;
      await backoff(attempt);
    }
  }
}
