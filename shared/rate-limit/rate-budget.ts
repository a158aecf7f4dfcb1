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
  /**
   * A refusal of `key` this instance already knows of, decided without asking Postgres: with
   * `refuseSpentKeysInMemory`, a key that spent its points is refused from memory until its window
   * ends. `{ allowed: true }` means only that no refusal is known here, not that points are left.
   */
  knownRefusal(key: string): RateDecision;
}

export interface RateBudgetOptions {
  /** Names the budget; keys of different budgets never collide. `[a-z0-9-]` only. */
  readonly name: string;
  readonly points: number;
  readonly durationSeconds: number;
  /** Told when the Postgres store failed and the in-process counter answered instead. */
  readonly onStoreError?: (error: unknown) => void;
  /**
   * Once a key has spent its points, refuse it from memory for the rest of its window
   * (rate-limiter-flexible's `inMemoryBlockOnConsumed`), so refused requests cost the database
   * nothing. Another instance learns of the spent budget at its next `consume` of the key.
   */
  readonly refuseSpentKeysInMemory?: boolean;
}

/** How many spent keys an instance remembers at once (refuseSpentKeysInMemory); past it, expired ones are dropped first. */
const MAX_REMEMBERED_KEYS = 100_000;

/**
 * A budget of many points per window is taken from Postgres in leases of points/LEASE_DIVISOR (at
 * least 1): the next requests of the lease are counted in memory, so a high limit costs the
 * database one statement per lease, not per request. A lease's unused points are lost when its
 * window ends, so the service never goes over the limit, and stays under it by at most one lease
 * per instance; at the platform's 10 per second a lease is one point.
 */
const LEASE_DIVISOR = 50;

/**
 * A fixed-window budget kept in Postgres by rate-limiter-flexible (`RateLimiterPostgres`): one
 * `INSERT ... ON CONFLICT` per request on an unlogged table. The table is created by the
 * migrations, so the limiter never creates it at run time.
 * @throws Error when `name` is not `[a-z0-9-]+` or `points`/`durationSeconds` are not positive.
 */
export function createRateBudget(pool: Pool, { name, points, durationSeconds, onStoreError, refuseSpentKeysInMemory = false }: RateBudgetOptions): RateBudget {
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
    ...(refuseSpentKeysInMemory ? { inMemoryBlockOnConsumed: points } : {}),
  });
  // rate-limiter-flexible's own insuranceLimiter would hide the store's failure; this one is told.
  const fallback = new RateLimiterMemory({ keyPrefix: name, points, duration: durationSeconds });
  const refusal = (msBeforeNext: number): RateDecision => ({ allowed: false, retryAfterSeconds: Math.max(1, Math.ceil(msBeforeNext / 1000)) });
  // Keys this instance saw spend their points, and when their window ends (ms since the epoch).
  const spentUntil = new Map<string, number>();
  const noteSpent = (key: string, msBeforeNext: number) => {
    if (!refuseSpentKeysInMemory) return;
    const now = Date.now();
    if (spentUntil.size >= MAX_REMEMBERED_KEYS) for (const [k, until] of spentUntil) if (until <= now) spentUntil.delete(k);
    if (spentUntil.size < MAX_REMEMBERED_KEYS) spentUntil.set(key, now + msBeforeNext);
  };
  const decide = async (from: RateLimiterPostgres | RateLimiterMemory, key: string): Promise<RateDecision> => {
    try {
      const res = await from.consume(key);
      if (res.remainingPoints <= 0) noteSpent(key, res.msBeforeNext);
      return { allowed: true };
    } catch (rejection) {
      if (rejection instanceof RateLimiterRes) {
        noteSpent(key, rejection.msBeforeNext);
        return refusal(rejection.msBeforeNext);
      }
      throw rejection;
    }
  };
  const lease = Math.max(1, Math.floor(points / LEASE_DIVISOR));
  const leases = new Map<string, { remaining: number; until: number }>();
  /**
   * A lease of `lease` points from Postgres: `true`; a refusal when the window was spent already;
   * `false` when it had fewer points left than a lease (the caller asks for one).
   */
  const takeLease = async (key: string): Promise<true | false | RateDecision> => {
    try {
      const res = await limiter.consume(key, lease);
      if (leases.size >= MAX_REMEMBERED_KEYS) leases.clear();
      leases.set(key, { remaining: lease, until: Date.now() + res.msBeforeNext });
      return true;
    } catch (rejection) {
      if (!(rejection instanceof RateLimiterRes)) throw rejection;
      if (rejection.consumedPoints - lease < points) return false;
      noteSpent(key, rejection.msBeforeNext);
      return refusal(rejection.msBeforeNext);
    }
  };
  /**
   * One lease in flight per key: the requests that find no lease wait for the one being taken. A
   * burst of concurrent requests once took a lease each, so 50 at once spent a whole window of a
   * 1,000,000-per-second budget and the rest of that second was refused (a CI run of
   * test/integration/scim-concurrency.int.test.ts).
   */
  const leasesInFlight = new Map<string, Promise<true | false | RateDecision>>();
  const acquireLease = (key: string): Promise<true | false | RateDecision> => {
    let inFlight = leasesInFlight.get(key);
    if (!inFlight) {
      inFlight = takeLease(key).finally(() => leasesInFlight.delete(key));
      leasesInFlight.set(key, inFlight);
    }
    return inFlight;
  };
  return {
    points,
    durationSeconds,
    async consume(key) {
      try {
        // Each turn takes a point of the held lease or waits for a lease: a new one only when the
        // lease that came was spent by the other waiters, so the loop ends with the window's points.
        while (lease > 1) {
          const held = leases.get(key);
          if (held && held.remaining > 0 && held.until > Date.now()) {
            held.remaining--;
            return { allowed: true };
          }
          const leased = await acquireLease(key);
          if (leased === false) break; // fewer points left than a lease: one at a time
          if (leased !== true) return leased;
        }
        return await decide(limiter, key);
      } catch (error) {
        onStoreError?.(error);
        return decide(fallback, key);
      }
    },
    knownRefusal(key) {
      const until = spentUntil.get(key);
      if (until === undefined) return { allowed: true };
      const ms = until - Date.now();
      if (ms > 0) return refusal(ms);
      spentUntil.delete(key);
      return { allowed: true };
    },
  };
}
