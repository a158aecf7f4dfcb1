import {
  COMMON_ATTRIBUTES,
  ENTERPRISE_USER_SCHEMA,
  GROUP_SCHEMA,
  USER_SCHEMA,
  type AttributeDefinition,
  type ResourceTypeId,
} from '../../shared/scim/schemas';

/** One attribute path of a resource type, as a client writes it, with the definitions it names. */
export interface SchemaPath {
  /** `userName`, `name.givenName`, `urn:...:enterprise:2.0:User:manager.value`. */
  readonly path: string;
  readonly attribute: AttributeDefinition;
  readonly subAttribute?: AttributeDefinition;
  /** The extension's URN for extension attributes. */
  readonly extension?: string;
}

/**
 * Every attribute and sub-attribute path the published schemas give a resource type (RFC 7643
 * §3.1 common attributes, the core schema, and for Users the enterprise extension, URN-qualified):
 * the whole input space of anything that takes an attribute path.
 */
export function everySchemaPath(resourceType: ResourceTypeId): readonly SchemaPath[] {
  const core = resourceType === 'User' ? USER_SCHEMA : GROUP_SCHEMA;
  const paths: SchemaPath[] = [];
  const add = (attributes: readonly AttributeDefinition[], extension?: string) => {
    for (const attribute of attributes) {
      const name = extension ? `${extension}:${attribute.name}` : attribute.name;
      paths.push({ path: name, attribute, ...(extension ? { extension } : {}) });
      for (const subAttribute of attribute.subAttributes ?? []) {
        paths.push({ path: `${name}.${subAttribute.name}`, attribute, subAttribute, ...(extension ? { extension } : {}) });
      }
    }
  };
  add(COMMON_ATTRIBUTES);
  add(core.attributes);
  if (resourceType === 'User') add(ENTERPRISE_USER_SCHEMA.attributes, ENTERPRISE_USER_SCHEMA.id);
  return paths;
}

/** The paths whose value (or, for a sub-attribute path, the sub-attribute's value) is a string a client may write. */
export function writableStringPaths(resourceType: ResourceTypeId): readonly SchemaPath[] {
  const isString = (definition: AttributeDefinition) => definition.type === 'string' || definition.type === 'reference' || definition.type === 'binary';
  const writable = (definition: AttributeDefinition) => definition.mutability !== 'readOnly';
  return everySchemaPath(resourceType).filter(({ attribute, subAttribute }) =>
    subAttribute ? writable(attribute) && writable(subAttribute) && isString(subAttribute) : writable(attribute) && isString(attribute),
  );
}

/**
 * A resource body fragment that puts `value` at `schemaPath`, and the JSONPath-like location of
 * that value (`$.name.givenName`, `$.emails[0].value`, `$["urn:...:User"].manager.value`).
 */
export function bodyWith(schemaPath: SchemaPath, value: unknown): { body: Record<string, unknown>; location: string } {
  const { attribute, subAttribute, extension } = schemaPath;
  const key = (name: string) => (/^[A-Za-z_$][\w$]*$/.test(name) ? `.${name}` : `[${JSON.stringify(name)}]`);
  let inner: unknown = value;
  let location = '';
  if (subAttribute) {
    inner = attribute.multiValued ? [{ [subAttribute.name]: value }] : { [subAttribute.name]: value };
    location = `${attribute.multiValued ? '[0]' : ''}${key(subAttribute.name)}`;
  } else if (attribute.multiValued) {
    inner = [value];
    location = '[0]';
  }
  location = `${key(attribute.name)}${location}`;
  if (!extension) return { body: { [attribute.name]: inner }, location: `$${location}` };
  return { body: { [extension]: { [attribute.name]: inner } }, location: `$${key(extension)}${location}` };
}
