import { ENTERPRISE_USER_URN } from '../../../shared/domain/users/attributes';
import type { JsonDocument } from '../../../shared/domain/json';
import { GROUP_SCHEMA_ID, USER_SCHEMA_ID } from '../../../shared/scim/schemas';
import { versionOf } from './responses';

export type ScimResource = { readonly [key: string]: unknown };

/** Where resources live, e.g. `https://scim.example.com/scim/v2`: meta.location and $ref use it. */
export type BaseUrl = string;

/** A user as both the write side (aggregate state) and the read model can describe it. */
export interface UserView {
  readonly id: string;
  readonly attributes: JsonDocument;
  readonly active: boolean;
  readonly revision: bigint;
  readonly created: string;
  readonly lastModified: string;
  /** Direct group memberships; undefined when not known (rendered without `groups`). */
  readonly groups?: readonly { readonly id: string; readonly displayName: string }[];
}

export interface GroupView {
  readonly id: string;
  readonly displayName: string;
  readonly externalId?: string;
  readonly revision: bigint;
  readonly created: string;
  readonly lastModified: string;
  /** Undefined when not loaded (excludedAttributes=members). */
  readonly members?: readonly { readonly id: string; readonly userName: string }[];
}

const byValue = (a: { id: string }, b: { id: string }) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);

export function renderUser(user: UserView, baseUrl: BaseUrl): ScimResource {
  const { userName, ...rest } = user.attributes;
  const groups = user.groups && user.groups.length > 0 ? [...user.groups].sort(byValue) : undefined;
  return {
    schemas: ENTERPRISE_USER_URN in user.attributes ? [USER_SCHEMA_ID, ENTERPRISE_USER_URN] : [USER_SCHEMA_ID],
    id: user.id,
    userName,
    ...rest,
    active: user.active,
    ...(groups ? { groups: groups.map((g) => ({ value: g.id, display: g.displayName, $ref: `${baseUrl}/Groups/${g.id}`, type: 'direct' })) } : {}),
    meta: {
      resourceType: 'User',
      created: user.created,
      lastModified: user.lastModified,
      location: `${baseUrl}/Users/${user.id}`,
      version: versionOf(user.revision),
    },
  };
}

/** Members as `{ value, display, $ref, type }`, ordered by value so every rendering agrees. */
export function renderGroup(group: GroupView, baseUrl: BaseUrl): ScimResource {
  return {
    schemas: [GROUP_SCHEMA_ID],
    id: group.id,
    displayName: group.displayName,
    ...(group.externalId === undefined ? {} : { externalId: group.externalId }),
    ...(group.members
      ? {
          members: [...group.members]
            .sort(byValue)
            .map((m) => ({ value: m.id, display: m.userName, $ref: `${baseUrl}/Users/${m.id}`, type: 'User' })),
        }
      : {}),
    meta: {
      resourceType: 'Group',
      created: group.created,
      lastModified: group.lastModified,
      location: `${baseUrl}/Groups/${group.id}`,
      version: versionOf(group.revision),
    },
  };
}
