import type { DomainEvent } from '../metadata';
import type { UserAttributes } from './attributes';

export type UserProvisioned = DomainEvent<
  'UserProvisioned',
  {
    readonly userId: string;
    readonly attributes: UserAttributes;
    readonly active: boolean;
    /** The platform account this identity signs in as. */
    readonly accountId: string;
    /** True when an existing (not SCIM-managed) account with the same email was linked. */
    readonly linkedExistingAccount: boolean;
  }
>;

/** Only the top-level attributes that changed: new values in `set`, removed names in `unset`. */
export type UserAttributesChanged = DomainEvent<
  'UserAttributesChanged',
  { readonly userId: string; readonly set: Partial<UserAttributes>; readonly unset: readonly string[] }
>;

export type UserDeactivated = DomainEvent<'UserDeactivated', { readonly userId: string }>;
export type UserReactivated = DomainEvent<'UserReactivated', { readonly userId: string }>;

/**
 * The SCIM identity is gone and leaves every group. Its account is suspended (never deleted) when
 * the identity was deleted; when SCIM itself was disabled the account is only unlinked, and kept.
 */
export type UserDeleted = DomainEvent<
  'UserDeleted',
  { readonly userId: string; readonly accountId: string; readonly reason?: 'scim-disabled' }
>;

export type UserEvent = UserProvisioned | UserAttributesChanged | UserDeactivated | UserReactivated | UserDeleted;

export const USER_EVENT_TYPES: readonly UserEvent['type'][] = [
  'UserProvisioned',
  'UserAttributesChanged',
  'UserDeactivated',
  'UserReactivated',
  'UserDeleted',
];

export const userStreamId = (userId: string) => `user-${userId}`;
