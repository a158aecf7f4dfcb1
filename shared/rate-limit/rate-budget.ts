import { RateLimiterMemory, RateLimiterPostgres, RateLimiterRes } from 'rate-limiter-flexible';
import type { Pool } from '../db/pool';

/** What a budget says about one request. */
export type RateDecision =
  | { readonly allowed: true }
  /** `retryAfterSeconds`: whole seconds until the window that refused the request ends (at least 1). */
  | { readonly allowed: false; readonly retryAfterSeconds: number };

/**
 * A number of requests per window, shared by every instance of the service (the counters live in
 * the `rate_limits` table). Keys partition the budget: one key for a service-wide limit, the
 * administrator id for a per-administrator one, the client address for unauthenticated traffic.
 */
export interface RateBudget {
  /** `points` requests per `durationSeconds` per key. */
  readonly points: number;
  readonly durationSeconds: number;
  /**
   * Counts one request against `key`. While Postgres cannot be reached, an in-process counter with
   * the same limit stands in, so an outage neither lifts the limit nor turns every request away.
   */
  consume(key: string): Promise<RateDecision>;
}

export interface RateBudgetOptions {
  /** Names the budget; keys of different budgets never collide. `[a-z0-9-]` only. */
  readonly name: string;
  readonly points: number;
  readonly durationSeconds: number;
  /** Told when the Postgres store failed and the in-process counter answered instead. */
  readonly onStoreError?: (error: unknown) => void;
}

/**
 * A fixed-window budget kept in Postgres by rate-limiter-flexible (`RateLimiterPostgres`): one
 * `INSERT ... ON CONFLICT` per request on an unlogged table. The table is created by the
 * migrations, so the limiter never creates it at run time.
 * @throws Error when `name` is not `[a-z0-9-]+` or `points`/`durationSeconds` are not positive.
 */
export function createRateBudget(pool: Pool, { name, points, durationSeconds, onStoreError }: RateBudgetOptions): RateBudget {
  if (!/^[a-z0-9-]+$/.test(name)) throw new Error(`rate budget name ${JSON.stringify(name)} is not [a-z0-9-]+`);
  if (!(points > 0) || !(durationSeconds > 0)) throw new Error(`rate budget ${name}: points and durationSeconds must be positive`);
  const limiter = new RateLimiterPostgres({
    storeClient: pool,
    storeType: 'pool',
    tableName: 'rate_limits',
    tableCreated: true,
    keyPrefix: name,
    points,
    duration: durationSeconds,
  });
  // rate-limiter-flexible's own insuranceLimiter would hide the store's failure; this one is told.
  const fallback = new RateLimiterMemory({ keyPrefix: name, points, duration: durationSeconds });
  const decide = async (from: RateLimiterPostgres | RateLimiterMemory, key: string): Promise<RateDecision> => {
    try {
      await from.consume(key);
      return { allowed: true };
    } catch (rejection) {
      if (rejection instanceof RateLimiterRes) {
        return { allowed: false, retryAfterSeconds: Math.max(1, Math.ceil(rejection.msBeforeNext / 1000)) };
      }
      throw rejection;
    }
  };
  return {
    points,
    durationSeconds,
    async consume(key) {
      try {
        return await decide(limiter, key);
      } catch (error) {
        onStoreError?.(error);
        return decide(fallback, key);
      }
    },
  };
}
