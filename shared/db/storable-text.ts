/**
 * Where a JSON value holds a string Postgres cannot store: U+0000 (refused by `text` and `jsonb`)
 * or an unpaired UTF-16 surrogate (not valid UTF-8, refused by the wire encoding). Object keys are
 * checked as well as values. Returns a JSONPath-like location (`$.emails[0].value`, `$["a b"]`) of
 * the first such string, or undefined when every string is storable.
 *
 * Request bodies are checked with this before they become commands, so such input is a 400 and
 * never a failed append (RFC 7644 §3.12 `invalidValue`; JSON:API 422 on the admin API).
 */
export function findUnstorableString(value: unknown, path = '$'): string | undefined {
  if (typeof value === 'string') return isStorable(value) ? undefined : path;
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) {
      const found = findUnstorableString(value[i], `${path}[${i}]`);
      if (found) return found;
    }
    return undefined;
  }
  if (value !== null && typeof value === 'object') {
    for (const [key, child] of Object.entries(value)) {
      const at = /^[A-Za-z_$][\w$]*$/.test(key) ? `${path}.${key}` : `${path}[${JSON.stringify(key)}]`;
      if (!isStorable(key)) return at;
      const found = findUnstorableString(child, at);
      if (found) return found;
    }
  }
  return undefined;
}

/** False for U+0000 and for lone surrogates (String.prototype.isWellFormed, ES2024). */
export function isStorable(text: string): boolean {
  return !text.includes('\u0000') && text.isWellFormed();
}
