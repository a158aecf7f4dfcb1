import { EVENT_CONTRACTS, type ContractData } from '../../events/contract';
import type { DomainEvent } from '../metadata';

// The data of each event is declared once, in the published contract (shared/events/contract.ts).

/** A user with its full initial attributes and the platform account it signs in as (linked, or new). */
export type UserProvisioned = DomainEvent<'UserProvisioned', ContractData<'UserProvisioned'>>;

/** Only the top-level attributes that changed: new values in `set`, removed names in `unset`. */
export type UserAttributesChanged = DomainEvent<'UserAttributesChanged', ContractData<'UserAttributesChanged'>>;

export type UserDeactivated = DomainEvent<'UserDeactivated', ContractData<'UserDeactivated'>>;
export type UserReactivated = DomainEvent<'UserReactivated', ContractData<'UserReactivated'>>;

/**
 * The SCIM identity is gone and leaves every group. Its account is suspended (never deleted) when
 * the identity was deleted (`deleted`); when SCIM itself was disabled (`scim-disabled`) the account
 * is only unlinked, and kept.
 *
 * Schema version 2 (USER_DELETED_SCHEMA_VERSION): `reason` is always there. Version 1 left it out
 * for `deleted`; readers get v1 events upcast (shared/events/contract.ts), the stored rows stay v1.
 */
export type UserDeleted = DomainEvent<'UserDeleted', ContractData<'UserDeleted'>>;

/** The `schemaVersion` UserDeleted is written with, as the contract declares it (docs/events/UserDeleted.v2.schema.json). */
export const USER_DELETED_SCHEMA_VERSION: number = EVENT_CONTRACTS.UserDeleted.version;

export type UserEvent = UserProvisioned | UserAttributesChanged | UserDeactivated | UserReactivated | UserDeleted;

export const USER_EVENT_TYPES: readonly UserEvent['type'][] = [
  'UserProvisioned',
  'UserAttributesChanged',
  'UserDeactivated',
  'UserReactivated',
  'UserDeleted',
];

export const userStreamId = (userId: string) => `user-${userId}`;
