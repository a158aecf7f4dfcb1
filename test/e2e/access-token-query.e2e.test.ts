import { Writable } from 'node:stream';
import request from 'supertest';
import { ADMIN_TOKEN, ERROR, SCIM_TOKEN, startScimApi, type ScimApiUnderTest } from '../helpers/scim-api';

/** RFC 6750 §2.3: a token in the URL is refused, and never written to a log line. */
describe('a bearer token sent as ?access_token=', () => {
  let api: ScimApiUnderTest;
  const lines: string[] = [];
  beforeAll(async () => {
    const destination = new Writable({
      write(chunk: Buffer, _encoding, done) {
        lines.push(...chunk.toString('utf8').split('\n').filter((l) => l.length > 0));
        done();
      },
    });
    api = await startScimApi('access_token_query', {}, { logDestination: destination, logLevel: 'debug' });
  });
  afterAll(async () => {
    await api.close();
  });

  const REFUSED = 'a token in the access_token query parameter is refused (RFC 6750 §2.3); send it in the Authorization header: Authorization: Bearer <token>';

  it.each([
    ['alone', `/scim/v2/Users?access_token=${SCIM_TOKEN}`, {}],
    ['beside a valid Authorization header', `/scim/v2/Users?count=1&access_token=${SCIM_TOKEN}`, { Authorization: `Bearer ${SCIM_TOKEN}` }],
    ['spelled access%5Ftoken', `/scim/v2/Users?access%5Ftoken=${SCIM_TOKEN}`, { Authorization: `Bearer ${SCIM_TOKEN}` }],
    ['on discovery', `/scim/v2/ServiceProviderConfig?access_token=${SCIM_TOKEN}`, {}],
  ])('is refused on /scim/v2 %s: 401 with a SCIM error saying where the token goes', async (_how, path, headers) => {
    const res = await request(api.app).get(path).set(headers);
    expect(res.status).toBe(401);
    expect(res.headers['www-authenticate']).toBe('Bearer realm="scim"');
    expect(res.headers['content-type']).toMatch(/^application\/scim\+json/);
    expect(res.body).toEqual({ schemas: [ERROR], status: '401', detail: REFUSED });
  });

  it('is refused on the admin API: 401 as a JSON:API error', async () => {
    const res = await request(api.app).get(`/api/v2/admin/scim-settings?access_token=${ADMIN_TOKEN}`).set('Authorization', `Bearer ${ADMIN_TOKEN}`);
    expect(res.status).toBe(401);
    expect(res.headers['www-authenticate']).toBe('Bearer realm="admin"');
    expect(res.body).toEqual({ errors: [{ status: '401', title: 'unauthorized', detail: REFUSED }] });
  });

  it('never appears in a log line: the logged URL and query carry [redacted]', async () => {
    await request(api.app).get(`/scim/v2/Users?filter=userName%20eq%20%22x%22&access_token=${SCIM_TOKEN}`);
    await request(api.app).get(`/api/v2/admin/scim-settings?access_token=${ADMIN_TOKEN}`);
    // A request that is served and fails later still logs its URL: the same redaction applies.
    await request(api.app).get(`/no-such-page?access_token=${SCIM_TOKEN}`);
    await new Promise((resolve) => setImmediate(resolve));

    const leaked = lines.filter((line) => line.includes(SCIM_TOKEN) || line.includes(ADMIN_TOKEN));
    expect(leaked).toEqual([]);
    const urls = lines.map((line) => JSON.parse(line) as { req?: { url?: string; query?: unknown } }).filter((l) => l.req?.url?.includes('access_token'));
    expect(urls.map((l) => l.req!.url)).toEqual(
      expect.arrayContaining([
        '/scim/v2/Users?filter=userName%20eq%20%22x%22&access_token=[redacted]',
        '/api/v2/admin/scim-settings?access_token=[redacted]',
        '/no-such-page?access_token=[redacted]',
      ]),
    );
    for (const l of urls) expect(JSON.stringify(l.req!.query ?? {})).not.toMatch(/access_token":"(?!\[redacted\])/);
  });
});
