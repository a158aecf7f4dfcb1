import request from 'supertest';
import { ERROR, SCIM_TOKEN, startScimApi, type ScimApiUnderTest } from '../helpers/scim-api';

/** With TRUST_PROXY=loopback the app believes X-Forwarded-For from loopback, where supertest connects from: each test picks its client address. */
const from = (address: string) => ({ 'X-Forwarded-For': address });

async function createToken(api: ScimApiUnderTest, description: string): Promise<string> {
  const res = await api.admin('post', '/scim-tokens', { data: { type: 'authentication-tokens', attributes: { description } } });
  expect(res.status).toBe(201);
  return res.body.data.attributes.token as string;
}

function get(api: ScimApiUnderTest, path: string, token: string | undefined, headers: Record<string, string> = {}): request.Test {
  let test = request(api.app).get(`/scim/v2${path}`);
  if (token !== undefined) test = test.set('Authorization', `Bearer ${token}`);
  for (const [name, value] of Object.entries(headers)) test = test.set(name, value);
  return test;
}

/** Waits for the start of a fresh one-second window, so a burst is not split by one opened before it. */
const freshWindow = () => new Promise((resolve) => setTimeout(resolve, 1100));

describe('the SCIM rate limit: one budget for the whole service', () => {
  let first: ScimApiUnderTest;
  let second: ScimApiUnderTest;
  let otherToken: string;
  beforeAll(async () => {
    first = await startScimApi('scim_rate_limit', { SCIM_RATE_LIMIT_PER_SECOND: '3' });
    // A second instance of the service over the same database.
    second = await startScimApi('scim_rate_limit', { SCIM_RATE_LIMIT_PER_SECOND: '3' }, { db: first.db });
    otherToken = await createToken(first, 'second identity provider');
  });
  afterAll(async () => {
    await second.close();
    await first.close();
  });

  it('shares 3 requests per second between every token and every instance; more get 429 with Retry-After and a SCIM error', async () => {
    await freshWindow();
    const started = Date.now();
    const responses = await Promise.all(
      Array.from({ length: 24 }, (_, i) => get(i % 2 ? first : second, i % 4 < 2 ? '/Users' : '/Groups', i % 3 ? SCIM_TOKEN : otherToken)),
    );
    const seconds = Math.ceil((Date.now() - started) / 1000);
    const served = responses.filter((res) => res.status === 200);
    const refused = responses.filter((res) => res.status === 429);
    expect(served.length + refused.length).toBe(24);
    // Exactly 3 when the burst fits in one window, as it does unless the machine is very busy.
    if (seconds <= 1) expect(served).toHaveLength(3);
    expect(served.length).toBeGreaterThanOrEqual(3);
    expect(served.length).toBeLessThanOrEqual(3 * (seconds + 1));
    for (const res of refused) {
      expect(res.headers['retry-after']).toBe('1');
      expect(res.headers['content-type']).toBe('application/scim+json; charset=utf-8');
      expect(res.body).toEqual({ schemas: [ERROR], status: '429', detail: 'more than 3 SCIM requests in 1 s across the service; retry after the Retry-After delay' });
    }
  });

  it('does not limit discovery, even while Users and Groups are refused', async () => {
    await freshWindow();
    const burst = await Promise.all(Array.from({ length: 8 }, () => get(first, '/Users', SCIM_TOKEN)));
    expect(burst.some((res) => res.status === 429)).toBe(true);
    for (const path of ['/ServiceProviderConfig', '/Schemas', '/ResourceTypes']) expect((await get(first, path, SCIM_TOKEN)).status).toBe(200);
  });

  it('is not spent by requests without a valid token', async () => {
    const spent = async () => {
      const { rows } = await first.db.pool.query<{ points: number; expire: number }>(`SELECT points, expire FROM rate_limits WHERE key = 'scim-requests:service'`);
      const row = rows[0];
      return row && row.expire > Date.now() ? row.points : 0;
    };
    await freshWindow();
    for (let i = 0; i < 5; i++) expect((await get(first, '/Users', 'not-a-token', from('192.0.2.50'))).status).toBe(401);
    expect(await spent()).toBe(0);
  });
});

