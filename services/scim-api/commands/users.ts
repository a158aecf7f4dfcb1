import { randomUUID } from 'node:crypto';
import type { Pool } from 'pg';
import { handleCommand, type CommandDependencies, type CommandResult } from '../../../shared/commands/handle-command';
import { primaryEmail, type UserAttributes } from '../../../shared/domain/users/attributes';
import { userDecider } from '../../../shared/domain/users/decider';
import type { UserCommand } from '../../../shared/domain/users/commands';
import { userStreamId, type UserEvent } from '../../../shared/domain/users/events';
import type { UserState } from '../../../shared/domain/users/state';
import type { CommandContext } from '../../../shared/domain/metadata';
import type { PatchOperation } from '../../../shared/scim/patch/operation';
import { findLinkableAccount } from '../../../shared/uniqueness/directory';
import { uniqueKey, type UniqueKey } from '../../../shared/uniqueness/keys';
import type { RevisionPrecondition } from '../../../shared/commands/precondition';
import { UniqueKeyTakenError } from '../../../shared/uniqueness/unique-key-table';

export type UserResult = CommandResult<UserState, UserEvent>;

/**
 * The keys a live user holds, each by exactly one user: its userName and its primary email (both
 * case-insensitive; the platform documents both as unique across the instance) and the link to its
 * platform account. externalId is not unique (RFC 7643 §3.1; the platform documents no such rule).
 */
export function userKeys(state: UserState): UniqueKey[] {
  if (state.status !== 'Active' && state.status !== 'Deactivated') return [];
  const keys = [uniqueKey('user.userName', state.attributes.userName), uniqueKey('account.link', state.accountId)];
  const email = primaryEmail(state.attributes);
  if (email !== undefined) keys.push(uniqueKey('user.email', email));
  return keys;
}

export interface UserCommands {
  provision(input: { attributes: UserAttributes; active: boolean }, context: CommandContext): Promise<UserResult>;
  replace(userId: string, input: { attributes: UserAttributes; active?: boolean }, context: CommandContext, precondition?: RevisionPrecondition): Promise<UserResult>;
  patch(userId: string, operations: readonly PatchOperation[], context: CommandContext, precondition?: RevisionPrecondition): Promise<UserResult>;
  remove(userId: string, context: CommandContext, precondition?: RevisionPrecondition, reason?: 'scim-disabled'): Promise<UserResult>;
}

export function createUserCommands({
  deps,
  pool,
  linkableAccount = (email) => findLinkableAccount(pool, email),
}: {
  deps: CommandDependencies;
  pool: Pool;
  /** An unlinked registered account with this email (shared/uniqueness/account-emails.ts keeps that cheap). */
  linkableAccount?: (email: string) => Promise<string | undefined>;
}): UserCommands {
  const run = (userId: string, command: UserCommand, precondition?: RevisionPrecondition) =>
    handleCommand(deps, userStreamId(userId), userDecider, command, {
      keysOf: userKeys,
      owner: { stream: userStreamId(userId), id: userId },
      ...(precondition === undefined ? {} : { precondition }),
      exists: (state) => state.status === 'Active' || state.status === 'Deactivated',
      // Its id was made for this command: there is no stream to read.
      newStream: command.type === 'ProvisionUser',
    });

  return {
    async provision({ attributes, active }, context) {
      const userId = randomUUID();
      const email = primaryEmail(attributes);
      const existing = email ? await linkableAccount(email) : undefined;
      const provisionWith = (account: { id: string; linkedExisting: boolean }) =>
        run(userId, { type: 'ProvisionUser', data: { userId, attributes, active, account }, context });
      if (existing === undefined) return provisionWith({ id: randomUUID(), linkedExisting: false });
      try {
        return await provisionWith({ id: existing, linkedExisting: true });
      } catch (error) {
        // Another identity linked that account a moment ago and has since changed its email: this
        // one gets an account of its own. While it still has this email, the 409 stands.
        if (error instanceof UniqueKeyTakenError && error.keys.every((key) => key.scope === 'account.link')) {
          return provisionWith({ id: randomUUID(), linkedExisting: false });
        }
        throw error;
      }
    },
    replace: (userId, { attributes, active }, context, precondition) =>
      run(userId, { type: 'ReplaceUser', data: { userId, attributes, ...(active === undefined ? {} : { active }) }, context }, precondition),
    patch: (userId, operations, context, precondition) =>
      run(userId, { type: 'PatchUser', data: { userId, operations }, context }, precondition),
    remove: (userId, context, precondition, reason) =>
      run(userId, { type: 'DeleteUser', data: { userId, ...(reason ? { reason } : {}) }, context }, precondition),
  };
}
