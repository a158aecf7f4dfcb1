/**
 * Query parameters that carry a credential: RFC 6750 §2.3's `access_token`. The service refuses
 * them (authentication.ts) and never writes their values to a log; names are compared
 * case-insensitively after %-decoding, with any `[...]` suffix the query parser reads as nesting.
 */
const SECRET_PARAMETERS = new Set(['access_token']);

export const REDACTED = '[redacted]';

function decodeName(raw: string): string {
  try {
    return decodeURIComponent(raw.replace(/\+/g, ' '));
  } catch {
    return raw;
  }
}

/** Whether a query parameter name (as written, or as parsed) names a credential. */
export function isSecretParameter(name: string): boolean {
  return SECRET_PARAMETERS.has(decodeName(name).replace(/\[.*$/s, '').trim().toLowerCase());
}

/**
 * `url` with the value of every credential parameter of its query replaced by `[redacted]`; the
 * rest of the URL as it was. `/scim/v2/Users?access_token=abc&count=1` →
 * `/scim/v2/Users?access_token=[redacted]&count=1`.
 */
export function redactUrl(url: string): string {
  const queryAt = url.indexOf('?');
  if (queryAt < 0) return url;
  const hashAt = url.indexOf('#', queryAt);
  const end = hashAt < 0 ? url.length : hashAt;
  const query = url
    .slice(queryAt + 1, end)
    .split('&')
    .map((pair) => {
      const eq = pair.indexOf('=');
      const name = eq < 0 ? pair : pair.slice(0, eq);
      return isSecretParameter(name) ? `${name}=${REDACTED}` : pair;
    })
    .join('&');
  return `${url.slice(0, queryAt + 1)}${query}${url.slice(end)}`;
}

/** A parsed query (`req.query`) with every credential parameter's value replaced by `[redacted]`. */
export function redactQuery(query: unknown): unknown {
  if (typeof query !== 'object' || query === null) return query;
  return Object.fromEntries(Object.entries(query).map(([name, value]) => [name, isSecretParameter(name) ? REDACTED : value]));
}

/** Whether the query of `url` (a request's `originalUrl`) carries a credential parameter, under any spelling. */
export function hasSecretParameter(url: string): boolean {
  const queryAt = url.indexOf('?');
  if (queryAt < 0) return false;
  const hashAt = url.indexOf('#', queryAt);
  return url
    .slice(queryAt + 1, hashAt < 0 ? url.length : hashAt)
    .split('&')
    .some((pair) => isSecretParameter(pair.split('=', 1)[0]!));
}
