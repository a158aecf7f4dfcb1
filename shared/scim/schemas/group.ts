import { attribute, complexAttribute, type SchemaDefinition } from './definitions';

export const GROUP_SCHEMA_ID = 'urn:ietf:params:scim:schemas:core:2.0:Group';

/** RFC 7643 §4.2 and §8.7.1; `displayName` is required and unique here (scim-behaviour.md). */
export const GROUP_SCHEMA: SchemaDefinition = {
  id: GROUP_SCHEMA_ID,
  name: 'Group',
  description: 'Group',
  attributes: [
    attribute('displayName', 'A human-readable name for the Group.', { required: true, uniqueness: 'server' }),
    complexAttribute(
      'members',
      'A list of members of the Group.',
      [
        attribute('value', 'Identifier of the member of this Group.', { caseExact: true, mutability: 'immutable' }),
        attribute('$ref', 'The URI corresponding to a SCIM resource that is a member of this Group.', {
          type: 'reference',
          referenceTypes: ['User', 'Group'],
          caseExact: true,
          mutability: 'immutable',
        }),
        attribute('display', "A human-readable name for the member: the member's userName.", { mutability: 'readOnly' }),
        attribute('type', 'A label indicating the type of resource, e.g., \'User\' or \'Group\'.', {
          canonicalValues: ['User', 'Group'],
          mutability: 'immutable',
        }),
      ],
      { multiValued: true },
    ),
  ],
};
