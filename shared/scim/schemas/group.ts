import { attribute, complexAttribute, type SchemaDefinition } from './definitions';

export const GROUP_SCHEMA_ID = 'urn:ietf:params:scim:schemas:core:2.0:Group';

/**
 * RFC 7643 §4.2 and §8.7.1, as this service enforces it: `displayName` is required and unique
 * (case-insensitive); members are users only (nested groups are not supported).
 */
export const GROUP_SCHEMA: SchemaDefinition = {
  id: GROUP_SCHEMA_ID,
  name: 'Group',
  description: 'Group',
  attributes: [
    attribute('displayName', 'A human-readable name for the Group.', { required: true, uniqueness: 'server' }),
    complexAttribute(
      'members',
      'A list of members of the Group: users, by their SCIM id.',
      [
        attribute('value', 'Identifier of the member of this Group.', { caseExact: true, mutability: 'immutable' }),
        attribute('$ref', 'The URI of the User that is a member of this Group.', {
          type: 'reference',
          referenceTypes: ['User'],
          caseExact: true,
          mutability: 'immutable',
        }),
        attribute('display', "A human-readable name for the member: the member's userName.", { mutability: 'readOnly' }),
        attribute('type', "The type of the member: always 'User' (groups do not nest).", {
          canonicalValues: ['User'],
          mutability: 'immutable',
        }),
      ],
      { multiValued: true },
    ),
  ],
};
