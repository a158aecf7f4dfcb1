import { scimErrors } from '../errors';
import {
  findAttribute,
  resolveAttributePath,
  type AttributeDefinition,
  type AttributeType,
  type ResourceTypeId,
} from '../schemas';
import type { AttrPath, CompareFilter, CompareOperator, FilterAst } from './ast';
import { printAttrPath, printValue } from './printer';

/** The schema definitions behind a path in a filter: what the SQL compiler compiles against. */
export interface ResolvedAttribute {
  readonly schemaId: string;
  readonly isExtension: boolean;
  /** The top-level attribute; inside a value path, the multi-valued attribute the brackets follow. */
  readonly attribute: AttributeDefinition;
  /** The sub-attribute: written (`name.givenName`), implied (`emails eq` means `emails.value eq`) or bracketed (`emails[type eq ...]`). */
  readonly subAttribute?: AttributeDefinition;
  /** The compared attribute's type and case rule: the sub-attribute's when there is one. */
  readonly type: AttributeType;
  readonly caseExact: boolean;
  /** Whether the top-level attribute holds several values, any one of which may match. */
  readonly multiValued: boolean;
}

/**
 * A comparison checked against its attribute's type. `value` is converted to that type: a string for
 * string, reference and binary attributes; a boolean for booleans (`"True"` becomes `true`); a number
 * for integer and decimal; an ISO 8601 UTC string (`toISOString()`) for dateTime.
 */
export interface ResolvedCompareFilter {
  readonly kind: 'compare';
  readonly path: AttrPath;
  readonly op: CompareOperator;
  readonly value: string | number | boolean;
  readonly target: ResolvedAttribute;
}

export interface ResolvedPresentFilter {
  readonly kind: 'present';
  readonly path: AttrPath;
  readonly target: ResolvedAttribute;
}

export interface ResolvedAndFilter {
  readonly kind: 'and';
  readonly left: ResolvedFilter;
  readonly right: ResolvedFilter;
}

export interface ResolvedOrFilter {
  readonly kind: 'or';
  readonly left: ResolvedFilter;
  readonly right: ResolvedFilter;
}

export interface ResolvedNotFilter {
  readonly kind: 'not';
  readonly filter: ResolvedFilter;
}

/** Every condition in `filter` must hold for one and the same value of `target.attribute`. */
export interface ResolvedValuePathFilter {
  readonly kind: 'valuePath';
  readonly path: AttrPath;
  readonly target: ResolvedAttribute;
  readonly filter: ResolvedFilter;
}

export type ResolvedFilter =
  | ResolvedCompareFilter
  | ResolvedPresentFilter
  | ResolvedAndFilter
  | ResolvedOrFilter
  | ResolvedNotFilter
  | ResolvedValuePathFilter;

interface ValuePathScope {
  readonly path: AttrPath;
  readonly target: ResolvedAttribute;
}

const ORDERING: readonly CompareOperator[] = ['gt', 'ge', 'lt', 'le'];
const SUBSTRING: readonly CompareOperator[] = ['co', 'sw', 'ew'];
const STRING_TYPES: readonly AttributeType[] = ['string', 'reference'];

/**
 * Checks every path and comparison of a parsed filter against the resource type's schemas
 * (RFC 7644 §3.4.2.2) and annotates it with their definitions.
 * @throws ScimError 400 `invalidFilter` naming the attribute and what is wrong with its use.
 */
export function resolveFilter(ast: FilterAst, resourceType: ResourceTypeId): ResolvedFilter {
  return resolveNode(ast, resourceType, undefined);
}

function resolveNode(ast: FilterAst, resourceType: ResourceTypeId, scope: ValuePathScope | undefined): ResolvedFilter {
  switch (ast.kind) {
    case 'compare': {
      const target = resolveTarget(ast.path, resourceType, scope, { impliesValue: true });
      return { kind: 'compare', path: ast.path, op: ast.op, value: checkComparison(ast, target, scope), target };
    }
    case 'present':
      // `emails pr` asks whether there is any email: no implied `value`.
      return { kind: 'present', path: ast.path, target: resolveTarget(ast.path, resourceType, scope, { impliesValue: false }) };
    case 'and':
    case 'or':
      return {
        kind: ast.kind,
        left: resolveNode(ast.left, resourceType, scope),
        right: resolveNode(ast.right, resourceType, scope),
      };
    case 'not':
      return { kind: 'not', filter: resolveNode(ast.filter, resourceType, scope) };
    case 'valuePath': {
      if (scope !== undefined) {
        throw scimErrors.invalidFilter(`value filters cannot be nested: ${quote(printAttrPath(ast.path))} inside ${quote(printAttrPath(scope.path))}`);
      }
      const target = resolveValuePathTarget(ast.path, resourceType);
      return { kind: 'valuePath', path: ast.path, target, filter: resolveNode(ast.filter, resourceType, { path: ast.path, target }) };
    }
    default: {
      const _never: never = ast;
      return _never;
    }
  }
}

