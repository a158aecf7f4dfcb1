import type { JsonValue } from '../../domain/json';
import { primaryEmail, type UserAttributes } from '../../domain/users/attributes';
import { ScimError, scimErrors } from '../errors';
import { ATTRIBUTE_VALUE_LIMITS, extensionDefinition } from '../patch/apply-patch';
import { COMMON_ATTRIBUTES, USER_SCHEMA, USER_SCHEMA_ID, findAttribute, type AttributeDefinition } from '../schemas';

export interface UserRequest {
  readonly attributes: UserAttributes;
  /** Undefined when the body has no `active`: POST then creates an active user, PUT keeps the current state. */
  readonly active?: boolean;
  /** Attributes the schemas do not know, as written (`adreses`, `name.nick`, an unknown extension URN): ignored, for the log. */
  readonly ignored: readonly string[];
}

export interface UserRequestOptions {
  readonly method: 'POST' | 'PUT';
  /** The id in the URL of a PUT. */
  readonly id?: string;
}

const CORE_ATTRIBUTES: readonly AttributeDefinition[] = [...COMMON_ATTRIBUTES, ...USER_SCHEMA.attributes];

/**
 * RFC 7643 §4.1 and §4.3: a POST or PUT body as the attributes a user stores, walked against the
 * schema data. Names become the schema's case; null means absent (RFC 7643 §2.5); read-only
 * attributes and the password are dropped (RFC 7643 §7); Entra's `"True"`/`"False"` become booleans
 * and its bare manager id becomes `{ value }`; a single value of a multi-valued attribute is wrapped.
 * Attributes and sub-attributes the schemas do not know (a misspelt name, an unknown extension)
 * are ignored and listed in `ignored`, as Microsoft's reference server does.
 * @throws ScimError 400 `invalidSyntax` (not an object, wrong `schemas`, a name given twice),
 *   `invalidValue` (wrong type, too long, missing userName or email, two primary values) or
 *   `mutability` (a PUT whose id is not the URL's).
 */
export function parseUserRequest(body: unknown, options: UserRequestOptions): UserRequest {
  if (!isObject(body)) throw scimErrors.invalidSyntax('a User must be a JSON object');
  const attributes: Record<string, JsonValue> = {};
  let active: boolean | undefined;
  const seen = new Set<string>();
  const ignored: string[] = [];
  for (const [key, value] of Object.entries(body)) {
    if (key.toLowerCase() === 'schemas') {
      checkSchemas(value);
      continue;
    }
    const definition = extensionDefinition('User', key) ?? findAttribute(CORE_ATTRIBUTES, key);
    if (definition === undefined) {
      ignored.push(key);
      continue;
    }
    if (seen.has(definition.name)) throw scimErrors.invalidSyntax(`${quote(definition.name)} is given twice`);
    seen.add(definition.name);
    if (definition.name === 'id') {
      checkId(value, options);
      continue;
    }
    // RFC 7643 §7: read-only values a client sends are ignored; this service stores no passwords.
    if (definition.mutability === 'readOnly' || definition.mutability === 'writeOnly') continue;
    const parsed = parseValue(definition, value, definition.name, ignored);
    if (parsed === undefined) continue;
    if (definition.name === 'active') active = parsed as boolean;
    else attributes[definition.name] = parsed;
  }
  if (typeof attributes.userName !== 'string' || attributes.userName.trim() === '') throw scimErrors.invalidValue('userName is required');
  if (primaryEmail(attributes) === undefined) throw scimErrors.invalidValue('an email is required (emails[].value)');
  const user = attributes as UserAttributes;
  return active === undefined ? { attributes: user, ignored } : { attributes: user, active, ignored };
}

function checkSchemas(value: unknown): void {
  if (value === null) return;
  if (!Array.isArray(value) || !value.every((schema) => typeof schema === 'string')) {
    throw scimErrors.invalidSyntax(`schemas must be an array holding '${USER_SCHEMA_ID}'`);
  }
  if (!value.some((schema: string) => schema.toLowerCase() === USER_SCHEMA_ID.toLowerCase())) {
    throw scimErrors.invalidSyntax(`schemas must hold '${USER_SCHEMA_ID}'`);
  }
}

/** RFC 7644 §3.5.1: `id` is the server's; a PUT may repeat it, never change it. */
function checkId(value: unknown, { method, id }: UserRequestOptions): void {
  if (method !== 'PUT' || id === undefined || value === null) return;
  if (typeof value === 'string' && value.toLowerCase() === id.toLowerCase()) return;
  throw scimErrors.mutability(`id is immutable: the body's id ${describe(value)} is not ${quote(id)}`);
}

