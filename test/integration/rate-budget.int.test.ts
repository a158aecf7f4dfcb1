import { createPool, type Pool } from '../../shared/db/pool';
import { createRateBudget } from '../../shared/rate-limit/rate-budget';
import { createTestDatabase, type TestDatabase } from '../helpers/postgres';

describe('a rate budget kept in Postgres', () => {
  let db: TestDatabase;
  let otherInstance: Pool;
  beforeAll(async () => {
    db = await createTestDatabase('rate_budget');
    otherInstance = createPool(db.url, 2);
  });
  afterAll(async () => {
    await otherInstance.end();
    await db.drop();
  });

  it('is one budget for every instance that shares the database', async () => {
    const first = createRateBudget(db.pool, { name: 'shared', points: 3, durationSeconds: 60 });
    const second = createRateBudget(otherInstance, { name: 'shared', points: 3, durationSeconds: 60 });

    const decisions = [await first.consume('scim'), await second.consume('scim'), await first.consume('scim'), await second.consume('scim')];

    expect(decisions.map((d) => d.allowed)).toEqual([true, true, true, false]);
    const refused = decisions[3]!;
    expect(refused.allowed === false && refused.retryAfterSeconds).toBeGreaterThanOrEqual(59);
  });

  it('keeps keys and budget names apart', async () => {
    const perAdmin = createRateBudget(db.pool, { name: 'per-admin', points: 1, durationSeconds: 60 });
    const other = createRateBudget(db.pool, { name: 'other', points: 1, durationSeconds: 60 });

    expect((await perAdmin.consume('admin-a')).allowed).toBe(true);
    expect((await perAdmin.consume('admin-b')).allowed).toBe(true);
    expect((await other.consume('admin-a')).allowed).toBe(true);
    expect((await perAdmin.consume('admin-a')).allowed).toBe(false);
  });

  it('opens again when the window ends', async () => {
    const budget = createRateBudget(db.pool, { name: 'short', points: 1, durationSeconds: 1 });
    expect((await budget.consume('k')).allowed).toBe(true);
    expect(await budget.consume('k')).toEqual({ allowed: false, retryAfterSeconds: 1 });
    await new Promise((resolve) => setTimeout(resolve, 1100));
    expect((await budget.consume('k')).allowed).toBe(true);
  });

  it("counts in the process while Postgres cannot be reached, with the same limit, and says so", async () => {
    const unreachable = createPool('postgres://postgres@127.0.0.1:1/none', 1);
    try {
      const storeErrors: unknown[] = [];
      const budget = createRateBudget(unreachable, { name: 'outage', points: 2, durationSeconds: 60, onStoreError: (e) => storeErrors.push(e) });
      const decisions = [await budget.consume('k'), await budget.consume('k'), await budget.consume('k')];
      expect(decisions.map((d) => d.allowed)).toEqual([true, true, false]);
      expect(storeErrors).toHaveLength(3);
      expect(storeErrors[0]).toMatchObject({ code: 'ECONNREFUSED' });
    } finally {
      await unreachable.end();
    }
  });

  describe('with refuseSpentKeysInMemory', () => {
    it('refuses a spent key from memory for the rest of its window, without asking Postgres', async () => {
      const ownPool = createPool(db.url, 1);
      const storeErrors: unknown[] = [];
      const budget = createRateBudget(ownPool, { name: 'in-memory', points: 2, durationSeconds: 60, refuseSpentKeysInMemory: true, onStoreError: (e) => storeErrors.push(e) });
      expect(budget.knownRefusal('k')).toEqual({ allowed: true });
      expect((await budget.consume('k')).allowed).toBe(true);
      expect(budget.knownRefusal('k')).toEqual({ allowed: true });
      expect((await budget.consume('k')).allowed).toBe(true);
      const known = budget.knownRefusal('k');
      expect(known.allowed === false && known.retryAfterSeconds).toBeGreaterThanOrEqual(59);

      // With the store gone, an answer from Postgres would fail over to a fresh in-process counter and allow.
      await ownPool.end();
      const refused = await budget.consume('k');
      expect(refused.allowed).toBe(false);
      expect(storeErrors).toEqual([]);
      expect(budget.knownRefusal('other')).toEqual({ allowed: true });
    });

    it('lets another instance learn of the spent key at its next consume', async () => {
      const first = createRateBudget(db.pool, { name: 'learned', points: 1, durationSeconds: 60, refuseSpentKeysInMemory: true });
      const second = createRateBudget(otherInstance, { name: 'learned', points: 1, durationSeconds: 60, refuseSpentKeysInMemory: true });
      expect((await first.consume('k')).allowed).toBe(true);
      expect(second.knownRefusal('k')).toEqual({ allowed: true });
      expect((await second.consume('k')).allowed).toBe(false);
      expect(second.knownRefusal('k').allowed).toBe(false);
    });

    it('forgets the refusal when the window ends', async () => {
      const budget = createRateBudget(db.pool, { name: 'forgets', points: 1, durationSeconds: 1, refuseSpentKeysInMemory: true });
      expect((await budget.consume('k')).allowed).toBe(true);
      expect(budget.knownRefusal('k')).toEqual({ allowed: false, retryAfterSeconds: 1 });
      await new Promise((resolve) => setTimeout(resolve, 1100));
      expect(budget.knownRefusal('k')).toEqual({ allowed: true });
      expect((await budget.consume('k')).allowed).toBe(true);
    });
  });

  it('refuses a name that could collide with another budget', () => {
    expect(() => createRateBudget(db.pool, { name: 'a:b', points: 1, durationSeconds: 1 })).toThrow('is not [a-z0-9-]+');
    expect(() => createRateBudget(db.pool, { name: 'zero', points: 0, durationSeconds: 1 })).toThrow('must be positive');
  });
});

