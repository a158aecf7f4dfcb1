import { ScimError, scimErrors } from '../errors';
import { findAttribute, type AttributeDefinition, type AttributeType, type ResourceTypeId } from '../schemas';
import type { CompareOperator } from './ast';
import { parseFilter } from './parser';
import { resolveFilter, type ResolvedAttribute, type ResolvedFilter } from './resolve';

/** A top-level attribute kept in a column of its own. */
export interface ColumnMapping {
  readonly column: string;
  readonly sqlType: 'text' | 'uuid' | 'boolean' | 'timestamptz';
  readonly nullable: boolean;
}

/** One resource type's table in the read model, as the compiler sees it. */
export interface ResourceTableMapping {
  readonly table: string;
  /** Top-level attributes kept in columns, by SCIM attribute name; `id` (a uuid) is required. */
  readonly columns: { readonly id: ColumnMapping } & { readonly [attribute: string]: ColumnMapping };
  /** `meta.created` and `meta.lastModified` (timestamptz), and the stream revision behind `meta.version` (bigint). */
  readonly created: string;
  readonly lastModified: string;
  readonly revision: string;
  /** The boolean of a tombstone row: a deleted resource is no member of anything. */
  readonly deleted: string;
  /** The jsonb column holding every other client attribute (the extension under its URN); none: only columns filter. */
  readonly attributes?: string;
  /** The column a reference to this resource shows as `display` (a member's userName, a group's displayName). */
  readonly display: string;
}

/**
 * How the read model stores SCIM resources: all the filter compiler knows of its tables. Declared
 * beside the tables themselves (projections/scim/read-model-mapping.ts).
 */
export interface ScimReadModelMapping {
  readonly User: ResourceTableMapping;
  readonly Group: ResourceTableMapping;
  /** Group memberships, behind a User's `groups` and a Group's `members`: one row per (group, user). */
  readonly memberships: { readonly table: string; readonly group: string; readonly member: string };
}

/**
 * Where the compiled SQL runs: the read model's tables (`readModel`) in a Postgres schema (the live
 * one, or a rebuild's), the alias the query gives the resource's row (`u` for users, `g` for groups),
 * and the parameter list values are appended to. Placeholders are numbered after what `params`
 * already holds.
 */
export interface SqlOptions {
  readonly readModel: ScimReadModelMapping;
  readonly schema: string;
  readonly alias: string;
  readonly params: unknown[];
}

/**
 * Compiles a resolved RFC 7644 §3.4.2.2 filter to a boolean SQL expression over `options.alias`.
 * Every compared value becomes a `$n` placeholder (its value pushed to `options.params`); the only
 * text put into the SQL is table, column and JSON key names from `options.readModel` and the schemas.
 *
 * The expression is never NULL, so `not (...)` is the complement of its operand: `title ne "x"` and
 * `not (title eq "x")` match users without a title. A comparison on a multi-valued attribute holds
 * when one of its values matches (`ne`: when none equals the value, so an absent attribute matches),
 * and every condition in `emails[...]` applies to one and the same email.
 * Memberships count only between resources that are not deleted; leaving out the deleted rows of
 * the resource queried is the caller's (`NOT alias.deleted`).
 * Inner queries use aliases derived from `options.alias` (`u_e`, `u_gm`, `u_g`, `u_mu`).
 * @throws ScimError 400 `invalidFilter` for an attribute the read model cannot compare (`meta.location`, `$ref`).
 */
export function compileFilter(filter: ResolvedFilter, resourceType: ResourceTypeId, options: SqlOptions): string {
  return compileNode(filter, new ReadModel(resourceType, options), undefined);
}

/**
 * The sort keys of RFC 7644 §3.4.2.3, as an `ORDER BY` list without the keywords
 * (`lower(u.user_name) COLLATE "C" ASC, u.id ASC`). `sortBy` is checked by the filter resolver; a
 * multi-valued attribute sorts by its primary value, else its first; case-insensitive strings sort
 * by their lower-case form, all strings by code point (no locale). A missing value sorts last when
 * ascending and first when descending. `alias.id` always ends the list, so pages are stable. Without
 * `sortBy` resources come in creation order (`sortOrder` still applies).
 * @throws ScimError 400 `invalidValue` for an unknown or unsortable `sortBy`, or a `sortOrder` other
 * than `ascending` / `descending` (any case).
 */
