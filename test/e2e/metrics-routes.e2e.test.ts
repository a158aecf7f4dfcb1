import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import fc from 'fast-check';
import { ADMIN_TOKEN, SCIM_TOKEN, newUser, startScimApi, type ScimApiUnderTest } from '../helpers/scim-api';

/** The `route` label values of http_request_duration_seconds, and how many series it has. */
function seriesOf(text: string): { series: number; routes: Set<string> } {
  const lines = text.split('\n').filter((l) => l.startsWith('http_request_duration_seconds_count{'));
  return { series: lines.length, routes: new Set(lines.map((l) => /route="([^"]*)"/.exec(l)![1]!)) };
}

/** Each letter in upper or lower case, as `seed` decides. */
const randomCase = (path: string, seed: number) => [...path].map((c, i) => ((seed >> i % 30) & 1 ? c.toUpperCase() : c.toLowerCase())).join('');

describe('/metrics route labels', () => {
  let api: ScimApiUnderTest;
  let server: Server;
  let base: string;
  let userId: string;
  beforeAll(async () => {
    api = await startScimApi('metrics_routes');
    server = createServer(api.app);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    userId = (await api.scim('post', '/Users', newUser('metrics@example.com'))).body.id as string;
  });
  afterAll(async () => {
    await new Promise((resolve) => server.close(resolve));
    await api.close();
  });

  const metrics = async () => seriesOf(await (await fetch(`${base}/metrics`)).text());

  it('are the matched route templates, whatever case or id the client sends', async () => {
    for (const path of [`/scim/v2/Users/${userId}`, `/SCIM/V2/USERS/${userId.toUpperCase()}`, `/scim/v2/users/${userId}`]) {
      expect((await fetch(`${base}${path}`, { headers: { Authorization: `Bearer ${SCIM_TOKEN}` } })).status).toBe(200);
    }
    const text = await (await fetch(`${base}/metrics`)).text();
    expect(text).toMatch(/http_request_duration_seconds_count\{method="GET",route="\/scim\/v2\/Users\/:id",status="200"\} 3\n/);
    expect(text).not.toMatch(/route="\/SCIM|route="\/scim\/v2\/users/);
  });

  it('grow by a bounded number of series over 1,000 random paths', async () => {
    const before = await metrics();
    const segment = fc.oneof(fc.constantFrom('scim', 'v2', 'Users', 'Groups', 'Schemas', 'api', 'admin', 'teams', 'scim-groups', '.well-known', '%2e%2e', userId), fc.string({ minLength: 1, maxLength: 12 }).map(encodeURIComponent));
    const paths = fc.sample(
      fc.oneof(
        // Real routes in every spelling, with ids that exist or not.
        fc.tuple(fc.constantFrom('/scim/v2/Users/', '/scim/v2/Groups/', '/api/v2/admin/teams/', '/api/v2/admin/scim-tokens/'), fc.oneof(fc.constant(userId), fc.uuid()), fc.nat()).map(([p, id, seed]) => randomCase(p, seed) + id),
        fc.tuple(fc.constantFrom('/scim/v2/Users', '/scim/v2/Groups', '/scim/v2/ServiceProviderConfig', '/scim/v2/Schemas', '/api/v2/admin/scim-settings', '/healthz', '/metrics', '/admin/scim'), fc.nat()).map(([p, seed]) => randomCase(p, seed)),
        // Anything at all.
        fc.array(segment, { minLength: 1, maxLength: 6 }).map((segments) => `/${segments.join('/')}`),
      ),
      { numRuns: 1000, seed: 13 },
    );
    expect(paths).toHaveLength(1000);
    const methods = ['GET', 'POST', 'DELETE', 'PATCH', 'PUT'];
    for (const [i, path] of paths.entries()) {
      const token = path.toLowerCase().startsWith('/api') ? ADMIN_TOKEN : SCIM_TOKEN;
      const res = await fetch(`${base}${path}`, { method: methods[i % methods.length], headers: { Authorization: `Bearer ${token}` } });
      await res.arrayBuffer();
    }
    const after = await metrics();
    // Every label is a route template of the service's own, or `unmatched`.
    for (const route of after.routes) expect(route === 'unmatched' || route.startsWith('/')).toBe(true);
    expect([...after.routes].filter((r) => /[A-Z]{4}|[0-9a-f]{8}-|%/.test(r.replace(/ServiceProviderConfig|ResourceTypes|:id/g, '')))).toEqual([]);
    const templates = [...after.routes].sort();
    console.log(`metrics: ${before.series} → ${after.series} series after 1,000 random paths; route labels: ${templates.join(', ')}`);
    // Bounded by routes × methods × statuses, not by paths: well under one series per ten requests.
    expect(after.series - before.series).toBeLessThanOrEqual(60);
    expect(after.routes.size).toBeLessThanOrEqual(25);
  }, 120_000);
});