/** The attribute's value as stored, or undefined for "absent"; unknown sub-attributes are added to `ignored`. */
function parseValue(definition: AttributeDefinition, value: unknown, label: string, ignored: string[]): JsonValue | undefined {
  if (value === null) return undefined;
  if (!definition.multiValued) return parseSingle(definition, value, label, ignored);
  const items = Array.isArray(value) ? value : [value];
  if (items.length > ATTRIBUTE_VALUE_LIMITS.maxValues) {
    throw scimErrors.invalidValue(`${quote(label)} holds at most ${ATTRIBUTE_VALUE_LIMITS.maxValues} values`);
  }
  const values = items.flatMap((item) => {
    const parsed = parseSingle(definition, item, label, ignored);
    return parsed === undefined ? [] : [parsed];
  });
  // RFC 7643 §2.4
  if (values.filter((item) => isObject(item) && item.primary === true).length > 1) {
    throw scimErrors.invalidValue(`only one value of ${quote(label)} may be primary`);
  }
  return values.length === 0 ? undefined : values;
}

function parseSingle(definition: AttributeDefinition, value: unknown, label: string, ignored: string[]): JsonValue | undefined {
  if (value === null) return undefined;
  switch (definition.type) {
    case 'complex':
      return parseComplex(definition, value, label, ignored);
    case 'boolean':
      if (typeof value === 'boolean') return value;
      // Entra: "True", "False".
      if (typeof value === 'string' && /^(true|false)$/i.test(value)) return value.toLowerCase() === 'true';
      throw mismatch(label, 'true or false', value);
    case 'string':
    case 'reference':
    case 'binary':
    case 'dateTime':
      if (typeof value !== 'string') throw mismatch(label, 'a string', value);
      if (value.length > ATTRIBUTE_VALUE_LIMITS.maxStringLength) {
        throw scimErrors.invalidValue(`${quote(label)} is longer than ${ATTRIBUTE_VALUE_LIMITS.maxStringLength} characters`);
      }
      return value;
    case 'integer':
      if (typeof value !== 'number' || !Number.isSafeInteger(value)) throw mismatch(label, 'an integer', value);
      return value;
    case 'decimal':
      if (typeof value !== 'number' || !Number.isFinite(value)) throw mismatch(label, 'a number', value);
      return value;
    default: {
      const _never: never = definition.type;
      return _never;
    }
  }
}

function parseComplex(definition: AttributeDefinition, input: unknown, label: string, ignored: string[]): JsonValue | undefined {
  const subAttributes = definition.subAttributes ?? [];
  // Entra sends the enterprise manager as its id alone.
  const value = typeof input === 'string' && !definition.multiValued && findAttribute(subAttributes, 'value') ? { value: input } : input;
  if (!isObject(value)) {
    throw mismatch(label, `an object with sub-attributes (${subAttributes.map((sub) => sub.name).join(', ')})`, value);
  }
  const result: Record<string, JsonValue> = {};
  const seen = new Set<string>();
  for (const [key, item] of Object.entries(value)) {
    const sub = findAttribute(subAttributes, key);
    const isExtension = extensionDefinition('User', definition.name) === definition;
    if (sub === undefined) {
      if (!ignored.includes(`${label}${isExtension ? ':' : '.'}${key}`)) ignored.push(`${label}${isExtension ? ':' : '.'}${key}`);
      continue;
    }
    const subLabel = isExtension ? `${definition.name}:${sub.name}` : `${label}.${sub.name}`;
    if (seen.has(sub.name)) throw scimErrors.invalidSyntax(`${quote(subLabel)} is given twice`);
    seen.add(sub.name);
    if (sub.mutability === 'readOnly' || sub.mutability === 'writeOnly') continue;
    const parsed = parseValue(sub, item, subLabel, ignored);
    if (parsed !== undefined) result[sub.name] = parsed;
  }
  return Object.keys(result).length === 0 ? undefined : result;
}

function mismatch(label: string, expected: string, value: unknown): ScimError {
  return scimErrors.invalidValue(`${quote(label)} must be ${expected}; got ${describe(value)}`);
}

function describe(value: unknown): string {
  if (Array.isArray(value)) return 'an array';
  if (value === null) return 'null';
  if (typeof value === 'object') return 'an object';
  if (typeof value === 'string') return `the string ${quote(value)}`;
  return `${typeof value} ${String(value)}`;
}

function isObject(value: unknown): value is { readonly [key: string]: unknown } {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function quote(text: string): string {
  return `'${text.length > 80 ? `${text.slice(0, 80)}…` : text}'`;
}
