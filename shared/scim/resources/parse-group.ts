import { ScimError, scimErrors } from '../errors';
import { ATTRIBUTE_VALUE_LIMITS } from '../patch/apply-patch';
import { COMMON_ATTRIBUTES, GROUP_SCHEMA, GROUP_SCHEMA_ID, findAttribute, type AttributeDefinition } from '../schemas';

export interface GroupRequest {
  readonly displayName?: string;
  readonly externalId?: string;
  /** Undefined when the body has no `members` (PUT then keeps the roster); duplicates are left to the domain. */
  readonly memberIds?: string[];
  /** Attributes the schema does not know, as written (WSO2's `members.displayName`): ignored, for the log. */
  readonly ignored: readonly string[];
}

export interface GroupRequestOptions {
  readonly method: 'POST' | 'PUT';
  /** The id in the URL of a PUT. */
  readonly id?: string;
}

/**
 * The domain answers a roster over its limit (1,000) with 413; far larger ones are refused here,
 * before they are held as commands and events.
 */
export const MAX_MEMBERS_IN_REQUEST = 10_000;

const GROUP_ATTRIBUTES: readonly AttributeDefinition[] = [...COMMON_ATTRIBUTES, ...GROUP_SCHEMA.attributes];

/**
 * RFC 7643 §4.2: a POST or PUT body as the group's fields. Names are case-insensitive; null means
 * absent; read-only attributes are ignored; a member is its `value` (a user id), with `display`
 * ignored and `$ref` and `type` (which must be `User`) accepted. Attributes and member
 * sub-attributes the schema does not know are ignored and listed in `ignored`.
 * @throws ScimError 400 `invalidSyntax` (not an object, wrong `schemas`, a name given twice),
 *   `invalidValue` (wrong type, missing displayName on POST, a member that is no user id),
 *   `mutability` (a PUT whose id is not the URL's); 413 for more than 10,000 members.
 */
export function parseGroupRequest(body: unknown, options: GroupRequestOptions): GroupRequest {
  if (!isObject(body)) throw scimErrors.invalidSyntax('a Group must be a JSON object');
  let displayName: string | undefined;
  let externalId: string | undefined;
  let memberIds: string[] | undefined;
  const seen = new Set<string>();
  const ignored = new Set<string>();
  for (const [key, value] of Object.entries(body)) {
    if (key.toLowerCase() === 'schemas') {
      checkSchemas(value);
      continue;
    }
    const definition = findAttribute(GROUP_ATTRIBUTES, key);
    if (definition === undefined) {
      ignored.add(key);
      continue;
    }
    if (seen.has(definition.name)) throw scimErrors.invalidSyntax(`${quote(definition.name)} is given twice`);
    seen.add(definition.name);
    switch (definition.name) {
      case 'id':
        checkId(value, options);
        break;
      case 'displayName':
        displayName = parseString(value, 'displayName');
        break;
      case 'externalId':
        externalId = parseString(value, 'externalId');
        break;
      case 'members':
        memberIds = parseMembers(value, ignored);
        break;
      default:
        // RFC 7643 §7: read-only attributes (meta) a client sends are ignored.
        break;
    }
  }
  if (options.method === 'POST' && (displayName === undefined || displayName.trim() === '')) {
    throw scimErrors.invalidValue('displayName is required');
  }
  return {
    ...(displayName === undefined ? {} : { displayName }),
    ...(externalId === undefined ? {} : { externalId }),
    ...(memberIds === undefined ? {} : { memberIds }),
    ignored: [...ignored],
  };
}

function checkSchemas(value: unknown): void {
  if (value === null) return;
  if (!Array.isArray(value) || !value.every((schema) => typeof schema === 'string')) {
    throw scimErrors.invalidSyntax(`schemas must be an array holding '${GROUP_SCHEMA_ID}'`);
  }
  if (!value.some((schema: string) => schema.toLowerCase() === GROUP_SCHEMA_ID.toLowerCase())) {
    throw scimErrors.invalidSyntax(`schemas must hold '${GROUP_SCHEMA_ID}'`);
  }
}

/** RFC 7644 §3.5.1: `id` is the server's; a PUT may repeat it, never change it. */
function checkId(value: unknown, { method, id }: GroupRequestOptions): void {
  if (method !== 'PUT' || id === undefined || value === null) return;
  if (typeof value === 'string' && value.toLowerCase() === id.toLowerCase()) return;
  throw scimErrors.mutability(`id is immutable: the body's id ${describe(value)} is not ${quote(id)}`);
}

function parseString(value: unknown, label: string): string | undefined {
  if (value === null) return undefined;
  if (typeof value !== 'string') throw scimErrors.invalidValue(`${quote(label)} must be a string; got ${describe(value)}`);
  if (value.length > ATTRIBUTE_VALUE_LIMITS.maxStringLength) {
    throw scimErrors.invalidValue(`${quote(label)} is longer than ${ATTRIBUTE_VALUE_LIMITS.maxStringLength} characters`);
  }
  return value;
}

function parseMembers(value: unknown, ignored: Set<string>): string[] | undefined {
  if (value === null) return undefined;
  // Be liberal: a single member object stands for a roster of one.
  const members = Array.isArray(value) ? value : [value];
  if (members.length > MAX_MEMBERS_IN_REQUEST) {
    throw new ScimError(413, undefined, `a request may list at most ${MAX_MEMBERS_IN_REQUEST} members; this one lists ${members.length}`);
  }
  return members.map((member, index) => parseMember(member, `members[${index}]`, ignored));
}

function parseMember(member: unknown, label: string, ignored: Set<string>): string {
  if (!isObject(member)) throw scimErrors.invalidValue(`${label} must be an object such as { "value": "<user id>" }; got ${describe(member)}`);
  let id: string | undefined;
  const seen = new Set<string>();
  for (const [key, item] of Object.entries(member)) {
    const sub = findAttribute(MEMBER_SUB_ATTRIBUTES, key);
    if (sub === undefined) {
      ignored.add(`members.${key}`);
      continue;
    }
    if (seen.has(sub.name)) throw scimErrors.invalidSyntax(`${label}.${sub.name} is given twice`);
    seen.add(sub.name);
    switch (sub.name) {
      case 'value':
        if (typeof item !== 'string' || item.trim() === '') {
          throw scimErrors.invalidValue(`${label}.value must be a user id; got ${describe(item)}`);
        }
        id = item;
        break;
      case 'type':
        if (item !== null && !(typeof item === 'string' && item.toLowerCase() === 'user')) {
          throw scimErrors.invalidValue(`${label}.type must be 'User': only users can be members; got ${describe(item)}`);
        }
        break;
      case '$ref':
        // Entra sends "$ref": null.
        if (item !== null && typeof item !== 'string') throw scimErrors.invalidValue(`${label}.$ref must be a URI; got ${describe(item)}`);
        break;
      default:
        // `display` is read-only: the member's userName, derived by the service.
        break;
    }
  }
  if (id === undefined) throw scimErrors.invalidValue(`${label}.value is required: the member's user id`);
  return id;
}

const MEMBER_SUB_ATTRIBUTES: readonly AttributeDefinition[] = findAttribute(GROUP_SCHEMA.attributes, 'members')?.subAttributes ?? [];

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
