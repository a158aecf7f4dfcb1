import type { ContractData } from '../../events/contract';
import type { DomainEvent } from '../metadata';

// The data of each event is declared once, in the published contract (shared/events/contract.ts).

export type GroupCreated = DomainEvent<'GroupCreated', ContractData<'GroupCreated'>>;
export type GroupRenamed = DomainEvent<'GroupRenamed', ContractData<'GroupRenamed'>>;
/** `externalId: null` clears it. */
export type GroupExternalIdChanged = DomainEvent<'GroupExternalIdChanged', ContractData<'GroupExternalIdChanged'>>;
export type GroupMembersAdded = DomainEvent<'GroupMembersAdded', ContractData<'GroupMembersAdded'>>;
export type GroupMembersRemoved = DomainEvent<'GroupMembersRemoved', ContractData<'GroupMembersRemoved'>>;
/** The full roster, from PUT or a replace of `members`. */
export type GroupMembersReplaced = DomainEvent<'GroupMembersReplaced', ContractData<'GroupMembersReplaced'>>;
export type GroupDeleted = DomainEvent<'GroupDeleted', ContractData<'GroupDeleted'>>;

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