export function compileSort(
  sortBy: string | undefined,
  sortOrder: string | undefined,
  resourceType: ResourceTypeId,
  options: SqlOptions,
): string {
  const direction = sortDirection(sortOrder);
  const model = new ReadModel(resourceType, options);
  const tieBreaker = `${model.column('id')} ${direction}`;
  if (sortBy === undefined || sortBy.trim() === '') return `${model.qualified(model.resource.created)} ${direction}, ${tieBreaker}`;
  return `${sortKeyOf(sortBy.trim(), model)} ${direction}, ${tieBreaker}`;
}

/** A value the SQL can compare: a typed column, a JSON node inside the attributes column, or a server constant. */
type Operand =
  | { readonly kind: 'column'; readonly sql: string; readonly sqlType: 'text' | 'uuid' | 'boolean' | 'timestamptz'; readonly nullable: boolean }
  | { readonly kind: 'json'; readonly json: string; readonly text: string }
  | { readonly kind: 'constant'; readonly value: string };

/** How a top-level attribute is stored: one value per row, or a collection (`emails`, `groups`, `members`). */
interface Field {
  /** The attribute itself (`undefined`) or one of its sub-attributes; for a collection, of one value. */
  operand(sub: AttributeDefinition | undefined): Operand;
}

interface Collection extends Field {
  /** True when `condition` (built from `operand`) holds for one of the values. */
  exists(condition: string): string;
  /** The sort key `key` computes, of the primary value, else the first (RFC 7644 §3.4.2.3). */
  sortValue(key: string): string;
}

function isCollection(field: Field): field is Collection {
  return 'exists' in field;
}

const SCHEMA_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
/** Table and column names of the mapping: written into the SQL as they are. */
const IDENTIFIER = /^[a-z_][a-z0-9_]*$/;
const ALIAS = /^[a-z_][a-z0-9_]*$/;
/** Attribute names and schema URNs: nothing that needs escaping inside a SQL string literal. */
const JSON_KEY = /^[A-Za-z0-9$_:.-]+$/;
/** How Postgres prints a uuid: an `eq` in this form can use the uuid column's index. */
const CANONICAL_UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

const SQL_COMPARISON: Readonly<Record<Exclude<CompareOperator, 'ne' | 'co' | 'sw' | 'ew'>, string>> = {
  eq: '=',
  gt: '>',
  ge: '>=',
  lt: '<',
  le: '<=',
};

/** The read model's tables for one resource type, under the names `options` gives them. */
class ReadModel {
  readonly alias: string;
  readonly resource: ResourceTableMapping;
  private readonly mapping: ScimReadModelMapping;
  private readonly schema: string;

  constructor(
    readonly resourceType: ResourceTypeId,
    private readonly options: SqlOptions,
  ) {
    if (!SCHEMA_NAME.test(options.schema)) throw new Error(`invalid read model schema name ${JSON.stringify(options.schema)}`);
    if (!ALIAS.test(options.alias)) throw new Error(`invalid row alias ${JSON.stringify(options.alias)}`);
    assertIdentifiers(options.readModel);
    this.schema = `"${options.schema}"`;
    this.alias = options.alias;
    this.mapping = options.readModel;
    this.resource = options.readModel[resourceType];
  }

  /** `alias.name`: a column of the queried resource's row. */
  qualified(name: string, alias = this.alias): string {
    return `${alias}.${name}`;
  }

  /** A mapped attribute's column on the queried row. */
  column(attribute: 'id'): string {
    return this.qualified(this.resource.columns[attribute].column);
  }

  /** Appends a value and returns its placeholder, cast so Postgres never has to guess its type. */
  param(value: unknown, sqlType: string): string {
    this.options.params.push(value);
    return `$${this.options.params.length}::${sqlType}`;
  }

  table(name: string): string {
    return `${this.schema}.${name}`;
  }

