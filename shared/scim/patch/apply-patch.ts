import { jsonEqual, type JsonDocument, type JsonValue } from '../../domain/json';
import { ScimError, scimErrors } from '../errors';
import { printFilter, resolveFilter, type ResolvedCompareFilter, type ResolvedFilter } from '../filter';
import { parsePatchPath, type PatchPath } from '../patch-path';
import {
  COMMON_ATTRIBUTES,
  GROUP_SCHEMA,
  RESOURCE_TYPES,
  complexAttribute,
  findAttribute,
  findSchema,
  resolveAttributePath,
  type AttributeDefinition,
  type ResourceTypeId,
} from '../schemas';
import type { PatchOperation } from './operation';

/** Sanity limits on what a client may store in one attribute; group `members` is bounded by the domain (413). */
export const ATTRIBUTE_VALUE_LIMITS = { maxStringLength: 2048, maxValues: 100 } as const;

/**
 * Where an operation writes, resolved against the resource type's schemas. A whole extension
 * (`urn:...:enterprise:2.0:User`) is a single-valued complex attribute keyed by its URN, whose
 * sub-attributes are the extension's attributes.
 */
export interface PatchTarget {
  /** Canonical text for messages: `name.givenName`, `urn:...:User:manager.value`, `emails[type eq "work"].value`. */
  readonly label: string;
  /** The extension (as its complex attribute) whose object holds `attribute`; undefined for core attributes and whole extensions. */
  readonly extension?: AttributeDefinition;
  readonly attribute: AttributeDefinition;
  readonly subAttribute?: AttributeDefinition;
  /** The bracketed value filter, checked and typed by the filter resolver. */
  readonly filter?: ResolvedFilter;
}

type Node = Record<string, unknown>;
type Mode = 'add' | 'replace';

/** What applyPatch knows of the resource beyond its document. */
export interface PatchSubject {
  /** The resource's `id`: a path-less add/replace may repeat it (RFC 7644 §3.5.2 lets Okta send the whole group back). */
  readonly id?: string;
}

/**
 * RFC 7644 §3.5.2: applies PATCH operations, in order, to a copy of a SCIM document (no id, meta or
 * schemas). Atomic: the first failing operation throws its error, naming `Operations[i]`, and
 * nothing is applied. The input is never mutated. In a path-less add/replace value, `schemas` and
 * `meta` are ignored and `id` is ignored when it is `subject.id` (read-only values repeated as
 * they are); a complex attribute or extension given as an object sets only the sub-attributes it
 * names (RFC 7644 §3.5.2.3).
 * @throws ScimError 400 (`invalidPath`, `invalidValue`, `mutability` — also for an `id` other than
 *   the resource's —, `noTarget`).
 */
export function applyPatch(document: JsonDocument, operations: readonly PatchOperation[], resourceType: ResourceTypeId, subject: PatchSubject = {}): JsonDocument {
  const working = structuredClone(document) as Node;
  operations.forEach((operation, index) => {
    try {
      applyOperation(working, operation, resourceType, subject);
    } catch (error) {
      throw error instanceof ScimError ? error.inOperation(index) : error;
    }
  });
  return working as JsonDocument;
}

/**
 * Resolves a parsed PATCH path to the attribute it names.
 * @throws ScimError 400 `invalidPath` when it names nothing, or its value filter does not fit the attribute.
 */
