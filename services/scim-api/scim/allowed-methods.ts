import type { NextFunction, Request, Response } from 'express';
import { scimErrors } from '../../../shared/scim/errors';

/** A path the SCIM API answers (relative to /scim/v2, matched case-insensitively as Express routes are) and its methods. */
interface KnownPath {
  readonly pattern: RegExp;
  readonly methods: readonly string[];
}

/** Every /scim/v2 endpoint (RFC 7644 §3.2 and §3.4.3, RFC 7643 §5-7) with the methods it implements. */
const KNOWN_PATHS: readonly KnownPath[] = [
  { pattern: /^\/(?:Users|Groups)\/?$/i, methods: ['GET', 'POST'] },
  // Before `/:id`: `.search` names no resource (RFC 7644 §3.4.3, POST only).
  { pattern: /^\/(?:Users|Groups)\/\.search\/?$/i, methods: ['POST'] },
  { pattern: /^\/(?:Users|Groups)\/[^/]+\/?$/i, methods: ['GET', 'PUT', 'PATCH', 'DELETE'] },
  { pattern: /^\/(?:ServiceProviderConfig|Schemas|ResourceTypes)\/?$/i, methods: ['GET'] },
  { pattern: /^\/(?:Schemas|ResourceTypes)\/[^/]+\/?$/i, methods: ['GET'] },
];

/** The methods `path` answers, HEAD with GET (Express answers HEAD from GET routes); undefined for an unknown path. */
export function allowedMethods(path: string): readonly string[] | undefined {
  const known = KNOWN_PATHS.find(({ pattern }) => pattern.test(path));
  if (!known) return undefined;
  return known.methods.includes('GET') ? [...known.methods, 'HEAD'] : known.methods;
}

/**
 * RFC 9110 §15.5.6: a known path asked with a method it does not implement answers 405 with a SCIM
 * error and `Allow`; OPTIONS answers 204 with `Allow`. Unknown paths pass on (to a 404).
 */
export function methodNotAllowed(req: Request, res: Response, next: NextFunction): void {
  const allowed = allowedMethods(req.path);
  if (!allowed || allowed.includes(req.method)) return next();
  if (req.method === 'OPTIONS') {
    res.setHeader('Allow', [...allowed, 'OPTIONS'].join(', '));
    res.status(204).end();
    return;
  }
  next(scimErrors.methodNotAllowed(`${req.method} is not allowed on ${req.baseUrl}${req.path}; use ${allowed.join(', ')}`, allowed));
}
