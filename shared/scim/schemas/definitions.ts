/** RFC 7643 §2.3: the data types an attribute may have. */
export type AttributeType =
  | 'string'
  | 'boolean'
  | 'decimal'
  | 'integer'
  | 'dateTime'
  | 'reference'
  | 'complex'
  | 'binary';

export type Mutability = 'readOnly' | 'readWrite' | 'immutable' | 'writeOnly';
export type Returned = 'always' | 'never' | 'default' | 'request';
export type Uniqueness = 'none' | 'server' | 'global';

/** RFC 7643 §7: an attribute's characteristics, as `/Schemas` publishes them. */
export interface AttributeDefinition {
  readonly name: string;
  readonly type: AttributeType;
  readonly multiValued: boolean;
  readonly description: string;
  readonly required: boolean;
  readonly caseExact: boolean;
  readonly mutability: Mutability;
  readonly returned: Returned;
  readonly uniqueness: Uniqueness;
  readonly subAttributes?: readonly AttributeDefinition[];
  readonly canonicalValues?: readonly string[];
  readonly referenceTypes?: readonly string[];
}

/** RFC 7643 §7: a schema resource. */
export interface SchemaDefinition {
  readonly id: string;
  readonly name: string;
  readonly description: string;
  readonly attributes: readonly AttributeDefinition[];
}

export type ResourceTypeId = 'User' | 'Group';

/** RFC 7643 §6: a resource type. */
export interface ResourceTypeDefinition {
  readonly id: ResourceTypeId;
  readonly name: string;
  readonly endpoint: '/Users' | '/Groups';
  readonly description: string;
  readonly schema: string;
  readonly schemaExtensions: readonly { readonly schema: string; readonly required: boolean }[];
}

type Characteristics = Partial<Omit<AttributeDefinition, 'name' | 'description'>>;

/** A definition with RFC 7643 §2.2's defaults: a single-valued, optional, case-insensitive, read-write string. */
export function attribute(name: string, description: string, characteristics: Characteristics = {}): AttributeDefinition {
  return {
    name,
    type: 'string',
    multiValued: false,
    description,
    required: false,
    caseExact: false,
    mutability: 'readWrite',
    returned: 'default',
    uniqueness: 'none',
    ...characteristics,
  };
}

/** A complex attribute; its sub-attributes are given whole. */
export function complexAttribute(
  name: string,
  description: string,
  subAttributes: readonly AttributeDefinition[],
  characteristics: Omit<Characteristics, 'type' | 'subAttributes'> = {},
): AttributeDefinition {
  return attribute(name, description, { ...characteristics, type: 'complex', subAttributes });
}
