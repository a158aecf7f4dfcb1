import type { CommandContext } from '../metadata';
import type { PatchOperation } from '../../scim/patch/operation';
import type { UserAttributes } from './attributes';

export type ProvisionUser = {
  readonly type: 'ProvisionUser';
  readonly data: {
    readonly userId: string;
    readonly attributes: UserAttributes;
    readonly active: boolean;
    readonly account: { readonly id: string; readonly linkedExisting: boolean };
  };
  readonly context: CommandContext;
};

/** PUT: the whole resource; an omitted `active` keeps the current state. */
export type ReplaceUser = {
  readonly type: 'ReplaceUser';
  readonly data: { readonly userId: string; readonly attributes: UserAttributes; readonly active?: boolean };
  readonly context: CommandContext;
};

export type PatchUser = {
  readonly type: 'PatchUser';
  readonly data: { readonly userId: string; readonly operations: readonly PatchOperation[] };
  readonly context: CommandContext;
};

export type DeleteUser = {
  readonly type: 'DeleteUser';
  readonly data: { readonly userId: string; readonly reason?: 'scim-disabled' };
  readonly context: CommandContext;
};

export type UserCommand = ProvisionUser | ReplaceUser | PatchUser | DeleteUser;