export function resolvePatchTarget(path: PatchPath, resourceType: ResourceTypeId): PatchTarget {
  const written = printPath(path);
  const { schema, attribute: name, subAttribute: subName, filter, filterSubAttribute } = path;
  if (schema !== undefined && subName === undefined && filter === undefined) {
    // parsePatchPath splits at the last ':', so a bare extension URN arrives as schema `...:2.0`, attribute `User`.
    const extension = extensionDefinition(resourceType, `${schema}:${name}`);
    if (extension !== undefined) return { label: extension.name, attribute: extension };
  }
  const resolved = resolveAttributePath(resourceType, {
    ...(schema === undefined ? {} : { schema }),
    attribute: name,
    ...(subName === undefined ? {} : { subAttribute: subName }),
  });
  if (resolved === undefined) throw scimErrors.invalidPath(`unknown attribute ${quote(written)} for resource type ${resourceType}`);
  const { attribute } = resolved;
  const extension = resolved.isExtension ? extensionDefinition(resourceType, resolved.schemaId) : undefined;
  const prefix = extension === undefined ? '' : `${extension.name}:`;
  if (filter === undefined) {
    const label = `${prefix}${attribute.name}${resolved.subAttribute === undefined ? '' : `.${resolved.subAttribute.name}`}`;
    return { label, attribute, ...(extension === undefined ? {} : { extension }), ...(resolved.subAttribute ? { subAttribute: resolved.subAttribute } : {}) };
  }

  if (!attribute.multiValued || attribute.type !== 'complex') {
    throw scimErrors.invalidPath(`${quote(written)}: only a multi-valued complex attribute takes a value filter '[...]'`);
  }
  let resolvedFilter: ResolvedFilter;
  try {
    const valuePath = resolveFilter({ kind: 'valuePath', path: { ...(schema === undefined ? {} : { schema }), attribute: name }, filter }, resourceType);
    resolvedFilter = valuePath.kind === 'valuePath' ? valuePath.filter : valuePath;
  } catch (error) {
    if (error instanceof ScimError && error.scimType === 'invalidFilter') {
      throw scimErrors.invalidPath(`invalid path ${quote(written)}: ${error.detail}`);
    }
    throw error;
  }
  const subAttribute = filterSubAttribute === undefined ? undefined : findAttribute(attribute.subAttributes ?? [], filterSubAttribute);
  if (filterSubAttribute !== undefined && subAttribute === undefined) {
    throw scimErrors.invalidPath(`unknown sub-attribute ${quote(filterSubAttribute)} of ${quote(`${prefix}${attribute.name}`)}`);
  }
  const label = `${prefix}${attribute.name}[${printFilter(filter)}]${subAttribute === undefined ? '' : `.${subAttribute.name}`}`;
  return {
    label,
    attribute,
    filter: resolvedFilter,
    ...(extension === undefined ? {} : { extension }),
    ...(subAttribute === undefined ? {} : { subAttribute }),
  };
}

/**
 * A key of a path-less add/replace value (RFC 7644 §3.5.2.1): an attribute name, a dotted or
 * URN-qualified path, or an extension URN. Undefined for `schemas` and `meta` (or a sub-attribute
 * of it): read-only values a client repeats from a GET, ignored.
 * @throws ScimError 400 `invalidPath`.
 */
export function resolveValueKey(key: string, resourceType: ResourceTypeId): PatchTarget | undefined {
  if (key.toLowerCase() === 'schemas') return undefined;
  const target = resolvePatchTarget(parsePatchPath(key), resourceType);
  return target.attribute === META ? undefined : target;
}

/** The extension's attributes as one complex attribute named by its URN, or undefined if `urn` is no extension of the type. */
export function extensionDefinition(resourceType: ResourceTypeId, urn: string): AttributeDefinition | undefined {
  const wanted = urn.toLowerCase();
  return extensionDefinitions(resourceType).find((definition) => definition.name.toLowerCase() === wanted);
}

const EXTENSION_DEFINITIONS: Readonly<Record<ResourceTypeId, readonly AttributeDefinition[]>> = {
  User: buildExtensionDefinitions('User'),
  Group: buildExtensionDefinitions('Group'),
};

function extensionDefinitions(resourceType: ResourceTypeId): readonly AttributeDefinition[] {
  return EXTENSION_DEFINITIONS[resourceType];
}

