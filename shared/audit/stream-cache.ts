import { foldEvents } from '../commands/stream-states';
import type { GroupEvent } from '../domain/groups/events';
import { evolveGroup, initialGroupState, type GroupState } from '../domain/groups/state';
import type { UserEvent } from '../domain/users/events';
import { evolveUser, initialUserState, type UserState } from '../domain/users/state';
import type { EventStore, RecordedEvent } from '../eventstore/port';
import { streamUpTo, type Instant } from './instant';

/**
 * Streams read once for the lifetime of one audit question (a history, an as-of): the states of
 * the users and groups it mentions, at any instant, without reading a stream twice.
 */
export class StreamCache {
  private readonly streams = new Map<string, Promise<RecordedEvent[]>>();

  constructor(private readonly store: EventStore) {}

  events(streamId: string): Promise<RecordedEvent[]> {
    let known = this.streams.get(streamId);
    if (!known) {
      known = this.store.readStream(streamId);
      this.streams.set(streamId, known);
    }
    return known;
  }

  /** The stream's events up to the instant (its longest prefix that reached it). */
  async eventsUpTo(streamId: string, instant: Instant): Promise<RecordedEvent[]> {
    return streamUpTo(await this.events(streamId), instant);
  }

  async userAt(userId: string, instant: Instant): Promise<{ state: UserState; revision: bigint | null }> {
    const events = await this.eventsUpTo(`user-${userId}`, instant);
    return { state: foldEvents<UserState, UserEvent>({ evolve: evolveUser, initialState: initialUserState }, events), revision: events.at(-1)?.revision ?? null };
  }

  async groupAt(groupId: string, instant: Instant): Promise<{ state: GroupState; revision: bigint | null }> {
    const events = await this.eventsUpTo(`group-${groupId}`, instant);
    return { state: foldEvents<GroupState, GroupEvent>({ evolve: evolveGroup, initialState: initialGroupState }, events), revision: events.at(-1)?.revision ?? null };
  }

  /** `jane@example.com (6b1f…)`: a user's userName at the instant (the last it had, once deleted) and id. */
  async userLabel(userId: string, instant: Instant): Promise<string> {
    const { state } = await this.userAt(userId, instant);
    return state.status === 'Absent' ? userId : `${state.attributes.userName} (${userId})`;
  }

  /** `Engineering (5d0c…)`: a group's displayName at the instant and id. */
  async groupLabel(groupId: string, instant: Instant): Promise<string> {
    const { state } = await this.groupAt(groupId, instant);
    return state.status === 'Absent' ? groupId : `${state.displayName} (${groupId})`;
  }
}
