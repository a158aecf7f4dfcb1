import type { ContractData } from '../../events/contract';
import { eventMetadata, type CommandContext, type DomainEvent } from '../metadata';
import { scimErrors } from '../../scim/errors';
import { uniqueKey, type UniqueKey } from '../../uniqueness/keys';

/**
 * A platform account that exists outside SCIM (created before SCIM, or by hand). A SCIM user whose
 * email matches links to it instead of creating a second account; deleting that SCIM user
 * suspends the account (UserDeleted carries its id) and never deletes it.
 */
export type AccountRegistered = DomainEvent<'AccountRegistered', ContractData<'AccountRegistered'>>;

export type AccountEvent = AccountRegistered;

export type RegisterAccount = {
  readonly type: 'RegisterAccount';
  readonly data: { readonly accountId: string; readonly email: string; readonly username: string; readonly displayName?: string };
  readonly context: CommandContext;
};

export type AccountCommand = RegisterAccount;

export type AccountState =
  | { readonly status: 'Absent' }
  | { readonly status: 'Registered'; readonly accountId: string; readonly email: string; readonly username: string };

export const accountStreamId = (accountId: string) => `account-${accountId}`;

/** An account's email is unique among registered accounts (case-insensitive). */
export const accountKeys = (state: AccountState): UniqueKey[] => (state.status === 'Registered' ? [uniqueKey('account.email', state.email)] : []);

const EMAIL = /^[^\s@]+@[^\s@]+$/;

export const accountDecider = {
  initialState: { status: 'Absent' } as AccountState,
  evolve(state: AccountState, event: AccountEvent): AccountState {
    switch (event.type) {
      case 'AccountRegistered':
        return { status: 'Registered', accountId: event.data.accountId, email: event.data.email, username: event.data.username };
      default:
        return state;
    }
  },
  decide(command: AccountCommand, state: AccountState): AccountEvent[] {
    switch (command.type) {
      case 'RegisterAccount': {
        if (state.status !== 'Absent') return [];
        const { accountId, email, username, displayName } = command.data;
        if (!EMAIL.test(email)) throw scimErrors.invalidValue(`${JSON.stringify(email)} is not an email address`);
        if (username.trim() === '') throw scimErrors.invalidValue('username is required');
        return [
          {
            type: 'AccountRegistered',
            data: { accountId, email, username, ...(displayName ? { displayName } : {}) },
            metadata: eventMetadata(command.context),
          },
        ];
      }
      default: {
        const _never: never = command.type;
        throw new Error(`unknown command ${String(_never)}`);
      }
    }
  },
};
