import { ipKeyGenerator, rateLimit } from 'express-rate-limit';
import { scimErrors } from '../../../shared/scim/errors';

/**
 * The platform's limit on SCIM Users and Groups together, per token: `perSecond` requests in any
 * one-second window; past it 429 with Retry-After (added by the SCIM error rendering).
 */
export function scimRateLimit(perSecond: number) {
  return rateLimit({
    windowMs: 1000,
    limit: perSecond,
    standardHeaders: 'draft-7',
    legacyHeaders: false,
    // Per token; an unauthenticated request never gets here, but keep IPv6 clients in one /56 bucket.
    keyGenerator: (req) => (req.actor ? `${req.actor.kind}:${req.actor.id}` : `ip:${ipKeyGenerator(req.ip ?? '')}`),
    handler: (_req, _res, next) => next(scimErrors.tooManyRequests(`more than ${perSecond} SCIM requests per second; retry after the Retry-After delay`)),
  });
}
