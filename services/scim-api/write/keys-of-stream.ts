import type { Decider } from '../../../shared/commands/handle-command';
import { toDomainEvent } from '../../../shared/commands/handle-command';
import { accountDecider, accountKeys } from '../../../shared/domain/accounts/account';
import { createGroupDecider } from '../../../shared/domain/groups/decider';
import { teamDecider, teamKeys } from '../../../shared/domain/teams/team';
import { userDecider } from '../../../shared/domain/users/decider';
import type { RecordedEvent } from '../../../shared/eventstore/port';
import type { KeysOfStream } from '../../../shared/uniqueness/reconciler';
import { groupKeys } from './group-commands';
import { userKeys } from './user-commands';

function fold<S, C, E>(decider: Decider<S, C, E>, events: readonly RecordedEvent[]): S {
  return events.reduce((state, e) => decider.evolve(state, toDomainEvent<E>(e)), decider.initialState);
}

/** Which keys each kind of stream holds: the reconciler's source of truth. */
export const keysOfStream: KeysOfStream = (streamId, events) => {
  if (streamId.startsWith('user-')) return userKeys(fold(userDecider, events));
  if (streamId.startsWith('group-')) return groupKeys(fold(createGroupDecider(), events));
  if (streamId.startsWith('account-')) return accountKeys(fold(accountDecider, events));
  if (streamId.startsWith('team-')) return teamKeys(fold(teamDecider, events));
  return undefined;
};
