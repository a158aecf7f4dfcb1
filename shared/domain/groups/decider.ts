import type { JsonDocument } from '../json';
import { eventMetadata, type CommandContext } from '../metadata';
import { scimErrors } from '../../scim/errors';
import { applyPatch } from '../../scim/patch/apply-patch';
import type { CreateGroup, DeleteGroup, GroupCommand, PatchGroup, ReplaceGroup } from './commands';
import type { GroupEvent } from './events';
import { evolveGroup, initialGroupState, type GroupState } from './state';

export interface GroupRules {
  /** The platform's documented limit: larger rosters are rejected with 413. */
  readonly maxMembers: number;
}

export const DEFAULT_GROUP_RULES: GroupRules = { maxMembers: 1000 };

type ActiveGroup = Extract<GroupState, { status: 'Active' }>;

function requireActive(state: GroupState, groupId: string): ActiveGroup {
  if (state.status === 'Active') return state;
  throw scimErrors.notFound(`Group ${groupId} not found`);
}

function assertDisplayName(displayName: unknown): asserts displayName is string {
  if (typeof displayName !== 'string' || displayName.trim() === '') throw scimErrors.invalidValue('displayName is required');
}

function unique(ids: readonly string[]): string[] {
  return [...new Set(ids)];
}

function assertRosterSize(memberIds: readonly string[], rules: GroupRules): void {
  if (memberIds.length > rules.maxMembers) {
    throw scimErrors.payloadTooLarge(`a group has at most ${rules.maxMembers} members; this change would leave ${memberIds.length}`);
  }
}

interface Target {
  readonly displayName: string;
  readonly externalId: string | undefined;
  readonly memberIds: readonly string[];
  /** A replace of the whole roster (PUT, or a PATCH replace of `members`), recorded as such. */
  readonly rosterReplaced: boolean;
}

function changeTo(state: ActiveGroup, target: Target, context: CommandContext, rules: GroupRules): GroupEvent[] {
  assertDisplayName(target.displayName);
  const memberIds = unique(target.memberIds);
  assertRosterSize(memberIds, rules);
  const metadata = eventMetadata(context);
  const { groupId } = state;
  const events: GroupEvent[] = [];
  if (target.displayName !== state.displayName) {
    events.push({ type: 'GroupRenamed', data: { groupId, displayName: target.displayName }, metadata });
  }
  if (target.externalId !== state.externalId) {
    events.push({ type: 'GroupExternalIdChanged', data: { groupId, externalId: target.externalId ?? null }, metadata });
  }
  const before = new Set(state.memberIds);
  const after = new Set(memberIds);
  const added = memberIds.filter((id) => !before.has(id));
  const removed = state.memberIds.filter((id) => !after.has(id));
  if (added.length === 0 && removed.length === 0) return events;
  if (target.rosterReplaced) {
    events.push({ type: 'GroupMembersReplaced', data: { groupId, memberIds }, metadata });
  } else {
    if (removed.length > 0) events.push({ type: 'GroupMembersRemoved', data: { groupId, memberIds: removed }, metadata });
    if (added.length > 0) events.push({ type: 'GroupMembersAdded', data: { groupId, memberIds: added }, metadata });
  }
  return events;
}

function create(command: CreateGroup, state: GroupState, rules: GroupRules): GroupEvent[] {
  if (state.status !== 'Absent') throw scimErrors.uniqueness(`Group ${command.data.groupId} already exists`);
  const { groupId, displayName, externalId } = command.data;
  assertDisplayName(displayName);
  const memberIds = unique(command.data.memberIds);
  assertRosterSize(memberIds, rules);
  return [
    {
      type: 'GroupCreated',
      data: { groupId, displayName, ...(externalId === undefined ? {} : { externalId }), memberIds },
      metadata: eventMetadata(command.context),
    },
  ];
}

function replace(command: ReplaceGroup, state: GroupState, rules: GroupRules): GroupEvent[] {
  const group = requireActive(state, command.data.groupId);
  const { displayName, externalId, memberIds } = command.data;
  return changeTo(
    group,
    {
      displayName: displayName ?? group.displayName,
      externalId: externalId ?? group.externalId,
      memberIds: memberIds ?? group.memberIds,
      rosterReplaced: memberIds !== undefined,
    },
    command.context,
    rules,
  );
}

function isMembersReplace(operation: PatchGroup['data']['operations'][number]): boolean {
  if (operation.op !== 'replace') return false;
  if (operation.path !== undefined) return operation.path.trim().toLowerCase() === 'members';
  const value = operation.value;
  return typeof value === 'object' && value !== null && !Array.isArray(value) && Object.keys(value).some((k) => k.toLowerCase() === 'members');
}

function patch(command: PatchGroup, state: GroupState, rules: GroupRules): GroupEvent[] {
  const group = requireActive(state, command.data.groupId);
  const before: JsonDocument = {
    displayName: group.displayName,
    ...(group.externalId === undefined ? {} : { externalId: group.externalId }),
    members: group.memberIds.map((value) => ({ value })),
  };
  const after = applyPatch(before, command.data.operations, 'Group', { id: group.groupId });
  const members = Array.isArray(after.members) ? after.members : [];
  const memberIds = members.map((m) => (typeof m === 'object' && m !== null && !Array.isArray(m) ? (m as { value?: unknown }).value : m));
  if (!memberIds.every((id): id is string => typeof id === 'string')) throw scimErrors.invalidValue('members[].value must be a string');
  if (after.externalId !== undefined && typeof after.externalId !== 'string') throw scimErrors.invalidValue('externalId must be a string');
  assertDisplayName(after.displayName);
  return changeTo(
    group,
    {
      displayName: after.displayName,
      externalId: after.externalId,
      memberIds,
      rosterReplaced: command.data.operations.some(isMembersReplace),
    },
    command.context,
    rules,
  );
}

/** RFC 7644 §3.6 allows 404 for a missing resource; the platform answers 204 either way. */
function remove(command: DeleteGroup, state: GroupState): GroupEvent[] {
  if (state.status !== 'Active') return [];
  return [{ type: 'GroupDeleted', data: { groupId: state.groupId }, metadata: eventMetadata(command.context) }];
}

export function createGroupDecider(rules: GroupRules = DEFAULT_GROUP_RULES) {
  function decideGroup(command: GroupCommand, state: GroupState): GroupEvent[] {
    switch (command.type) {
      case 'CreateGroup':
        return create(command, state, rules);
      case 'ReplaceGroup':
        return replace(command, state, rules);
      case 'PatchGroup':
        return patch(command, state, rules);
      case 'DeleteGroup':
        return remove(command, state);
      default: {
        const _never: never = command;
        throw new Error(`unknown command ${JSON.stringify(_never)}`);
      }
    }
  }
  return { decide: decideGroup, evolve: evolveGroup, initialState: initialGroupState };
}
