import type { Request } from 'express';
import { scimErrors } from '../../../shared/scim/errors';
import type { ScimResource } from './render';

export interface AttributeProjection {
  readonly attributes?: readonly string[];
  readonly excludedAttributes?: readonly string[];
}

const CORE_URNS = {
  User: 'urn:ietf:params:scim:schemas:core:2.0:User',
  Group: 'urn:ietf:params:scim:schemas:core:2.0:Group',
} as const;

/** RFC 7643 §2.4: returned "always", whatever attributes/excludedAttributes say. */
const ALWAYS = new Set(['id', 'schemas']);

/**
 * An `attributes`/`excludedAttributes` value (RFC 7644 §3.4.2.5, query text or a .search body's
 * array) as attribute names; undefined when it names none.
 * @throws ScimError 400 invalidValue when it is neither text nor an array.
 */
export function attributeNames(value: unknown, name: string): string[] | undefined {
  if (value === undefined) return undefined;
  const text = Array.isArray(value) ? value.join(',') : value;
  if (typeof text !== 'string') throw scimErrors.invalidValue(`${name} must be a comma-separated list of attribute names`);
  const names = splitNames(text).map(withoutValueFilter).filter((s) => s.length > 0);
  return names.length > 0 ? names : undefined;
}

/** Splits at commas outside `[...]` and quotes, so a value filter holding a comma stays whole. */
function splitNames(text: string): string[] {
  const names: string[] = [];
  let depth = 0;
  let quoted = false;
  let start = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (quoted) {
      if (c === '\\') i++;
      else if (c === '"') quoted = false;
    } else if (c === '"') quoted = true;
    else if (c === '[') depth++;
    else if (c === ']') depth = Math.max(0, depth - 1);
    else if (c === ',' && depth === 0) {
      names.push(text.slice(start, i));
      start = i + 1;
    }
  }
  names.push(text.slice(start));
  return names.map((n) => n.trim());
}

/**
 * RFC 7644 §3.9 names attributes, not values: `emails[type eq "work"]` (sent by Microsoft's
 * validator) is read as `emails`, and `emails[type eq "work"].value` as `emails.value`.
 */
function withoutValueFilter(name: string): string {
  const open = name.indexOf('[');
  if (open < 0) return name;
  const close = name.lastIndexOf(']');
  return (name.slice(0, open) + (close > open ? name.slice(close + 1) : '')).trim();
}

/** The `attributes`/`excludedAttributes` query parameters (comma-separated names). @throws ScimError 400 invalidValue when not text. */
export function projectionFrom(req: Request): AttributeProjection {
  const attributes = attributeNames(req.query.attributes, 'attributes');
  const excludedAttributes = attributeNames(req.query.excludedAttributes, 'excludedAttributes');
  return { ...(attributes ? { attributes } : {}), ...(excludedAttributes ? { excludedAttributes } : {}) };
}

interface PathSegments {
  /** Lower-cased: an extension URN, when the path names one. */
  readonly extension?: string;
  readonly attribute: string;
  readonly subAttribute?: string;
}

function segments(path: string, resourceType: 'User' | 'Group'): PathSegments {
  let rest = path;
  let extension: string | undefined;
  const lower = path.toLowerCase();
  const core = CORE_URNS[resourceType].toLowerCase();
  if (lower.startsWith(`${core}:`)) rest = path.slice(core.length + 1);
  else if (lower.startsWith('urn:')) {
    // urn:...:User:employeeNumber → extension urn:...:User, attribute employeeNumber; a bare URN names the whole extension.
    const lastColon = path.lastIndexOf(':');
    const tail = path.slice(lastColon + 1);
    if (/^[A-Z]/.test(tail)) return { attribute: path.toLowerCase() };
    extension = path.slice(0, lastColon).toLowerCase();
    rest = tail;
  }
  const [attribute, subAttribute] = rest.split('.', 2) as [string, string | undefined];
  return { ...(extension ? { extension } : {}), attribute: attribute.toLowerCase(), ...(subAttribute ? { subAttribute: subAttribute.toLowerCase() } : {}) };
}

const findKey = (object: object, lowerName: string) => Object.keys(object).find((k) => k.toLowerCase() === lowerName);

function pick(value: unknown, subAttribute: string | undefined): unknown {
  if (subAttribute === undefined) return value;
  const pickFrom = (item: unknown) => {
    if (typeof item !== 'object' || item === null) return undefined;
    const key = findKey(item, subAttribute);
    return key === undefined ? undefined : { [key]: (item as Record<string, unknown>)[key] };
  };
  if (Array.isArray(value)) return value.map(pickFrom).filter((v) => v !== undefined);
  return pickFrom(value);
}

function merge(target: Record<string, unknown>, key: string, value: unknown): void {
  if (value === undefined) return;
  const existing = target[key];
  if (Array.isArray(existing) && Array.isArray(value)) {
    target[key] = existing.map((item, i) => ({ ...(item as object), ...(value[i] as object) }));
  } else if (existing && typeof existing === 'object' && value && typeof value === 'object') {
    target[key] = { ...(existing as object), ...(value as object) };
  } else {
    target[key] = value;
  }
}

function include(resource: ScimResource, paths: readonly string[], resourceType: 'User' | 'Group'): ScimResource {
  const result: Record<string, unknown> = {};
  for (const key of Object.keys(resource)) if (ALWAYS.has(key)) result[key] = resource[key];
  for (const path of paths) {
    const { extension, attribute, subAttribute } = segments(path, resourceType);
    let container: Record<string, unknown> = resource as Record<string, unknown>;
    let target = result;
    if (extension) {
      const extKey = findKey(resource, extension);
      if (!extKey || typeof resource[extKey] !== 'object') continue;
      container = resource[extKey] as Record<string, unknown>;
      target = (result[extKey] as Record<string, unknown> | undefined) ?? {};
      result[extKey] = target;
    }
    const key = findKey(container, attribute);
    if (key !== undefined) merge(target, key, pick(container[key], subAttribute));
  }
  return result;
}

function exclude(resource: ScimResource, paths: readonly string[], resourceType: 'User' | 'Group'): ScimResource {
  const result = structuredClone(resource) as Record<string, unknown>;
  for (const path of paths) {
    const { extension, attribute, subAttribute } = segments(path, resourceType);
    let container = result;
    if (extension) {
      const extKey = findKey(result, extension);
      if (!extKey || typeof result[extKey] !== 'object') continue;
      container = result[extKey] as Record<string, unknown>;
    }
    const key = findKey(container, attribute);
    if (key === undefined || (!extension && ALWAYS.has(key))) continue;
    if (subAttribute === undefined) {
      delete container[key];
      continue;
    }
    const value = container[key];
    const drop = (item: unknown) => {
      if (item && typeof item === 'object') {
        const sub = findKey(item, subAttribute);
        if (sub !== undefined) delete (item as Record<string, unknown>)[sub];
      }
    };
    if (Array.isArray(value)) value.forEach(drop);
    else drop(value);
  }
  return result;
}

/** RFC 7644 §3.9 / §3.4.2.5: `attributes` wins when both are given. */
export function projectAttributes(resource: ScimResource, projection: AttributeProjection, resourceType: 'User' | 'Group'): ScimResource {
  if (projection.attributes) return include(resource, projection.attributes, resourceType);
  if (projection.excludedAttributes) return exclude(resource, projection.excludedAttributes, resourceType);
  return resource;
}
