import request from 'supertest';
import { ADMIN_TOKEN, startScimApi, type ScimApiUnderTest } from '../helpers/scim-api';

const JSON_API = /^application\/vnd\.api\+json/;

/** Every failure under /api/v2, whatever went wrong, is a JSON:API error document (never `{"error": ...}`, HTML or a stack). */
describe('admin API errors', () => {
  let api: ScimApiUnderTest;

  beforeAll(async () => {
    api = await startScimApi('admin_errors', { SCIM_MAX_BODY_BYTES: '2048' });
  });
  afterAll(async () => {
    await api.close();
  });

  const authed = (method: 'get' | 'post' | 'put' | 'patch' | 'delete', path: string) => request(api.app)[method](path).set('Authorization', `Bearer ${ADMIN_TOKEN}`);

  function expectError(res: request.Response, status: number, title: string) {
    expect(res.status).toBe(status);
    expect(res.headers['content-type']).toMatch(JSON_API);
    expect(res.body).toEqual({ errors: [expect.objectContaining({ status: String(status), title, detail: expect.any(String) })] });
  }

  it.each(['/api/v2/admin/no-such-thing', '/api/v2/admin', '/api/v2/no-such-thing', '/api/v2/admin/scim-tokens/st-0/extra'])('answers 404 for %s', async (path) => {
    expectError(await authed('get', path), 404, 'not found');
  });

  it('answers 401 with WWW-Authenticate before anything else when the token is missing', async () => {
    const res = await request(api.app).get('/api/v2/admin/no-such-thing');
    expectError(res, 401, 'unauthorized');
    expect(res.headers['www-authenticate']).toBe('Bearer realm="admin"');
  });

  it.each([
    ['put', '/api/v2/admin/scim-tokens', 'GET, POST, HEAD'],
    ['patch', '/api/v2/admin/scim-tokens/st-00000000000000000000', 'GET, DELETE, HEAD'],
    ['post', '/api/v2/admin/scim-groups', 'GET, HEAD'],
    ['get', '/api/v2/admin/teams/team-owners/scim-group-mapping', 'POST, PATCH, DELETE'],
    ['get', '/api/v2/authentication-tokens/st-00000000000000000000', 'DELETE'],
    ['delete', '/api/v2/teams/team-owners', 'GET, HEAD'],
  ] as const)('answers 405 with Allow for %s %s', async (method, path, allow) => {
    const res = await authed(method, path);
    expectError(res, 405, 'method not allowed');
    expect(res.headers.allow).toBe(allow);
  });

  it('answers 400 for a body that is not JSON, or not a JSON:API document', async () => {
    expectError(await authed('post', '/api/v2/admin/scim-tokens').set('Content-Type', 'application/vnd.api+json').send('{"data":'), 400, 'bad request');
    expectError(await authed('post', '/api/v2/admin/scim-tokens').set('Content-Type', 'application/vnd.api+json').send('{"data":[]}'), 400, 'bad request');
    expectError(await authed('patch', '/api/v2/admin/scim-settings').set('Content-Type', 'application/vnd.api+json').send('"enabled"'), 400, 'bad request');
  });

  it.each(['text/plain', 'application/scim+json', 'application/x-www-form-urlencoded', undefined])(
    'answers a valid document sent as %s with 415 naming application/vnd.api+json, writing nothing',
    async (type) => {
      const before = (await api.allEvents()).length;
      const document = JSON.stringify({ data: { type: 'authentication-tokens', attributes: { description: 'wrong type' } } });
      const sent = authed('post', '/api/v2/admin/scim-tokens');
      const res = await (type === undefined ? sent.send(Buffer.from(document)) : sent.set('Content-Type', type).send(document));
      expectError(res, 415, 'unsupported media type');
      const what = type === undefined ? 'a body without Content-Type' : `Content-Type "${type}"`;
      expect(res.body.errors[0].detail).toBe(`${what} is not accepted; send a JSON:API document as application/vnd.api+json`);
      expect((await api.allEvents()).length).toBe(before);
    },
  );

  it('answers a body that is not UTF-8 with a JSON:API 400, writing nothing', async () => {
    const before = (await api.allEvents()).length;
    const body = Buffer.concat([Buffer.from('{"data":{"type":"authentication-tokens","attributes":{"description":"a'), Buffer.from([0xff]), Buffer.from('"}}}')]);
    const res = await authed('post', '/api/v2/admin/scim-tokens').set('Content-Type', 'application/vnd.api+json').serialize((raw: unknown) => raw as string).send(body);
    expectError(res, 400, 'bad request');
    expect(res.body.errors[0].detail).toBe('the body is not valid UTF-8');
    expect((await api.allEvents()).length).toBe(before);
  });

  it('answers 413 for a body over the limit', async () => {
    const body = JSON.stringify({ data: { type: 'authentication-tokens', attributes: { description: 'x'.repeat(4096) } } });
    const res = await authed('post', '/api/v2/admin/scim-tokens').set('Content-Type', 'application/vnd.api+json').send(body);
    expectError(res, 413, 'payload too large');
    expect(res.body.errors[0].detail).toBe('the request body is larger than 2048 bytes');
  });

  it('answers the ping go-tfe sends first, without a token', async () => {
    const res = await request(api.app).get('/api/v2/ping');
    expect(res.status).toBe(204);
    expect(res.headers['x-ratelimit-limit']).toBe('1000000');
  });
});
