import type { NextFunction, Request, Response } from 'express';
import type { RateBudget } from '../../../shared/rate-limit/rate-budget';
import { AdminApiError } from './json-api';

/**
 * Counts each request against `budget` under `keyOf(req)`; past it, 429 as a JSON:API error
 * (api-docs/admin/scim-settings, api-docs/admin/team-scim-group-mapping: "the standard admin API
 * error format"). The platform tells callers not to rely on Retry-After; it is sent anyway, and
 * so is `X-RateLimit-Reset` (seconds), which go-tfe's retry backoff reads to wait long enough.
 */
export function adminRateLimit(budget: RateBudget, keyOf: (req: Request) => string, what: string) {
  return async (req: Request, res: Response, next: NextFunction) => {
    try {
      const decision = await budget.consume(keyOf(req));
      if (decision.allowed) return next();
      res.setHeader('Retry-After', String(decision.retryAfterSeconds));
      res.setHeader('X-RateLimit-Reset', String(decision.retryAfterSeconds));
      next(new AdminApiError(429, `${what}: at most ${budget.points} requests per ${budget.durationSeconds === 1 ? 'second' : `${budget.durationSeconds} seconds`}; retry in ${decision.retryAfterSeconds} s`));
    } catch (error) {
      next(error);
    }
  };
}

/** The administrator a request is counted against (api-docs/admin/team-scim-group-mapping: "keyed per authenticated site administrator"). */
export const perAdministrator = (req: Request) => `${req.actor?.kind ?? 'anonymous'}:${req.actor?.id ?? req.ip ?? ''}`;

/** One budget for the whole endpoint (api-docs/admin/scim-settings: 20 calls per second). */
export const wholeEndpoint = () => 'all';