function buildExtensionDefinitions(resourceType: ResourceTypeId): AttributeDefinition[] {
  return RESOURCE_TYPES[resourceType].schemaExtensions.flatMap(({ schema: id }) => {
    const schema = findSchema(id);
    return schema === undefined ? [] : [complexAttribute(schema.id, schema.description, schema.attributes)];
  });
}

function isExtensionObject(definition: AttributeDefinition): boolean {
  return Object.values(EXTENSION_DEFINITIONS).some((definitions) => definitions.includes(definition));
}

const MEMBERS = findAttribute(GROUP_SCHEMA.attributes, 'members');
const ID = findAttribute(COMMON_ATTRIBUTES, 'id');
const META = findAttribute(COMMON_ATTRIBUTES, 'meta');

/** A group member's identity is its `value`; `display`, `$ref` and `type` are not stored. */
function isMembers(definition: AttributeDefinition): boolean {
  return definition === MEMBERS;
}

// ---------------------------------------------------------------------------------------------
// Operations

function applyOperation(root: Node, operation: PatchOperation, resourceType: ResourceTypeId, subject: PatchSubject): void {
  const { op, path, value } = operation;
  if (op !== 'add' && op !== 'replace' && op !== 'remove') {
    throw scimErrors.invalidSyntax(`op must be add, replace or remove; got ${describe(op)}`);
  }
  if (op !== 'remove' && value === undefined) throw scimErrors.invalidValue(`${op} needs a value`);
  if (path === undefined) {
    // RFC 7644 §3.5.2.2
    if (op === 'remove') throw scimErrors.noTarget('remove needs a path');
    if (!isObject(value)) throw scimErrors.invalidValue(`a path-less ${op} needs an object value whose keys name attributes`);
    for (const [key, item] of Object.entries(value)) {
      const target = resolveValueKey(key, resourceType);
      if (target === undefined || repeatsId(target, item, subject)) continue;
      applyAt(root, target, op, item);
    }
    return;
  }
  applyAt(root, resolvePatchTarget(parsePatchPath(path), resourceType), op, value);
}

/** `id` with the resource's own value: a read-only value repeated unchanged (RFC 7644 §3.5.2: only a change is a mutability error). */
function repeatsId(target: PatchTarget, value: JsonValue, subject: PatchSubject): boolean {
  if (target.attribute !== ID || target.subAttribute !== undefined) return false;
  if (subject.id !== undefined && typeof value === 'string' && value.toLowerCase() === subject.id.toLowerCase()) return true;
  throw scimErrors.mutability(`'id' is read-only: ${describe(value)} is not this resource's id`);
}

function applyAt(root: Node, target: PatchTarget, op: 'add' | 'replace' | 'remove', value: JsonValue | undefined): void {
  const { attribute, subAttribute, label } = target;
  if (attribute.mutability === 'readOnly' || subAttribute?.mutability === 'readOnly') {
    throw scimErrors.mutability(`${quote(label)} is read-only`);
  }
  // `password` (writeOnly): this service never stores passwords, so writing one changes nothing.
  if (attribute.mutability === 'writeOnly' || subAttribute?.mutability === 'writeOnly') return;

  const { extension } = target;
  let container: Node | undefined = root;
  if (extension !== undefined) {
    const existing = read(root, extension);
    container = isObject(existing) ? existing : op === 'remove' || value === null ? undefined : {};
  }
  if (container === undefined) return;

  // RFC 7643 §2.5: null is unassigned, so writing null removes.
  if (op === 'remove' || value === null) removeAt(container, target, op === 'remove' ? value : undefined);
  else writeAt(container, target, op, value as JsonValue);

  if (extension !== undefined) setOrErase(root, extension, container);
}

