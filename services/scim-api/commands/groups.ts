import { randomUUID } from 'node:crypto';
import type { Pool } from 'pg';
import { handleCommand, type CommandDependencies, type CommandResult } from '../../../shared/commands/handle-command';
import type { GroupCommand } from '../../../shared/domain/groups/commands';
import { createGroupDecider, type GroupRules } from '../../../shared/domain/groups/decider';
import { groupStreamId, type GroupEvent } from '../../../shared/domain/groups/events';
import type { GroupState } from '../../../shared/domain/groups/state';
import type { CommandContext } from '../../../shared/domain/metadata';
import { scimErrors } from '../../../shared/scim/errors';
import type { PatchOperation } from '../../../shared/scim/patch/operation';
import { findUserNames } from '../../../shared/uniqueness/directory';
import type { RevisionPrecondition } from '../../../shared/commands/precondition';
import { uniqueKey, type UniqueKey } from '../../../shared/uniqueness/keys';

export type GroupResult = CommandResult<GroupState, GroupEvent>;

/** A live group holds its displayName (case-insensitive); externalId is not unique (RFC 7643 §3.1). */
export function groupKeys(state: GroupState): UniqueKey[] {
  return state.status === 'Active' ? [uniqueKey('group.displayName', state.displayName)] : [];
}

/** Members that a change adds, which must be existing SCIM users. */
function joiningMembers(before: GroupState, after: GroupState): string[] {
  if (after.status !== 'Active') return [];
  const present = new Set(before.status === 'Active' ? before.memberIds : []);
  return after.memberIds.filter((id) => !present.has(id));
}

export interface GroupInput {
  readonly displayName?: string;
  readonly externalId?: string;
  readonly memberIds?: readonly string[];
}

export interface GroupCommands {
  create(input: GroupInput & { displayName: string }, context: CommandContext): Promise<GroupResult>;
  replace(groupId: string, input: GroupInput, context: CommandContext, precondition?: RevisionPrecondition): Promise<GroupResult>;
  patch(groupId: string, operations: readonly PatchOperation[], context: CommandContext, precondition?: RevisionPrecondition): Promise<GroupResult>;
  remove(groupId: string, context: CommandContext, precondition?: RevisionPrecondition): Promise<GroupResult>;
}

export function createGroupCommands({
  deps,
  pool,
  rules,
  onDeleted,
}: {
  deps: CommandDependencies;
  pool: Pool;
  rules?: GroupRules;
  /** Detaches the deleted group from teams and from the site-admin setting. */
  onDeleted?: (groupId: string, context: CommandContext) => Promise<void>;
}): GroupCommands {
  const decider = createGroupDecider(rules);

  async function assertUsersExist(before: GroupState, after: GroupState): Promise<void> {
    const joining = joiningMembers(before, after);
    if (joining.length === 0) return;
    const known = await findUserNames(pool, joining);
    const unknown = joining.filter((id) => !known.has(id));
    if (unknown.length > 0) {
      const shown = unknown.slice(0, 5).join(', ');
      throw scimErrors.notFound(`member ${shown}${unknown.length > 5 ? ` and ${unknown.length - 5} more` : ''} is not an existing User`);
    }
  }

  const run = (groupId: string, command: GroupCommand, precondition?: RevisionPrecondition) =>
    handleCommand(deps, groupStreamId(groupId), decider, command, {
      keysOf: groupKeys,
      owner: { stream: groupStreamId(groupId), id: groupId },
      validate: (_events, before, after) => assertUsersExist(before, after),
      ...(precondition === undefined ? {} : { precondition }),
      exists: (state) => state.status === 'Active',
      // Its id was made for this command: there is no stream to read.
      newStream: command.type === 'CreateGroup',
    });

  return {
    create({ displayName, externalId, memberIds }, context) {
      const groupId = randomUUID();
      return run(groupId, {
        type: 'CreateGroup',
        data: { groupId, displayName, ...(externalId === undefined ? {} : { externalId }), memberIds: memberIds ?? [] },
        context,
      });
    },
    replace: (groupId, input, context, precondition) =>
      run(groupId, { type: 'ReplaceGroup', data: { groupId, ...input }, context }, precondition),
    patch: (groupId, operations, context, precondition) =>
      run(groupId, { type: 'PatchGroup', data: { groupId, operations }, context }, precondition),
    async remove(groupId, context, precondition) {
      const result = await run(groupId, { type: 'DeleteGroup', data: { groupId }, context }, precondition);
      // Also when this delete found the group already gone: a crash may have cut the follow-up short.
      await onDeleted?.(groupId, context);
      return result;
    },
  };
}
