import type { NextFunction, Request, Response } from 'express';
import type { RateBudget } from '../../../shared/rate-limit/rate-budget';
import { scimErrors } from '../../../shared/scim/errors';

/** The one key of the service-wide budget: every token and every instance spend the same points. */
export const SERVICE_BUDGET_KEY = 'service';

/**
 * The platform's limit on SCIM Users and Groups together (api-docs/scim: "share a default limit of
 * 10 requests per second"): one budget for the whole service, all tokens and all instances, kept
 * in Postgres (shared/rate-limit/rate-budget.ts). Past it, 429 with Retry-After and a SCIM error
 * body. Runs after authentication, so requests without a valid token never spend it.
 */
export function scimRateLimit(budget: RateBudget) {
  return async (_req: Request, _res: Response, next: NextFunction) => {
    try {
      const decision = await budget.consume(SERVICE_BUDGET_KEY);
      if (decision.allowed) return next();
      next(
        scimErrors.tooManyRequests(
          `more than ${budget.points} SCIM requests in ${budget.durationSeconds} s across the service; retry after the Retry-After delay`,
          decision.retryAfterSeconds,
        ),
      );
    } catch (error) {
      next(error);
    }
  };
}