  field(target: ResolvedAttribute): Field {
    const { attribute } = target;
    if (!target.isExtension) {
      const name = attribute.name;
      if (name === 'meta') return this.meta();
      const column = Object.prototype.hasOwnProperty.call(this.resource.columns, name) ? this.resource.columns[name] : undefined;
      if (column !== undefined) return { operand: () => ({ kind: 'column', sqlType: column.sqlType, nullable: column.nullable, sql: this.qualified(column.column) }) };
      if (this.resourceType === 'User' && name === 'groups') return this.userGroups();
      if (this.resourceType === 'Group' && name === 'members') return this.groupMembers();
    }
    if (this.resource.attributes === undefined) {
      // Such a resource keeps no client attributes beyond its columns.
      throw scimErrors.invalidFilter(`attribute ${quote(printTarget(target))} cannot be used in a filter on ${this.resourceType}s`);
    }
    const attributes = this.qualified(this.resource.attributes);
    const base = target.isExtension ? jsonChild(attributes, target.schemaId) : attributes;
    return attribute.multiValued ? this.jsonArray(jsonChild(base, attribute.name), attribute) : jsonObjectField(base, attribute.name);
  }

  /** RFC 7643 §3.1 `meta`: timestamps and revision are columns; `location` needs the request's base URL. */
  private meta(): Field {
    const resourceType = this.resourceType;
    const created = this.qualified(this.resource.created);
    const lastModified = this.qualified(this.resource.lastModified);
    const revision = this.qualified(this.resource.revision);
    return {
      operand(sub) {
        // `meta pr`: every resource has one.
        if (sub === undefined) return { kind: 'constant', value: 'meta' };
        switch (sub.name) {
          case 'created':
            return { kind: 'column', sql: created, sqlType: 'timestamptz', nullable: false };
          case 'lastModified':
            return { kind: 'column', sql: lastModified, sqlType: 'timestamptz', nullable: false };
          case 'resourceType':
            return { kind: 'constant', value: resourceType };
          case 'version':
            // The weak ETag the API renders (RFC 7644 §3.14).
            return { kind: 'column', sql: `('W/"' || ${revision}::text || '"')`, sqlType: 'text', nullable: false };
          default:
            throw notInReadModel(`meta.${sub.name}`);
        }
      },
    };
  }

  /** A User's `groups`: derived from the memberships, never stored on the user. */
  private userGroups(): Collection {
    const { alias } = this;
    const { memberships, Group: groups } = this.mapping;
    const membership = `${alias}_gm`;
    const group = `${alias}_g`;
    const groupId = this.qualified(memberships.group, membership);
    const from =
      `${this.table(memberships.table)} ${membership} JOIN ${this.table(groups.table)} ${group} ` +
      `ON ${this.qualified(groups.columns.id.column, group)} = ${groupId} AND NOT ${this.qualified(groups.deleted, group)} ` +
      `WHERE ${this.qualified(memberships.member, membership)} = ${this.column('id')}`;
    return relationalCollection(from, (sub) => {
      // RFC 7643 §2.4: the collection itself, and its `value`, are the ids.
      if (sub === undefined) return { kind: 'column', sql: groupId, sqlType: 'uuid', nullable: false };
      switch (sub.name) {
        case 'value':
          return { kind: 'column', sql: groupId, sqlType: 'uuid', nullable: false };
        case 'display':
          return { kind: 'column', sql: this.qualified(groups.display, group), sqlType: 'text', nullable: false };
        case 'type':
          return { kind: 'constant', value: 'direct' };
        default:
          throw notInReadModel(`groups.${sub.name}`);
      }
    });
  }

