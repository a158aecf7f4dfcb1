import type { CommandContext } from '../metadata';
import type { PatchOperation } from '../../scim/patch/operation';

export type CreateGroup = {
  readonly type: 'CreateGroup';
  readonly data: { readonly groupId: string; readonly displayName: string; readonly externalId?: string; readonly memberIds: readonly string[] };
  readonly context: CommandContext;
};

/** PUT: an omitted displayName, externalId or members keeps the current value; `[]` clears members. */
export type ReplaceGroup = {
  readonly type: 'ReplaceGroup';
  readonly data: {
    readonly groupId: string;
    readonly displayName?: string;
    readonly externalId?: string;
    readonly memberIds?: readonly string[];
  };
  readonly context: CommandContext;
};

export type PatchGroup = {
  readonly type: 'PatchGroup';
  readonly data: { readonly groupId: string; readonly operations: readonly PatchOperation[] };
  readonly context: CommandContext;
};

export type DeleteGroup = { readonly type: 'DeleteGroup'; readonly data: { readonly groupId: string }; readonly context: CommandContext };

export type GroupCommand = CreateGroup | ReplaceGroup | PatchGroup | DeleteGroup;