function writeAt(container: Node, target: PatchTarget, mode: Mode, value: JsonValue): void {
  const { attribute, subAttribute, filter, label } = target;
  if (filter !== undefined) return writeFiltered(container, target, filter, mode, value);
  if (subAttribute === undefined) return assign(container, attribute, normalize(attribute, value, label), mode, label);

  const normalized = normalize(subAttribute, value, label);
  if (!attribute.multiValued) {
    const current = read(container, attribute);
    const parent = isObject(current) ? current : {};
    assign(parent, subAttribute, normalized, mode, label);
    return setOrErase(container, attribute, parent);
  }
  // A sub-attribute of a multi-valued attribute without a filter: every value's sub-attribute.
  const elements = objectsIn(read(container, attribute));
  if (elements.length === 0) throw scimErrors.noTarget(`${quote(label)}: ${quote(attribute.name)} has no values`);
  for (const element of elements) assign(element, subAttribute, structuredClone(normalized), mode, label);
  tidyElements(container, attribute, valuesOf(read(container, attribute)), new Set(elements), label);
}

/** RFC 7644 §3.5.2.1 and §3.5.2.3 with a value filter: `emails[type eq "work"]`, `emails[type eq "work"].value`. */
function writeFiltered(container: Node, target: PatchTarget, filter: ResolvedFilter, mode: Mode, value: JsonValue): void {
  const { attribute, subAttribute, label } = target;
  // A member's sub-attribute passes the checks an added member does (only users can be members).
  if (isMembers(attribute) && subAttribute !== undefined) normalizeComplex(attribute, { [subAttribute.name]: value }, label);
  const normalized = subAttribute === undefined ? normalizeOne(attribute, value, label) : normalize(subAttribute, value, label);
  const writeInto = (element: Node) => {
    if (subAttribute !== undefined) return assign(element, subAttribute, structuredClone(normalized), mode, label);
    for (const [key, item] of Object.entries(normalized as Node)) {
      const definition = findAttribute(attribute.subAttributes ?? [], key) as AttributeDefinition;
      assign(element, definition, item as JsonValue, mode, `${label}.${definition.name}`);
    }
  };

  const current = read(container, attribute);
  const elements: unknown[] = Array.isArray(current) ? current : [];
  const matched = elements.filter((element): element is Node => isObject(element) && matches(filter, element));
  if (matched.length > 0) {
    matched.forEach(writeInto);
    return tidyElements(container, attribute, elements, new Set(matched), label);
  }

  // Entra maps `emails[type eq "work"].value` and expects the work email to be created when there is
  // none; RFC 7644 §3.5.2.3 otherwise asks for noTarget when a replace filter matches nothing, and
  // so does a replace of a member's sub-attribute: a replace never makes a user a member.
  const seedsOnReplace = subAttribute !== undefined && !isMembers(attribute);
  const seed = seedsOnReplace || mode === 'add' ? equalitiesOf(filter) : undefined;
  if (seed === undefined) throw scimErrors.noTarget(`${quote(label)} matches no value`);
  const element = stripNulls(normalizeOne(attribute, seed, label)) as Node;
  writeInto(element);
  tidyElements(container, attribute, [...elements, element], new Set([element]), label);
}

function removeAt(container: Node, target: PatchTarget, value: JsonValue | undefined): void {
  const { attribute, subAttribute, filter, label } = target;
  const current = read(container, attribute);
  if (filter !== undefined) {
    if (!Array.isArray(current)) return;
    if (subAttribute === undefined) {
      return setOrErase(container, attribute, current.filter((element) => !(isObject(element) && matches(filter, element))));
    }
    for (const element of current) if (isObject(element) && matches(filter, element)) unassign(element, subAttribute, label);
    return tidyElements(container, attribute, current, new Set(), label);
  }
  if (subAttribute === undefined) {
    if (attribute.multiValued && value !== undefined && value !== null) return removeListed(container, attribute, value, label);
    return unassign(container, attribute, label);
  }
  if (!attribute.multiValued) {
    if (!isObject(current)) return;
    unassign(current, subAttribute, label);
    return setOrErase(container, attribute, current);
  }
  for (const element of objectsIn(current)) unassign(element, subAttribute, label);
  tidyElements(container, attribute, valuesOf(current), new Set(), label);
}