  /** A Group's `members`: users, shown by their userName. */
  private groupMembers(): Collection {
    const { alias } = this;
    const { memberships, User: users } = this.mapping;
    const membership = `${alias}_gm`;
    const member = `${alias}_mu`;
    const userId = this.qualified(memberships.member, membership);
    const from =
      `${this.table(memberships.table)} ${membership} JOIN ${this.table(users.table)} ${member} ` +
      `ON ${this.qualified(users.columns.id.column, member)} = ${userId} AND NOT ${this.qualified(users.deleted, member)} ` +
      `WHERE ${this.qualified(memberships.group, membership)} = ${this.column('id')}`;
    return relationalCollection(from, (sub) => {
      // RFC 7643 §2.4: the collection itself, and its `value`, are the ids.
      if (sub === undefined) return { kind: 'column', sql: userId, sqlType: 'uuid', nullable: false };
      switch (sub.name) {
        case 'value':
          return { kind: 'column', sql: userId, sqlType: 'uuid', nullable: false };
        case 'display':
          return { kind: 'column', sql: this.qualified(users.display, member), sqlType: 'text', nullable: false };
        case 'type':
          return { kind: 'constant', value: 'User' };
        default:
          throw notInReadModel(`members.${sub.name}`);
      }
    });
  }

  /** A multi-valued attribute kept as a JSON array; anything else stored there counts as no values. */
  private jsonArray(array: string, attribute: AttributeDefinition): Collection {
    const element = `${this.alias}_e`;
    const elements = `jsonb_array_elements(CASE WHEN jsonb_typeof(${array}) = 'array' THEN ${array} ELSE '[]'::jsonb END)`;
    const operand = (sub: AttributeDefinition | undefined): Operand =>
      sub === undefined ? { kind: 'json', json: `${element}.v`, text: `(${element}.v #>> '{}')` } : jsonField(`${element}.v`, sub.name);
    const hasPrimary = findAttribute(attribute.subAttributes ?? [], 'primary') !== undefined;
    const primaryFirst = hasPrimary ? `COALESCE(${element}.v -> 'primary' = 'true'::jsonb, false) DESC, ` : '';
    return {
      operand,
      exists: (condition) => `EXISTS (SELECT 1 FROM ${elements} AS ${element}(v) WHERE ${condition})`,
      sortValue: (key) =>
        `(SELECT ${key} FROM ${elements} WITH ORDINALITY AS ${element}(v, n) ORDER BY ${primaryFirst}${element}.n LIMIT 1)`,
    };
  }
}

/** Every table and column name of the mapping, checked once: they go into the SQL unquoted. */
function assertIdentifiers(mapping: ScimReadModelMapping): void {
  const names = [mapping.memberships.table, mapping.memberships.group, mapping.memberships.member];
  for (const resource of [mapping.User, mapping.Group]) {
    names.push(resource.table, resource.created, resource.lastModified, resource.revision, resource.deleted, resource.display);
    if (resource.attributes !== undefined) names.push(resource.attributes);
    names.push(...Object.values(resource.columns).map((c) => c.column));
  }
  const invalid = names.find((name) => !IDENTIFIER.test(name));
  if (invalid !== undefined) throw new Error(`invalid read model table or column name ${JSON.stringify(invalid)}`);
}

/** Memberships: there is no primary or first, so a sort takes the least value. */
function relationalCollection(from: string, operand: (sub: AttributeDefinition | undefined) => Operand): Collection {
  return {
    operand,
    exists: (condition) => `EXISTS (SELECT 1 FROM ${from} AND ${condition})`,
    sortValue: (key) => `(SELECT min(${key}) FROM ${from})`,
  };
}

/** A singular attribute inside `attributes`: simple (`title`) or complex (`name`, `manager`). */
function jsonObjectField(base: string, name: string): Field {
  const node = jsonChild(base, name);
  return { operand: (sub) => (sub === undefined ? jsonField(base, name) : jsonField(node, sub.name)) };
}

function jsonField(base: string, key: string): Operand {
  return { kind: 'json', json: jsonChild(base, key), text: `(${base} ->> ${jsonKey(key)})` };
}

function jsonChild(base: string, key: string): string {
  return `(${base} -> ${jsonKey(key)})`;
}

/** A JSON key from the schema definitions as a SQL string literal; the pattern leaves nothing to escape. */
function jsonKey(name: string): string {
  if (!JSON_KEY.test(name)) throw new Error(`attribute name ${JSON.stringify(name)} cannot be a JSON key in SQL`);
  return `'${name}'`;
}