describe('failed authentications per client address', () => {
  let first: ScimApiUnderTest;
  let second: ScimApiUnderTest;
  beforeAll(async () => {
    first = await startScimApi('scim_auth_failures', { SCIM_AUTH_FAILURES_PER_MINUTE: '3', TRUST_PROXY: 'loopback' });
    second = await startScimApi('scim_auth_failures', { SCIM_AUTH_FAILURES_PER_MINUTE: '3', TRUST_PROXY: 'loopback' }, { db: first.db });
  });
  afterAll(async () => {
    await second.close();
    await first.close();
  });

  const tooMany = (res: request.Response) => {
    expect(res.status).toBe(429);
    expect(Number(res.headers['retry-after'])).toBeGreaterThanOrEqual(1);
    expect(Number(res.headers['retry-after'])).toBeLessThanOrEqual(60);
    expect(res.body).toEqual({
      schemas: [ERROR],
      status: '429',
      detail: 'too many failed authentications from this address; retry after the Retry-After delay with a valid bearer token',
    });
  };

  it('answers 401 three times, then 429 before any token is looked up', async () => {
    const address = from('198.51.100.7');
    expect((await get(first, '/Users', 'wrong-token', address)).status).toBe(401);
    expect((await get(first, '/Users', undefined, address)).status).toBe(401);
    expect((await request(first.app).get('/scim/v2/Schemas').set('Authorization', 'Basic YTpi').set(address)).status).toBe(401);
    tooMany(await get(first, '/Users', 'wrong-token', address));
    // A valid token this instance has not verified yet is refused too: the lookup never ran.
    const unseen = await createToken(first, 'never used');
    tooMany(await get(first, '/Users', unseen, address));
    // Another address keeps its own budget.
    expect((await get(first, '/Users', 'wrong-token', from('198.51.100.8'))).status).toBe(401);
    expect((await get(first, '/Users', unseen, from('198.51.100.8'))).status).toBe(200);
  });

  it('lets an identity provider behind the blocked address through with a token this instance verified lately', async () => {
    const shared = from('203.0.113.20');
    expect((await get(first, '/Users', SCIM_TOKEN, shared)).status).toBe(200);
    for (let i = 0; i < 3; i++) expect((await get(first, '/Users', `attacker-${i}`, shared)).status).toBe(401);
    tooMany(await get(first, '/Users', 'attacker-3', shared));
    expect((await get(first, '/Users', SCIM_TOKEN, shared)).status).toBe(200);
    expect((await get(first, '/Groups', SCIM_TOKEN, shared)).status).toBe(200);
  });

  it('is one budget for every instance: another instance refuses the address at its next failure', async () => {
    const address = from('198.51.100.30');
    for (let i = 0; i < 3; i++) expect((await get(first, '/Users', 'wrong', address)).status).toBe(401);
    tooMany(await get(second, '/Users', 'wrong', address));
    tooMany(await get(second, '/Users', await createToken(first, 'unseen on the second'), address));
  });

  it('is not spent by successful requests', async () => {
    const address = from('198.51.100.40');
    for (let i = 0; i < 10; i++) expect((await get(first, '/Users', SCIM_TOKEN, address)).status).toBe(200);
    for (let i = 0; i < 3; i++) expect((await get(first, '/Users', 'wrong', address)).status).toBe(401);
  });

  it('keys IPv6 clients by their /64', async () => {
    for (let i = 1; i <= 3; i++) expect((await get(first, '/Users', 'wrong', from(`2001:db8:5:6::${i}`))).status).toBe(401);
    tooMany(await get(first, '/Users', 'wrong', from('2001:db8:5:6:ffff::9')));
    expect((await get(first, '/Users', 'wrong', from('2001:db8:5:7::1'))).status).toBe(401);
  });
});