/**
 * Entra removes members as `{ op: remove, path: members, value: [{ value: id }] }`: exactly the listed
 * values go, matched by `value` (members always; others when the listed value has one) or whole.
 */
function removeListed(container: Node, attribute: AttributeDefinition, value: JsonValue, label: string): void {
  const listed = (Array.isArray(value) ? value : [value]).map((item): Node => {
    if (typeof item === 'string') return { value: item };
    if (isObject(item)) return item;
    throw scimErrors.invalidValue(`${quote(label)}: each value to remove must be an object such as { "value": "..." }`);
  });
  const valueDefinition = findAttribute(attribute.subAttributes ?? [], 'value');
  const listedIds = new Set(listed.map(memberId));
  const isListed = (element: unknown) =>
    isMembers(attribute)
      ? memberId(element) !== undefined && listedIds.has(memberId(element))
      : listed.some((item) => {
          const wanted = readKey(item, 'value');
          if (wanted !== undefined && valueDefinition !== undefined && isObject(element)) {
            return sameScalar(readKey(element, 'value'), wanted, valueDefinition.caseExact);
          }
          return jsonEqual(element, item);
        });
  const current = read(container, attribute);
  if (!Array.isArray(current)) return;
  setOrErase(container, attribute, current.filter((element) => !isListed(element)));
}

// ---------------------------------------------------------------------------------------------
// Writing one attribute of one object

/** Writes a normalized value (nulls mean "unassign") to `definition` on `node`, by add or replace rules. */
function assign(node: Node, definition: AttributeDefinition, value: JsonValue, mode: Mode, label: string): void {
  if (value === null) return unassign(node, definition, label);
  if (definition.multiValued) {
    // An empty member is kept so that the roster check rejects it.
    const incoming = (value as JsonValue[]).map(stripNulls).filter((item) => isMembers(definition) || !isEmpty(item)) as unknown[];
    const result = mode === 'add' ? valuesOf(read(node, definition)) : [];
    // RFC 7644 §3.5.2.1: adding a value that is already there changes nothing. Members are told
    // apart by id through a set: a roster change may list thousands of them.
    const memberIds = isMembers(definition) ? new Set(result.map(memberId)) : undefined;
    for (const item of incoming) {
      if (memberIds === undefined) {
        if (!result.some((existing) => jsonEqual(existing, item))) result.push(item);
        continue;
      }
      const id = memberId(item);
      if (id !== undefined && memberIds.has(id)) continue;
      if (id !== undefined) memberIds.add(id);
      result.push(item);
    }
    enforceSinglePrimary(definition, result, new Set(incoming), label);
    return setOrErase(node, definition, result);
  }
  if (definition.type === 'complex') {
    // RFC 7644 §3.5.2.1/§3.5.2.3: sub-attributes merge, those not given stay — for `name`, the
    // manager and a whole extension alike, by add or by replace.
    const current = read(node, definition);
    const target = isObject(current) ? current : {};
    for (const [key, item] of Object.entries(value as Node)) {
      const sub = findAttribute(definition.subAttributes ?? [], key) as AttributeDefinition;
      assign(target, sub, item as JsonValue, mode, childLabel(definition, label, sub));
    }
    return setOrErase(node, definition, target);
  }
  checkImmutable(definition, read(node, definition), value, label);
  write(node, definition, value);
}

function unassign(node: Node, definition: AttributeDefinition, label: string): void {
  checkImmutable(definition, read(node, definition), undefined, label);
  if (definition.multiValued) return setOrErase(node, definition, []);
  erase(node, definition);
}

/** RFC 7643 §7: an immutable attribute, once set, keeps its value. */
function checkImmutable(definition: AttributeDefinition, current: unknown, next: unknown, label: string): void {
  if (definition.mutability !== 'immutable' || current === undefined || current === null) return;
  if (!jsonEqual(current, next)) throw scimErrors.mutability(`${quote(label)} is immutable and already set`);
}

