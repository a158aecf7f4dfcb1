export type JsonValue = string | number | boolean | null | readonly JsonValue[] | { readonly [key: string]: JsonValue };
export type JsonDocument = { readonly [key: string]: JsonValue };

/** Structural equality of JSON values; object key order does not matter. */
export function jsonEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== typeof b || a === null || b === null || typeof a !== 'object') return false;
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  if (Array.isArray(a)) {
    const other = b as unknown[];
    return a.length === other.length && a.every((item, i) => jsonEqual(item, other[i]));
  }
  const ka = Object.keys(a as object);
  const kb = Object.keys(b as object);
  if (ka.length !== kb.length) return false;
  return ka.every((k) => Object.prototype.hasOwnProperty.call(b, k) && jsonEqual((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k]));
}

/** The top-level keys whose values differ: what to set, and what to unset. */
export function diffDocuments(before: JsonDocument, after: JsonDocument): { set: JsonDocument; unset: string[] } {
  const set: Record<string, JsonValue> = {};
  const unset: string[] = [];
  for (const [key, value] of Object.entries(after)) {
    if (!jsonEqual(before[key], value)) set[key] = value;
  }
  for (const key of Object.keys(before)) {
    if (!(key in after)) unset.push(key);
  }
  return { set, unset };
}
