import type { ResourceTypeDefinition, ResourceTypeId, SchemaDefinition } from './definitions';
import { ENTERPRISE_USER_SCHEMA, ENTERPRISE_USER_SCHEMA_ID } from './enterprise-user';
import { GROUP_SCHEMA, GROUP_SCHEMA_ID } from './group';
import { USER_SCHEMA, USER_SCHEMA_ID } from './user';

/** RFC 7643 §6. */
export const USER_RESOURCE_TYPE: ResourceTypeDefinition = {
  id: 'User',
  name: 'User',
  endpoint: '/Users',
  description: 'User Account',
  schema: USER_SCHEMA_ID,
  schemaExtensions: [{ schema: ENTERPRISE_USER_SCHEMA_ID, required: false }],
};

export const GROUP_RESOURCE_TYPE: ResourceTypeDefinition = {
  id: 'Group',
  name: 'Group',
  endpoint: '/Groups',
  description: 'Group',
  schema: GROUP_SCHEMA_ID,
  schemaExtensions: [],
};

export const RESOURCE_TYPES: Readonly<Record<ResourceTypeId, ResourceTypeDefinition>> = {
  User: USER_RESOURCE_TYPE,
  Group: GROUP_RESOURCE_TYPE,
};

/** Every schema the service publishes at `/Schemas`. */
export const SCHEMAS: readonly SchemaDefinition[] = [USER_SCHEMA, GROUP_SCHEMA, ENTERPRISE_USER_SCHEMA];

/** The schema with this id, compared case-insensitively; undefined when the service has none. */
export function findSchema(id: string): SchemaDefinition | undefined {
  const wanted = id.toLowerCase();
  return SCHEMAS.find((schema) => schema.id.toLowerCase() === wanted);
}