/** Writes back a multi-valued attribute after element edits: empty elements dropped, one primary kept. */
function tidyElements(node: Node, definition: AttributeDefinition, elements: readonly unknown[], changed: ReadonlySet<unknown>, label: string): void {
  const remaining = elements.filter((element) => !isEmpty(element));
  enforceSinglePrimary(definition, remaining, changed, label);
  setOrErase(node, definition, remaining);
}

/** RFC 7643 §2.4: at most one value is primary; a newly written primary value takes the flag from the others. */
function enforceSinglePrimary(definition: AttributeDefinition, elements: unknown[], changed: ReadonlySet<unknown>, label: string): void {
  if (findAttribute(definition.subAttributes ?? [], 'primary') === undefined) return;
  const primaries = elements.filter((element): element is Node => isObject(element) && readKey(element, 'primary') === true);
  if (primaries.length <= 1) return;
  const fresh = primaries.filter((element) => changed.has(element));
  if (fresh.length > 1) throw scimErrors.invalidValue(`only one value of ${quote(label)} may be primary`);
  if (fresh.length === 0) return;
  for (const element of primaries) {
    if (element !== fresh[0]) eraseKey(element, 'primary');
  }
}

/** A member's identity: its `value` (case-exact), undefined when it has none. */
function memberId(member: unknown): string | undefined {
  const id = isObject(member) ? readKey(member, 'value') : undefined;
  return typeof id === 'string' ? id : undefined;
}

function sameScalar(a: unknown, b: unknown, caseExact: boolean): boolean {
  if (typeof a === 'string' && typeof b === 'string') return caseExact ? a === b : a.toLowerCase() === b.toLowerCase();
  return a !== undefined && jsonEqual(a, b);
}

/** An empty array stands for an unassigned attribute (RFC 7643 §2.5), except a group's roster, always present. */
function setOrErase(node: Node, definition: AttributeDefinition, value: unknown): void {
  if (isMembers(definition) && Array.isArray(value) && !value.every((member) => isObject(member) && typeof member.value === 'string')) {
    throw scimErrors.invalidValue(`each value of 'members' needs a string value: the member's id`);
  }
  if (isEmpty(value) && !(Array.isArray(value) && isMembers(definition))) erase(node, definition);
  else write(node, definition, value);
}

// ---------------------------------------------------------------------------------------------
// Values: checked against the schema, names made canonical; the boundary already converted Entra's strings.

/** A value of the attribute as a whole: an array for a multi-valued attribute (a single value is wrapped). */
function normalize(definition: AttributeDefinition, value: unknown, label: string): JsonValue {
  if (value === null) return null;
  if (!definition.multiValued) return normalizeOne(definition, value, label);
  const items = Array.isArray(value) ? value : [value];
  if (!isMembers(definition) && items.length > ATTRIBUTE_VALUE_LIMITS.maxValues) {
    throw scimErrors.invalidValue(`${quote(label)} holds at most ${ATTRIBUTE_VALUE_LIMITS.maxValues} values`);
  }
  return items.map((item) => {
    if (item === null) throw scimErrors.invalidValue(`${quote(label)} cannot hold a null value`);
    return normalizeOne(definition, item, label);
  });
}