/** `scope`: inside `emails[...]`, the attribute whose values the bracketed conditions test. */
function compileNode(filter: ResolvedFilter, model: ReadModel, scope: Field | undefined): string {
  switch (filter.kind) {
    case 'and':
      return `(${compileNode(filter.left, model, scope)} AND ${compileNode(filter.right, model, scope)})`;
    case 'or':
      return `(${compileNode(filter.left, model, scope)} OR ${compileNode(filter.right, model, scope)})`;
    case 'not':
      // Every compiled expression is true or false, never NULL: NOT is the complement.
      return `(NOT ${compileNode(filter.filter, model, scope)})`;
    case 'valuePath': {
      const field = model.field(filter.target);
      const inner = compileNode(filter.filter, model, field);
      // RFC 7644 §3.4.2.2: all conditions in the brackets hold for the same value.
      return isCollection(field) ? field.exists(inner) : inner;
    }
    case 'compare': {
      const { target, op, value } = filter;
      if (scope !== undefined) return compare(scope.operand(target.subAttribute), target, op, value, model);
      const field = model.field(target);
      if (!isCollection(field)) return compare(field.operand(target.subAttribute), target, op, value, model);
      const operand = field.operand(target.subAttribute);
      // A multi-valued attribute is "not equal" when none of its values is equal, so absent matches.
      if (op === 'ne') return `(NOT ${field.exists(compare(operand, target, 'eq', value, model))})`;
      return field.exists(compare(operand, target, op, value, model));
    }
    case 'present': {
      const { target } = filter;
      if (scope !== undefined) return present(scope.operand(target.subAttribute));
      const field = model.field(target);
      const operand = field.operand(target.subAttribute);
      return isCollection(field) ? field.exists(present(operand)) : present(operand);
    }
    default: {
      const _never: never = filter;
      return _never;
    }
  }
}

/** RFC 7644 §3.4.2.2 `pr`: a value that is not null, not "", not [] and not {}. */
function present(operand: Operand): string {
  switch (operand.kind) {
    case 'constant':
      return operand.value === '' ? 'FALSE' : 'TRUE';
    case 'json':
      return `COALESCE(${operand.json} NOT IN ('null'::jsonb, '""'::jsonb, '[]'::jsonb, '{}'::jsonb), false)`;
    case 'column': {
      const notEmpty = operand.sqlType === 'text' ? `${operand.sql} <> ''` : 'TRUE';
      if (!operand.nullable) return `(${notEmpty})`;
      return `(${operand.sql} IS NOT NULL AND ${notEmpty})`;
    }
    default: {
      const _never: never = operand;
      return _never;
    }
  }
}

/** One comparison, true or false for every row (never NULL). */
function compare(
  operand: Operand,
  target: ResolvedAttribute,
  op: CompareOperator,
  value: string | number | boolean,
  model: ReadModel,
): string {
  if (op === 'ne') return `(NOT ${compare(operand, target, 'eq', value, model)})`;
  const predicate = comparison(operand, target, op, value, model);
  switch (operand.kind) {
    case 'constant':
      return `(${predicate})`;
    case 'column':
      // Kept as a plain conjunction rather than COALESCE so the column's index still serves it.
      return operand.nullable ? `(${operand.sql} IS NOT NULL AND ${predicate})` : `(${predicate})`;
    case 'json':
      return `COALESCE(${predicate}, false)`;
    default: {
      const _never: never = operand;
      return _never;
    }
  }
}

