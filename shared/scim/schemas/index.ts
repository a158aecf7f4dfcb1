export * from './definitions';
export { COMMON_ATTRIBUTES } from './common';
export { USER_SCHEMA, USER_SCHEMA_ID } from './user';
export { ENTERPRISE_USER_SCHEMA, ENTERPRISE_USER_SCHEMA_ID } from './enterprise-user';
export { GROUP_SCHEMA, GROUP_SCHEMA_ID } from './group';
export { GROUP_RESOURCE_TYPE, RESOURCE_TYPES, SCHEMAS, USER_RESOURCE_TYPE, findSchema } from './resource-types';
export { findAttribute, resolveAttributePath } from './resolve';
export type { AttributePathReference, ResolvedAttributePath } from './resolve';
