import type { NextFunction, Request, Response } from 'express';
import { scimErrors } from '../../../shared/scim/errors';

/** The /scim/v2 endpoints RFC 7644 defines that this service does not implement, and why, for the error detail. */
const UNSUPPORTED_ENDPOINTS: readonly { readonly pattern: RegExp; readonly reason: string }[] = [
  // RFC 7644 §3.11: a service that does not support /Me SHOULD answer 501.
  { pattern: /^\/Me(?:\/.*)?$/i, reason: '/Me is not supported: tokens belong to the service, not to a user (RFC 7644 §3.11)' },
  // ServiceProviderConfig says bulk.supported false.
  { pattern: /^\/Bulk\/?$/i, reason: 'bulk operations are not supported (ServiceProviderConfig: bulk.supported is false)' },
  // RFC 7644 §3.4.3: a search across every resource type; the per-type ones are supported.
  { pattern: /^\/\.search\/?$/i, reason: 'a search across resource types is not supported; use POST /Users/.search or /Groups/.search' },
];

/**
 * 501 Not Implemented, as a SCIM error, for /Me, /Bulk and the root /.search, whatever the method,
 * before the body is read; every other path passes on.
 */
export function notImplementedEndpoints(req: Request, _res: Response, next: NextFunction): void {
  const unsupported = UNSUPPORTED_ENDPOINTS.find(({ pattern }) => pattern.test(req.path));
  next(unsupported === undefined ? undefined : scimErrors.notImplemented(unsupported.reason));
}