/** The comparison itself; NULL when the stored value is missing or of another JSON type. */
function comparison(
  operand: Operand,
  target: ResolvedAttribute,
  op: Exclude<CompareOperator, 'ne'>,
  value: string | number | boolean,
  model: ReadModel,
): string {
  const label = printTarget(target);
  if (typeof value === 'string' && value.includes('\u0000')) {
    // Postgres text cannot hold U+0000: no stored value could match, and the driver would fail.
    throw scimErrors.invalidFilter(`the value compared with ${quote(label)} contains U+0000, which no attribute can hold`);
  }
  switch (target.type) {
    case 'string':
    case 'reference':
    case 'binary':
      return stringComparison(operand, target.caseExact, op, String(value), model);
    case 'boolean': {
      if (op !== 'eq') throw scimErrors.invalidFilter(`'${op}' cannot compare boolean attribute ${quote(label)}`);
      const wanted = model.param(value, 'boolean');
      if (operand.kind === 'json') return `${operand.json} = to_jsonb(${wanted})`;
      if (operand.kind === 'column' && operand.sqlType === 'boolean') return `${operand.sql} = ${wanted}`;
      throw notInReadModel(label);
    }
    case 'integer':
    case 'decimal': {
      if (operand.kind !== 'json' || !(op in SQL_COMPARISON)) throw notInReadModel(label);
      const number = `CASE WHEN jsonb_typeof(${operand.json}) = 'number' THEN (${operand.json})::numeric END`;
      return `${number} ${SQL_COMPARISON[op as keyof typeof SQL_COMPARISON]} ${model.param(value, 'numeric')}`;
    }
    case 'dateTime': {
      // Only `meta` holds date-times, and it is kept in columns; a cast of client JSON text could fail.
      if (operand.kind !== 'column' || operand.sqlType !== 'timestamptz' || !(op in SQL_COMPARISON)) throw notInReadModel(label);
      // Compared at the millisecond precision the API renders, so `eq` on a rendered value matches.
      const instant = `date_trunc('milliseconds', ${operand.sql})`;
      return `${instant} ${SQL_COMPARISON[op as keyof typeof SQL_COMPARISON]} ${model.param(value, 'timestamptz')}`;
    }
    case 'complex':
      throw scimErrors.invalidFilter(`${quote(label)} is a complex attribute; compare one of its sub-attributes`);
    default: {
      const _never: never = target.type;
      return _never;
    }
  }
}

/**
 * RFC 7644 §3.4.2.2 on strings: the attribute's caseExact decides between the text and its lower
 * case on both sides; substring operators are LIKE with the value's metacharacters escaped; ordering
 * is by code point (COLLATE "C"), the same on every server whatever its locale.
 */
function stringComparison(
  operand: Operand,
  caseExact: boolean,
  op: Exclude<CompareOperator, 'ne'>,
  value: string,
  model: ReadModel,
): string {
  if (operand.kind === 'column' && operand.sqlType === 'uuid' && op === 'eq' && CANONICAL_UUID.test(value)) {
    return `${operand.sql} = ${model.param(value, 'uuid')}`;
  }
  const text = textOf(operand, model);
  const fold = (sql: string) => (caseExact ? sql : `lower(${sql})`);
  switch (op) {
    case 'eq':
      // `lower(user_name) = lower($n)` is the expression the read model indexes.
      return `${fold(text)} = ${fold(model.param(value, 'text'))}`;
    case 'co':
    case 'sw':
    case 'ew': {
      const escaped = escapeLike(value);
      const pattern = op === 'sw' ? `${escaped}%` : op === 'ew' ? `%${escaped}` : `%${escaped}%`;
      // The pattern is lower-cased by Postgres, as the column is: JavaScript's case mapping differs on
      // some characters. With the value bound, `lower($n)` folds to a constant and a prefix pattern
      // still uses the text_pattern_ops index.
      return `${fold(text)} LIKE ${fold(model.param(pattern, 'text'))} ESCAPE E'\\\\'`;
    }
    case 'gt':
    case 'ge':
    case 'lt':
    case 'le':
      return `${fold(text)} COLLATE "C" ${SQL_COMPARISON[op]} ${fold(model.param(value, 'text'))}`;
    default: {
      const _never: never = op;
      return _never;
    }
  }
}

function textOf(operand: Operand, model: ReadModel): string {
  switch (operand.kind) {
    case 'constant':
      return model.param(operand.value, 'text');
    case 'json':
      return operand.text;
    case 'column':
      return operand.sqlType === 'text' ? operand.sql : `${operand.sql}::text`;
    default: {
      const _never: never = operand;
      return _never;
    }
  }
}

/** LIKE's metacharacters, escaped with the ESCAPE character `\`. */
function escapeLike(value: string): string {
  return value.replace(/[\\%_]/g, (char) => `\\${char}`);
}

// ---------------------------------------------------------------------------------------------------
// Sorting

