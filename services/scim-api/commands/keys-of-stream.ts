import { foldEvents } from '../../../shared/commands/handle-command';
import { accountDecider, accountKeys } from '../../../shared/domain/accounts/account';
import { createGroupDecider } from '../../../shared/domain/groups/decider';
import { teamDecider, teamKeys } from '../../../shared/domain/teams/team';
import { userDecider } from '../../../shared/domain/users/decider';
import type { KeysOfStream } from '../../../shared/uniqueness/reconciler';
import { groupKeys } from './groups';
import { userKeys } from './users';

/** Which keys each kind of stream holds: the reconciler's source of truth. */
export const keysOfStream: KeysOfStream = (streamId, events) => {
  if (streamId.startsWith('user-')) return userKeys(foldEvents(userDecider, events));
  if (streamId.startsWith('group-')) return groupKeys(foldEvents(createGroupDecider(), events));
  if (streamId.startsWith('account-')) return accountKeys(foldEvents(accountDecider, events));
  if (streamId.startsWith('team-')) return teamKeys(foldEvents(teamDecider, events));
  return undefined;
};