describe('a rate budget of many points per window', () => {
  let db: TestDatabase;
  beforeAll(async () => {
    db = await createTestDatabase('rate_budget_lease');
  });
  afterAll(async () => {
    await db.drop();
  });

  it('takes its points from Postgres in leases, and never lets two instances together over the limit', async () => {
    const otherPool = createPool(db.url, 2);
    let queries = 0;
    // Counts the round trips both instances make (rate-limiter-flexible calls pool.query).
    const counting = (pool: Pool) => Object.assign(Object.create(pool) as Pool, { query: (...args: unknown[]) => (queries++, (pool.query as (...a: unknown[]) => unknown)(...args)) }) as Pool;
    try {
      const a = createRateBudget(counting(db.pool), { name: 'leased', points: 500, durationSeconds: 60 });
      const b = createRateBudget(counting(otherPool), { name: 'leased', points: 500, durationSeconds: 60 });
      let allowed = 0;
      for (let i = 0; i < 700; i++) if ((await (i % 2 === 0 ? a : b).consume('k')).allowed) allowed++;
      // Leases of 10: each instance may strand at most 9 points of the window.
      expect(allowed).toBeLessThanOrEqual(500);
      expect(allowed).toBeGreaterThanOrEqual(500 - 2 * 9);
      // One round trip per lease while points last, then one per refused request.
      expect(queries).toBeLessThan(50 + 2 + (700 - allowed));
    } finally {
      await otherPool.end();
    }
  });

  it('takes one lease for a burst of concurrent first requests, not one each', async () => {
    let queries = 0;
    const counting = Object.assign(Object.create(db.pool) as Pool, {
      query: (...args: unknown[]) => (queries++, (db.pool.query as (...a: unknown[]) => unknown)(...args)),
    }) as Pool;
    // Leases of 20,000: 60 requests at once once took 60 leases, 1,200,000 points, and were refused past the 50th.
    const budget = createRateBudget(counting, { name: 'burst', points: 1_000_000, durationSeconds: 60 });
    const decisions = await Promise.all(Array.from({ length: 60 }, () => budget.consume('k')));
    expect(decisions.filter((d) => !d.allowed)).toEqual([]);
    expect(queries).toBe(1);
    const { rows } = await db.pool.query<{ points: number }>(`SELECT points FROM rate_limits WHERE key = 'burst:k'`);
    expect(rows).toEqual([{ points: 20_000 }]);
  });
});