function sortDirection(sortOrder: string | undefined): 'ASC' | 'DESC' {
  // RFC 7644 §3.4.2.3: ascending unless the client says otherwise.
  if (sortOrder === undefined || sortOrder === '') return 'ASC';
  switch (sortOrder.toLowerCase()) {
    case 'ascending':
      return 'ASC';
    case 'descending':
      return 'DESC';
    default:
      throw scimErrors.invalidValue(`sortOrder must be 'ascending' or 'descending', not ${quote(sortOrder)}`);
  }
}

/** Characters an attribute path never holds; a `sortBy` with them would be read as a filter. */
const NOT_IN_PATH = /[\s()[\]"]/;

function sortKeyOf(sortBy: string, model: ReadModel): string {
  const fail = (why: string) => scimErrors.invalidValue(`sortBy ${quote(sortBy)}: ${why}`);
  if (NOT_IN_PATH.test(sortBy)) throw fail('not an attribute path');
  const target = asInvalidValue(fail, () => {
    // The filter grammar and resolver check the path: the same names are accepted in both.
    const resolved = resolveFilter(parseFilter(`${sortBy} pr`), model.resourceType);
    if (resolved.kind !== 'present') throw fail('not an attribute path');
    return resolved.target;
  });
  const { attribute } = target;
  let sub = target.subAttribute;
  if (sub === undefined && attribute.type === 'complex') {
    // RFC 7643 §2.4: a multi-valued attribute stands for its `value`; a singular complex one has no order.
    sub = attribute.multiValued ? findAttribute(attribute.subAttributes ?? [], 'value') : undefined;
    if (sub === undefined) {
      const names = (attribute.subAttributes ?? []).map((candidate) => candidate.name).join(', ');
      throw fail(`${quote(printTarget(target))} is complex; sort by one of its sub-attributes (${names})`);
    }
  }
  const compared = sub ?? attribute;
  const field = asInvalidValue(fail, () => model.field(target));
  const operand = asInvalidValue(fail, () => field.operand(sub));
  const unsortable = () => fail(`${quote(printTarget(target))} cannot be sorted`);
  const key = sortKey(operand, compared.type, compared.caseExact, model, unsortable);
  return isCollection(field) ? field.sortValue(key) : key;
}

/** Runs `work`, reporting a filter error as the `invalidValue` a bad sortBy is. */
function asInvalidValue<T>(fail: (why: string) => ScimError, work: () => T): T {
  try {
    return work();
  } catch (error) {
    if (error instanceof ScimError && error.scimType === 'invalidFilter') throw fail(error.detail);
    throw error;
  }
}

/** What a value sorts by; NULL for a missing one. `""` is a value, as it is to `gt` and `lt`. */
function sortKey(operand: Operand, type: AttributeType, caseExact: boolean, model: ReadModel, unsortable: () => ScimError): string {
  switch (type) {
    case 'string':
    case 'reference':
    case 'binary': {
      const text = textOf(operand, model);
      return `${caseExact ? text : `lower(${text})`} COLLATE "C"`;
    }
    case 'boolean':
      if (operand.kind === 'column') return operand.sql;
      if (operand.kind === 'json') return `CASE WHEN jsonb_typeof(${operand.json}) = 'boolean' THEN (${operand.json})::boolean END`;
      throw unsortable();
    case 'integer':
    case 'decimal':
      if (operand.kind === 'json') return `CASE WHEN jsonb_typeof(${operand.json}) = 'number' THEN (${operand.json})::numeric END`;
      throw unsortable();
    case 'dateTime':
      if (operand.kind === 'column') return operand.sql;
      throw unsortable();
    case 'complex':
      throw unsortable();
    default: {
      const _never: never = type;
      return _never;
    }
  }
}

function notInReadModel(label: string): ScimError {
  return scimErrors.invalidFilter(`attribute ${quote(label)} cannot be used in a filter or sort here: the read model does not hold it`);
}

function printTarget(target: ResolvedAttribute): string {
  const name = target.subAttribute === undefined ? target.attribute.name : `${target.attribute.name}.${target.subAttribute.name}`;
  return target.isExtension ? `${target.schemaId}:${name}` : name;
}

function quote(text: string): string {
  return `'${text.length > 80 ? `${text.slice(0, 80)}…` : text}'`;
}
