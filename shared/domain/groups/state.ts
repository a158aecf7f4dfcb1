import type { GroupEvent } from './events';

interface Existing {
  readonly groupId: string;
  readonly displayName: string;
  readonly externalId?: string;
  /** In the order members joined; no duplicates. */
  readonly memberIds: readonly string[];
  readonly created: string;
  readonly lastModified: string;
}

export type GroupState =
  | { readonly status: 'Absent' }
  | ({ readonly status: 'Active' } & Existing)
  /** The last name and roster stay: the read model keeps a tombstone row. */
  | ({ readonly status: 'Deleted' } & Existing);

export const initialGroupState: GroupState = { status: 'Absent' };

export function evolveGroup(state: GroupState, event: GroupEvent): GroupState {
  const at = event.metadata.occurredAt;
  if (event.type === 'GroupCreated') {
    const { groupId, displayName, externalId, memberIds } = event.data;
    return { status: 'Active', groupId, displayName, ...(externalId === undefined ? {} : { externalId }), memberIds, created: at, lastModified: at };
  }
  if (state.status !== 'Active') return state;
  switch (event.type) {
    case 'GroupRenamed':
      return { ...state, displayName: event.data.displayName, lastModified: at };
    case 'GroupExternalIdChanged': {
      const { externalId: _previous, ...rest } = state;
      return { ...rest, ...(event.data.externalId === null ? {} : { externalId: event.data.externalId }), lastModified: at };
    }
    case 'GroupMembersAdded': {
      const present = new Set(state.memberIds);
      const added = event.data.memberIds.filter((id) => !present.has(id));
      return { ...state, memberIds: [...state.memberIds, ...added], lastModified: at };
    }
    case 'GroupMembersRemoved': {
      const removed = new Set(event.data.memberIds);
      return { ...state, memberIds: state.memberIds.filter((id) => !removed.has(id)), lastModified: at };
    }
    case 'GroupMembersReplaced':
      return { ...state, memberIds: event.data.memberIds, lastModified: at };
    case 'GroupDeleted':
      return { ...state, status: 'Deleted', lastModified: at };
    default:
      return state;
  }
}