/** RFC 7644 §3.4.2.2: `valuePath = attrPath "[" valFilter "]"`, attrPath a complex attribute. */
function resolveValuePathTarget(path: AttrPath, resourceType: ResourceTypeId): ResolvedAttribute {
  const written = printAttrPath(path);
  if (path.subAttribute !== undefined) {
    throw scimErrors.invalidFilter(`a value filter must follow an attribute, not a sub-attribute: ${quote(written)}`);
  }
  const resolved = resolveAttributePath(resourceType, path);
  if (resolved === undefined) throw unknownAttribute(written, resourceType);
  const { attribute } = resolved;
  if (attribute.type !== 'complex') {
    throw scimErrors.invalidFilter(`${quote(written)} is not a complex attribute; only complex attributes take a value filter '[...]'`);
  }
  return {
    schemaId: resolved.schemaId,
    isExtension: resolved.isExtension,
    attribute,
    type: attribute.type,
    caseExact: attribute.caseExact,
    multiValued: attribute.multiValued,
  };
}

function resolveTarget(
  path: AttrPath,
  resourceType: ResourceTypeId,
  scope: ValuePathScope | undefined,
  { impliesValue }: { impliesValue: boolean },
): ResolvedAttribute {
  const target = scope === undefined ? resolveTopLevel(path, resourceType, impliesValue) : resolveInScope(path, scope);
  const compared = target.subAttribute ?? target.attribute;
  if (target.attribute.returned === 'never' || compared.returned === 'never') {
    // A filter on a never-returned attribute (`password`) would let a client probe its value.
    throw scimErrors.invalidFilter(`attribute ${quote(label(target))} cannot be used in a filter`);
  }
  return target;
}

function resolveTopLevel(path: AttrPath, resourceType: ResourceTypeId, impliesValue: boolean): ResolvedAttribute {
  const resolved = resolveAttributePath(resourceType, path);
  if (resolved === undefined) throw unknownAttribute(printAttrPath(path), resourceType);
  const { attribute } = resolved;
  // RFC 7643 §2.4: a multi-valued attribute compared without a sub-attribute means its `value`.
  const implied =
    impliesValue && resolved.subAttribute === undefined && attribute.type === 'complex' && attribute.multiValued
      ? findAttribute(attribute.subAttributes ?? [], 'value')
      : undefined;
  const subAttribute = resolved.subAttribute ?? implied;
  const compared = subAttribute ?? attribute;
  return {
    schemaId: resolved.schemaId,
    isExtension: resolved.isExtension,
    attribute,
    ...(subAttribute === undefined ? {} : { subAttribute }),
    type: compared.type,
    caseExact: compared.caseExact,
    multiValued: attribute.multiValued,
  };
}

/** Inside `emails[...]`, a path names a sub-attribute of `emails`. */
function resolveInScope(path: AttrPath, scope: ValuePathScope): ResolvedAttribute {
  const parent = printAttrPath(scope.path);
  if (path.schema !== undefined || path.subAttribute !== undefined) {
    throw scimErrors.invalidFilter(
      `${quote(printAttrPath(path))} inside ${quote(`${parent}[...]`)} must be a sub-attribute name of ${quote(parent)}`,
    );
  }
  const subAttribute = findAttribute(scope.target.attribute.subAttributes ?? [], path.attribute);
  if (subAttribute === undefined) {
    throw scimErrors.invalidFilter(`unknown sub-attribute ${quote(path.attribute)} of ${quote(parent)}`);
  }
  return { ...scope.target, subAttribute, type: subAttribute.type, caseExact: subAttribute.caseExact };
}

