import { diffDocuments, type JsonDocument, type JsonValue } from '../json';
import { eventMetadata, type CommandContext } from '../metadata';
import { scimErrors } from '../../scim/errors';
import { applyPatch } from '../../scim/patch/apply-patch';
import { primaryEmail, type UserAttributes } from './attributes';
import type { DeleteUser, PatchUser, ProvisionUser, ReplaceUser, UserCommand } from './commands';
import { USER_DELETED_SCHEMA_VERSION, type UserEvent } from './events';
import { evolveUser, initialUserState, type UserState } from './state';

type ExistingUser = Extract<UserState, { status: 'Active' | 'Deactivated' }>;

function requireExisting(state: UserState, userId: string): ExistingUser {
  if (state.status === 'Active' || state.status === 'Deactivated') return state;
  throw scimErrors.notFound(`User ${userId} not found`);
}

/** Rules every stored user satisfies, whatever request produced it (scim-behaviour.md, Users). */
function assertValidUser(attributes: JsonDocument): asserts attributes is UserAttributes {
  if (typeof attributes.userName !== 'string' || attributes.userName.trim() === '') {
    throw scimErrors.invalidValue('userName is required');
  }
  if (!primaryEmail(attributes)) throw scimErrors.invalidValue('an email is required (emails[].value)');
}

/** The events that take an existing user to the given attributes and active flag; none if equal. */
function changeTo(state: ExistingUser, attributes: UserAttributes, active: boolean, context: CommandContext): UserEvent[] {
  const metadata = eventMetadata(context);
  const { userId } = state;
  const events: UserEvent[] = [];
  const { set, unset } = diffDocuments(state.attributes, attributes);
  if (Object.keys(set).length > 0 || unset.length > 0) {
    events.push({ type: 'UserAttributesChanged', data: { userId, set, unset }, metadata });
  }
  const wasActive = state.status === 'Active';
  if (wasActive && !active) events.push({ type: 'UserDeactivated', data: { userId }, metadata });
  if (!wasActive && active) events.push({ type: 'UserReactivated', data: { userId }, metadata });
  return events;
}

function provision(command: ProvisionUser, state: UserState): UserEvent[] {
  if (state.status !== 'Absent') throw scimErrors.uniqueness(`User ${command.data.userId} already exists`);
  assertValidUser(command.data.attributes);
  const { userId, attributes, active, account } = command.data;
  return [
    {
      type: 'UserProvisioned',
      data: { userId, attributes, active, accountId: account.id, linkedExistingAccount: account.linkedExisting },
      metadata: eventMetadata(command.context),
    },
  ];
}

function replace(command: ReplaceUser, state: UserState): UserEvent[] {
  const existing = requireExisting(state, command.data.userId);
  assertValidUser(command.data.attributes);
  const active = command.data.active ?? existing.status === 'Active';
  return changeTo(existing, command.data.attributes, active, command.context);
}

/**
 * The platform documents that a PATCH clearing a required attribute — `userName`, `emails` or
 * `active`, by remove, null or an empty value — is ignored, not rejected: the attribute keeps its
 * value and the rest of the request applies (an IdP whose source lost a mail attribute must not
 * fail every cycle). `emails` counts as cleared when no email value is left.
 */
function keepRequiredValues(before: JsonDocument, after: JsonDocument): JsonDocument {
  const kept: Record<string, JsonValue> = { ...after };
  if (typeof after.userName !== 'string' || after.userName.trim() === '') kept.userName = before.userName!;
  if (primaryEmail(after) === undefined) {
    if (before.emails === undefined) delete kept.emails;
    else kept.emails = before.emails;
  }
  if (typeof after.active !== 'boolean') kept.active = before.active!;
  return kept;
}

function patch(command: PatchUser, state: UserState): UserEvent[] {
  const existing = requireExisting(state, command.data.userId);
  const before: JsonDocument = { ...existing.attributes, active: existing.status === 'Active' };
  const after = keepRequiredValues(before, applyPatch(before, command.data.operations, 'User', { id: existing.userId }));
  const { active, ...attributes } = after;
  if (typeof active !== 'boolean') throw scimErrors.invalidValue('active must be a boolean');
  assertValidUser(attributes);
  return changeTo(existing, attributes, active, command.context);
}

function remove(command: DeleteUser, state: UserState): UserEvent[] {
  const existing = requireExisting(state, command.data.userId);
  return [
    {
      type: 'UserDeleted',
      data: { userId: existing.userId, accountId: existing.accountId, reason: command.data.reason ?? 'deleted' },
      metadata: eventMetadata(command.context, USER_DELETED_SCHEMA_VERSION),
    },
  ];
}

export function decideUser(command: UserCommand, state: UserState): UserEvent[] {
  switch (command.type) {
    case 'ProvisionUser':
      return provision(command, state);
    case 'ReplaceUser':
      return replace(command, state);
    case 'PatchUser':
      return patch(command, state);
    case 'DeleteUser':
      return remove(command, state);
    default: {
      const _never: never = command;
      throw new Error(`unknown command ${JSON.stringify(_never)}`);
    }
  }
}

export const userDecider = {
  decide: decideUser,
  evolve: evolveUser,
  initialState: initialUserState,
};