/** One value (for a multi-valued attribute, one element); null sub-attributes are kept, meaning "unassign". */
function normalizeOne(definition: AttributeDefinition, value: unknown, label: string): JsonValue {
  switch (definition.type) {
    case 'complex':
      return normalizeComplex(definition, value, label);
    case 'string':
    case 'reference':
    case 'binary':
    case 'dateTime':
      if (typeof value !== 'string') throw mismatch(label, 'a string', value);
      if (value.length > ATTRIBUTE_VALUE_LIMITS.maxStringLength) {
        throw scimErrors.invalidValue(`${quote(label)} is longer than ${ATTRIBUTE_VALUE_LIMITS.maxStringLength} characters`);
      }
      return value;
    case 'boolean':
      if (typeof value !== 'boolean') throw mismatch(label, 'true or false', value);
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

function normalizeComplex(definition: AttributeDefinition, value: unknown, label: string): JsonValue {
  const subAttributes = definition.subAttributes ?? [];
  if (!isObject(value)) {
    throw mismatch(label, `an object with sub-attributes (${subAttributes.map((sub) => sub.name).join(', ')})`, value);
  }
  const result: Node = {};
  for (const [key, item] of Object.entries(value)) {
    const sub = findAttribute(subAttributes, key);
    // As in POST and PUT bodies, a sub-attribute the schema does not know (WSO2's
    // members[].displayName) is ignored; an unknown attribute named by a path is invalidPath.
    if (sub === undefined) continue;
    if (Object.hasOwn(result, sub.name)) throw scimErrors.invalidValue(`${quote(childLabel(definition, label, sub))} is given twice`);
    if (isMembers(definition)) {
      if (sub.name === 'type' && item !== null && !(typeof item === 'string' && item.toLowerCase() === 'user')) {
        throw scimErrors.invalidValue(`${quote(label)}: only users can be members; got type ${describe(item)}`);
      }
      if (sub.name !== 'value') continue;
    }
    // RFC 7643 §7: read-only sub-attributes sent by a client (members' display, manager.displayName) are ignored.
    if (sub.mutability === 'readOnly' || sub.mutability === 'writeOnly') continue;
    result[sub.name] = item === null ? null : normalize(sub, item, childLabel(definition, label, sub));
  }
  return result as JsonValue;
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

function childLabel(definition: AttributeDefinition, label: string, sub: AttributeDefinition): string {
  return isExtensionObject(definition) ? `${definition.name}:${sub.name}` : `${label}.${sub.name}`;
}

function stripNulls(value: JsonValue): JsonValue {
  if (!isObject(value)) return value;
  const result: Node = {};
  for (const [key, item] of Object.entries(value)) {
    if (item === null) continue;
    const stripped = stripNulls(item as JsonValue);
    if (!isEmpty(stripped)) result[key] = stripped;
  }
  return result as JsonValue;
}

// ---------------------------------------------------------------------------------------------
// Value filters, evaluated on one value of a multi-valued attribute

function matches(filter: ResolvedFilter, element: Node): boolean {
  switch (filter.kind) {
    case 'and':
      return matches(filter.left, element) && matches(filter.right, element);
    case 'or':
      return matches(filter.left, element) || matches(filter.right, element);
    case 'not':
      return !matches(filter.filter, element);
    case 'present':
      return isPresent(subValue(element, filter.target.subAttribute));
    case 'compare':
      return compare(subValue(element, filter.target.subAttribute), filter);
    case 'valuePath':
      // The filter resolver rejects value paths inside a value filter.
      return false;
    default: {
      const _never: never = filter;
      return _never;
    }
  }
}

function subValue(element: Node, sub: AttributeDefinition | undefined): unknown {
  return sub === undefined ? undefined : readKey(element, sub.name);
}

/** RFC 7644 §3.4.2.2 `pr`: a value that is not null, empty or missing. */
function isPresent(value: unknown): boolean {
  return value !== undefined && value !== null && value !== '' && !isEmpty(value);
}

function compare(actual: unknown, filter: ResolvedCompareFilter): boolean {
  const { op, target } = filter;
  const comparable = (value: unknown): string | number | boolean | undefined => {
    switch (target.type) {
      case 'boolean':
        return typeof value === 'boolean' ? value : undefined;
      case 'integer':
      case 'decimal':
        return typeof value === 'number' ? value : undefined;
      case 'dateTime': {
        const time = typeof value === 'string' ? Date.parse(value) : NaN;
        return Number.isNaN(time) ? undefined : time;
      }
      default:
        if (typeof value !== 'string') return undefined;
        return target.caseExact ? value : value.toLowerCase();
    }
  };
  const left = comparable(actual);
  const right = comparable(filter.value);
  if (left === undefined || right === undefined) return op === 'ne';
  switch (op) {
    case 'eq':
      return left === right;
    case 'ne':
      return left !== right;
    case 'co':
      return typeof left === 'string' && left.includes(String(right));
    case 'sw':
      return typeof left === 'string' && left.startsWith(String(right));
    case 'ew':
      return typeof left === 'string' && left.endsWith(String(right));
    case 'gt':
      return left > right;
    case 'ge':
      return left >= right;
    case 'lt':
      return left < right;
    case 'le':
      return left <= right;
    default: {
      const _never: never = op;
      return _never;
    }
  }
}

/** `type eq "work" and primary eq true` as `{ type: 'work', primary: true }`; undefined for any other filter. */
function equalitiesOf(filter: ResolvedFilter): Node | undefined {
  if (filter.kind === 'compare') {
    const sub = filter.target.subAttribute;
    return filter.op === 'eq' && sub !== undefined ? { [sub.name]: filter.value } : undefined;
  }
  if (filter.kind !== 'and') return undefined;
  const left = equalitiesOf(filter.left);
  const right = equalitiesOf(filter.right);
  if (left === undefined || right === undefined) return undefined;
  const conflicting = Object.keys(right).some((key) => Object.hasOwn(left, key) && !jsonEqual(left[key], right[key]));
  return conflicting ? undefined : { ...left, ...right };
}

// ---------------------------------------------------------------------------------------------
// Objects whose keys may be in any case: RFC 7643 §2.1 makes attribute names case-insensitive.

function isObject(value: unknown): value is Node {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function isEmpty(value: unknown): boolean {
  return (Array.isArray(value) && value.length === 0) || (isObject(value) && Object.keys(value).length === 0);
}

/** A copy of the array (its elements shared), or [] for anything else. */
function valuesOf(value: unknown): unknown[] {
  return Array.isArray(value) ? [...(value as unknown[])] : [];
}

function objectsIn(value: unknown): Node[] {
  return Array.isArray(value) ? value.filter(isObject) : [];
}

function keyOf(node: Node, name: string): string | undefined {
  if (Object.hasOwn(node, name)) return name;
  const wanted = name.toLowerCase();
  return Object.keys(node).find((key) => key.toLowerCase() === wanted);
}

function readKey(node: Node, name: string): unknown {
  const key = keyOf(node, name);
  return key === undefined ? undefined : node[key];
}

function eraseKey(node: Node, name: string): void {
  for (let key = keyOf(node, name); key !== undefined; key = keyOf(node, name)) delete node[key];
}

function read(node: Node, definition: AttributeDefinition): unknown {
  return readKey(node, definition.name);
}

/** Stores under the schema's canonical name, replacing a key written in another case. */
function write(node: Node, definition: AttributeDefinition, value: unknown): void {
  const wanted = definition.name.toLowerCase();
  for (const key of Object.keys(node)) if (key !== definition.name && key.toLowerCase() === wanted) delete node[key];
  node[definition.name] = value;
}

function erase(node: Node, definition: AttributeDefinition): void {
  eraseKey(node, definition.name);
}

function printPath(path: PatchPath): string {
  const name = `${path.schema === undefined ? '' : `${path.schema}:`}${path.attribute}`;
  if (path.filter !== undefined) {
    return `${name}[${printFilter(path.filter)}]${path.filterSubAttribute === undefined ? '' : `.${path.filterSubAttribute}`}`;
  }
  return path.subAttribute === undefined ? name : `${name}.${path.subAttribute}`;
}

function quote(text: string): string {
  return `'${text.length > 80 ? `${text.slice(0, 80)}…` : text}'`;
}
