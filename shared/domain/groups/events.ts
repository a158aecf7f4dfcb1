import type { DomainEvent } from '../metadata';

export type GroupCreated = DomainEvent<
  'GroupCreated',
  { readonly groupId: string; readonly displayName: string; readonly externalId?: string; readonly memberIds: readonly string[] }
>;
export type GroupRenamed = DomainEvent<'GroupRenamed', { readonly groupId: string; readonly displayName: string }>;
/** `externalId: null` clears it. */
export type GroupExternalIdChanged = DomainEvent<
  'GroupExternalIdChanged',
  { readonly groupId: string; readonly externalId: string | null }
>;
export type GroupMembersAdded = DomainEvent<'GroupMembersAdded', { readonly groupId: string; readonly memberIds: readonly string[] }>;
export type GroupMembersRemoved = DomainEvent<'GroupMembersRemoved', { readonly groupId: string; readonly memberIds: readonly string[] }>;
/** The full roster, from PUT or a replace of `members`. */
export type GroupMembersReplaced = DomainEvent<'GroupMembersReplaced', { readonly groupId: string; readonly memberIds: readonly string[] }>;
export type GroupDeleted = DomainEvent<'GroupDeleted', { readonly groupId: string }>;

export type GroupEvent =
  | GroupCreated
  | GroupRenamed
  | GroupExternalIdChanged
  | GroupMembersAdded
  | GroupMembersRemoved
  | GroupMembersReplaced
  | GroupDeleted;

export const GROUP_EVENT_TYPES: readonly GroupEvent['type'][] = [
  'GroupCreated',
  'GroupRenamed',
  'GroupExternalIdChanged',
  'GroupMembersAdded',
  'GroupMembersRemoved',
  'GroupMembersReplaced',
  'GroupDeleted',
];

export const groupStreamId = (groupId: string) => `group-${groupId}`;
