import type { GroupState } from '../../../shared/domain/groups/state';
import { ENTERPRISE_USER_URN } from '../../../shared/domain/users/attributes';
import type { UserState } from '../../../shared/domain/users/state';
import { versionOf } from './responses';

export const USER_SCHEMA = 'urn:ietf:params:scim:schemas:core:2.0:User';
export const GROUP_SCHEMA = 'urn:ietf:params:scim:schemas:core:2.0:Group';

export type ScimResource = { readonly [key: string]: unknown };

/** Where resources live, e.g. `https://scim.example.com/scim/v2`: meta.location and $ref use it. */
export type BaseUrl = string;

type ExistingUser = Extract<UserState, { status: 'Active' | 'Deactivated' }>;
type ActiveGroup = Extract<GroupState, { status: 'Active' }>;

export function renderUser(state: ExistingUser, revision: bigint, baseUrl: BaseUrl): ScimResource {
  const { userName, ...rest } = state.attributes;
  return {
    schemas: ENTERPRISE_USER_URN in state.attributes ? [USER_SCHEMA, ENTERPRISE_USER_URN] : [USER_SCHEMA],
    id: state.userId,
    userName,
    ...rest,
    active: state.status === 'Active',
    meta: {
      resourceType: 'User',
      created: state.created,
      lastModified: state.lastModified,
      location: `${baseUrl}/Users/${state.userId}`,
      version: versionOf(revision),
    },
  };
}

/** Members as `{ value, display, $ref, type }`; a member whose user is gone is not shown. */
export function renderGroup(state: ActiveGroup, revision: bigint, baseUrl: BaseUrl, userNames: ReadonlyMap<string, string>): ScimResource {
  return {
    schemas: [GROUP_SCHEMA],
    id: state.groupId,
    displayName: state.displayName,
    ...(state.externalId === undefined ? {} : { externalId: state.externalId }),
    members: state.memberIds
      .filter((id) => userNames.has(id))
      .map((id) => ({ value: id, display: userNames.get(id), $ref: `${baseUrl}/Users/${id}`, type: 'User' })),
    meta: {
      resourceType: 'Group',
      created: state.created,
      lastModified: state.lastModified,
      location: `${baseUrl}/Groups/${state.groupId}`,
      version: versionOf(revision),
    },
  };
}
