import type { NextFunction, Request, RequestHandler, Response } from 'express';
import ipaddr from 'ipaddr.js';
import { scimErrors } from '../../../shared/scim/errors';

/** Where the SCIM API lives under the service's root. */
export const SCIM_PATH = '/scim/v2';

/** The app setting holding SCIM_BASE_URL, without a trailing slash. */
const SCIM_BASE_URL_SETTING = 'scimBaseUrl';

/** A host name of letters, digits, `-` and `_` labels (RFC 1123, with the `_` of internal names), or an IPv6 literal; then an optional port. */
const HOST = /^(?:(?<name>[a-z0-9_](?:[a-z0-9_-]{0,61}[a-z0-9_])?(?:\.[a-z0-9_](?:[a-z0-9_-]{0,61}[a-z0-9_])?)*\.?)|\[(?<ipv6>[0-9a-f:.]+)\])(?::(?<port>\d{1,5}))?$/i;

/**
 * Whether `host` is a valid `Host` value for an absolute URL (RFC 9110 §7.2: uri-host [":" port]):
 * a DNS name or IPv4 address, or a bracketed IPv6 address, and a port of at most 65535; nothing
 * else (no user info, path, spaces, or a second host).
 */
export function isValidHost(host: string): boolean {
  if (host.length === 0 || host.length > 261) return false;
  const match = HOST.exec(host);
  if (!match) return false;
  const { ipv6, port } = match.groups as { ipv6?: string; port?: string };
  if (ipv6 !== undefined && !ipaddr.IPv6.isValid(ipv6)) return false;
  return port === undefined || Number(port) <= 65535;
}

/** Remembers SCIM_BASE_URL (`https://scim.example.com/scim/v2`) on the app; every SCIM URL the service writes uses it. */
export function configurePublicUrls(app: { set(name: string, value: unknown): unknown }, scimBaseUrl: string | undefined): void {
  if (scimBaseUrl) app.set(SCIM_BASE_URL_SETTING, scimBaseUrl.replace(/\/+$/, ''));
}

/**
 * How many `Host` field lines the request carries. Node keeps only the first in `req.headers`;
 * `req.rawHeaders` (name, value, name, value, …) has them all.
 */
export function hostFieldLines(req: Pick<Request, 'rawHeaders'>): number {
  let count = 0;
  for (let i = 0; i < req.rawHeaders.length; i += 2) if (req.rawHeaders[i]?.toLowerCase() === 'host') count += 1;
  return count;
}

/**
 * RFC 9112 §3.2: a server MUST answer 400 to a request with more than one Host field line, whatever
 * it builds its URLs on (a client and a proxy may read different ones).
 * @throws ScimError 400 invalidSyntax.
 */
function requireOneHost(req: Request): void {
  if (hostFieldLines(req) > 1) throw scimErrors.invalidSyntax('the request has more than one Host header (RFC 9112 §3.2)');
}

/**
 * The root URL (`https://scim.example.com`) the client reached the service at: `req.protocol` and
 * `req.host`, which Express takes from X-Forwarded-Proto / X-Forwarded-Host only when the peer is
 * a trusted proxy (TRUST_PROXY), and from the connection and the Host header otherwise. A client
 * can never have the service write another scheme than http or https, nor a malformed host.
 * @throws ScimError 400 invalidSyntax when the scheme or host is not valid: RFC 9112 §3.2 has a
 * server answer 400 to a Host field with an invalid value (and to more than one Host line, which
 * requireValidScimBaseUrl and requireValidRequestRoot refuse before any URL is built).
 */
export function requestRootUrl(req: Request): string {
  const protocol = req.protocol;
  if (protocol !== 'http' && protocol !== 'https') throw scimErrors.invalidSyntax('X-Forwarded-Proto must be http or https');
  const host = req.host;
  if (host === undefined || !isValidHost(host)) {
    throw scimErrors.invalidSyntax("the Host header (or the trusted proxy's X-Forwarded-Host) is not a valid host[:port]");
  }
  return `${protocol}://${host.toLowerCase()}`;
}

/**
 * The `/scim/v2` URL meta.location, Location and $ref are built on: SCIM_BASE_URL when set, else
 * {@link requestRootUrl} + `/scim/v2`.
 * @throws ScimError 400 as requestRootUrl does, only when SCIM_BASE_URL is not set.
 */
export function scimBaseUrl(req: Request): string {
  const configured = req.app.get(SCIM_BASE_URL_SETTING) as string | undefined;
  return configured ?? `${requestRootUrl(req)}${SCIM_PATH}`;
}

/**
 * Refuses, before anything is read or written, a request whose URLs `urlOf` could not write
 * honestly: a write must not succeed and then fail to say where it went.
 */
function requireValid(urlOf: (req: Request) => string): RequestHandler {
  return (req: Request, _res: Response, next: NextFunction) => {
    try {
      requireOneHost(req);
      urlOf(req);
      next();
    } catch (error) {
      next(error);
    }
  };
}

/** For /scim/v2: 400 for two Host lines, or when SCIM_BASE_URL is unset and the request's scheme or host is not valid. */
export const requireValidScimBaseUrl = requireValid(scimBaseUrl);

/** For the admin API (its links are built on the request's own root): 400 when its scheme or host is not valid. */
export const requireValidRequestRoot = requireValid(requestRootUrl);
