import { COMMON_ATTRIBUTES } from './common';
import type { AttributeDefinition, ResourceTypeId } from './definitions';
import { RESOURCE_TYPES, findSchema } from './resource-types';

/** An attribute reference as written in a filter or PATCH path: `[schema ":"] attribute ["." subAttribute]`. */
export interface AttributePathReference {
  readonly schema?: string;
  readonly attribute: string;
  readonly subAttribute?: string;
}

export interface ResolvedAttributePath {
  /** The schema that defines the attribute (the resource type's core schema for `id`, `externalId`, `meta`). */
  readonly schemaId: string;
  readonly attribute: AttributeDefinition;
  readonly subAttribute?: AttributeDefinition;
  readonly isExtension: boolean;
}

/** RFC 7643 §2.1: attribute names are case-insensitive. */
export function findAttribute(
  attributes: readonly AttributeDefinition[],
  name: string,
): AttributeDefinition | undefined {
  const wanted = name.toLowerCase();
  return attributes.find((candidate) => candidate.name.toLowerCase() === wanted);
}

/**
 * Resolves a path against a resource type's schemas, or undefined when it names nothing.
 * Without a schema URN only the core schema (and the common attributes) is searched:
 * RFC 7644 §3.10 has clients fully qualify extension attributes.
 */
export function resolveAttributePath(
  resourceType: ResourceTypeId,
  path: AttributePathReference,
): ResolvedAttributePath | undefined {
  const definition = RESOURCE_TYPES[resourceType];
  const schemaId = path.schema === undefined ? definition.schema : schemaOf(resourceType, path.schema);
  if (schemaId === undefined) return undefined;
  const schema = findSchema(schemaId);
  if (schema === undefined) return undefined;

  const isExtension = schemaId !== definition.schema;
  const candidates = isExtension ? schema.attributes : [...COMMON_ATTRIBUTES, ...schema.attributes];
  const attribute = findAttribute(candidates, path.attribute);
  if (attribute === undefined) return undefined;
  if (path.subAttribute === undefined) return { schemaId, attribute, isExtension };

  const subAttribute = findAttribute(attribute.subAttributes ?? [], path.subAttribute);
  if (subAttribute === undefined) return undefined;
  return { schemaId, attribute, subAttribute, isExtension };
}

/** The canonical id of the core or extension schema `urn` names for this resource type. */
function schemaOf(resourceType: ResourceTypeId, urn: string): string | undefined {
  const definition = RESOURCE_TYPES[resourceType];
  const wanted = urn.toLowerCase();
  return [definition.schema, ...definition.schemaExtensions.map((extension) => extension.schema)].find(
    (id) => id.toLowerCase() === wanted,
  );
}