/** RFC 7644 §3.4.2.2's operator rules, and the value converted to the attribute's type. */
function checkComparison(
  filter: CompareFilter,
  target: ResolvedAttribute,
  scope: ValuePathScope | undefined,
): string | number | boolean {
  const name = quote(scope === undefined ? label(target) : `${printAttrPath(scope.path)}.${target.subAttribute?.name ?? ''}`);
  const { op, value } = filter;
  const { type } = target;
  if (type === 'complex') {
    const subAttributes = (target.attribute.subAttributes ?? []).map((sub) => sub.name).join(', ');
    throw scimErrors.invalidFilter(`${name} is a complex attribute; compare one of its sub-attributes (${subAttributes})`);
  }
  if (ORDERING.includes(op) && (type === 'boolean' || type === 'binary')) {
    throw scimErrors.invalidFilter(`'${op}' cannot compare ${type} attribute ${name}`);
  }
  if (SUBSTRING.includes(op) && !STRING_TYPES.includes(type)) {
    throw scimErrors.invalidFilter(`'${op}' needs a string attribute; ${name} is ${type}`);
  }
  if (value === null) {
    throw scimErrors.invalidFilter(`${name} cannot be compared with null; test presence with 'pr' instead`);
  }
  const mismatch = (expected: string) =>
    scimErrors.invalidFilter(`${name} is ${type}: expected ${expected}, got ${printValue(value)}`);

  switch (type) {
    case 'string':
    case 'reference':
    case 'binary':
      if (typeof value === 'string') return value;
      // Unquoted values (Entra's `externalId eq 1234`) arrive as booleans or numbers; their text is what was meant.
      if (typeof value === 'boolean' || Number.isSafeInteger(value)) return String(value);
      throw mismatch('a quoted string');
    case 'boolean':
      if (typeof value === 'boolean') return value;
      // Entra sends booleans as strings, capitalised: "True", "False".
      if (typeof value === 'string' && /^(true|false)$/i.test(value)) return value.toLowerCase() === 'true';
      throw mismatch('true or false');
    case 'integer':
      if (typeof value === 'number' && Number.isInteger(value)) return value;
      throw mismatch('an integer');
    case 'decimal':
      if (typeof value === 'number') return value;
      throw mismatch('a number');
    case 'dateTime': {
      const instant = typeof value === 'string' ? parseDateTime(value) : undefined;
      if (instant === undefined) throw mismatch('an ISO 8601 date-time such as "2024-01-31T09:30:00Z"');
      // The read model's timestamptz holds more, but ISO 8601 text (and so the API) only years 1 to 9999.
      const year = instant.getUTCFullYear();
      if (year < 1 || year > 9999) {
        throw scimErrors.invalidFilter(`${name}: ${printValue(value)} is outside the date-times the service holds (years 0001 to 9999, UTC)`);
      }
      return instant.toISOString();
    }
    default: {
      const _never: never = type;
      return _never;
    }
  }
}

const DATE_TIME =
  /^(\d{4})-(\d{2})-(\d{2})(?:[Tt](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,9}))?)?)?(?:([Zz])|([+-])(\d{2}):?(\d{2}))?$/;

/**
 * RFC 7643 §2.3.5 (xsd:dateTime), leniently: the time may be left out (midnight) and so may the
 * zone (UTC). Returns the instant, or undefined for an impossible date. The zone offset may move the
 * instant out of the years 0001 to 9999 it was written in.
 */
function parseDateTime(text: string): Date | undefined {
  const match = DATE_TIME.exec(text);
  if (match === null) return undefined;
  const [, year, month, day, hour = '0', minute = '0', second = '0', fraction = '', , sign, offsetHours = '0', offsetMinutes = '0'] =
    match;
  const fields = { year: Number(year), month: Number(month), day: Number(day) };
  const time = { hour: Number(hour), minute: Number(minute), second: Number(second) };
  const offset = (sign === '-' ? -1 : 1) * (Number(offsetHours) * 60 + Number(offsetMinutes));
  if (time.hour > 23 || time.minute > 59 || time.second > 59 || Number(offsetHours) > 23 || Number(offsetMinutes) > 59) {
    return undefined;
  }
  const date = new Date(0);
  date.setUTCFullYear(fields.year, fields.month - 1, fields.day);
  if (date.getUTCFullYear() !== fields.year || date.getUTCMonth() !== fields.month - 1 || date.getUTCDate() !== fields.day) {
    return undefined;
  }
  const milliseconds = Number(fraction.padEnd(3, '0').slice(0, 3));
  date.setUTCHours(time.hour, time.minute - offset, time.second, milliseconds);
  return Number.isNaN(date.getTime()) ? undefined : date;
}

function unknownAttribute(written: string, resourceType: ResourceTypeId) {
  return scimErrors.invalidFilter(`unknown attribute ${quote(written)} for resource type ${resourceType}`);
}

/** The canonical name of a target, e.g. `name.givenName`, `urn:...:enterprise:2.0:User:manager.value`. */
function label(target: ResolvedAttribute): string {
  const name = target.subAttribute === undefined ? target.attribute.name : `${target.attribute.name}.${target.subAttribute.name}`;
  return target.isExtension ? `${target.schemaId}:${name}` : name;
}

function quote(text: string): string {
  return `'${text.length > 80 ? `${text.slice(0, 80)}…` : text}'`;
}
