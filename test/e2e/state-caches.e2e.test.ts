import request from 'supertest';
import { newUser, startScimApi, type ScimApiUnderTest } from '../helpers/scim-api';

/**
 * Two instances of the service over one database: each keeps settings, tokens and stream states
 * in memory, so each must drop what another instance's write made stale before the write is
 * even acknowledged.
 */
describe('state kept in memory by two instances', () => {
  let a: ScimApiUnderTest;
  let b: ScimApiUnderTest;
  beforeAll(async () => {
    a = await startScimApi('state_caches');
    b = await startScimApi('state_caches_b', {}, { db: a.db });
  });
  afterAll(async () => {
    await b.close();
    await a.close();
  });

  const createToken = async () => {
    const res = await a.admin('post', '/scim-tokens', { data: { type: 'authentication-tokens', attributes: { description: 'rotation' } } });
    expect(res.status).toBe(201);
    return { id: res.body.data.id as string, value: res.body.data.attributes.token as string };
  };
  const usersWith = (api: ScimApiUnderTest, token: string) => request(api.app).get('/scim/v2/Users?count=1').set('Authorization', `Bearer ${token}`);

  it('refuses a token revoked on the other instance on the very next request, every time', async () => {
    for (let round = 0; round < 5; round++) {
      const token = await createToken();
      // Used (and so remembered) on B first.
      expect((await usersWith(b, token.value)).status).toBe(200);
      expect((await usersWith(b, token.value)).status).toBe(200);
      expect((await a.admin('delete', `/scim-tokens/${token.id}`)).status).toBe(204);
      const next = await usersWith(b, token.value);
      expect(next.status).toBe(401);
      expect(next.body.detail).toContain('not a valid SCIM token');
    }
  });

  it('refuses SCIM requests on the other instance at once when SCIM is paused, and serves them again at once when resumed', async () => {
    for (let round = 0; round < 5; round++) {
      expect((await b.scim('get', '/Users?count=1')).status).toBe(200);
      expect((await a.admin('patch', '/scim-settings', { data: { type: 'scim-settings', attributes: { paused: true } } })).status).toBe(200);
      const paused = await b.scim('get', '/Users?count=1');
      expect(paused.status).toBe(403);
      expect((await a.admin('patch', '/scim-settings', { data: { type: 'scim-settings', attributes: { paused: false } } })).status).toBe(200);
      expect((await b.scim('get', '/Users?count=1')).status).toBe(200);
    }
  });

  it('decides on the other instance from a user as it stands after a write here', async () => {
    const created = await a.scim('post', '/Users', newUser('cached@example.com'));
    const id = created.body.id as string;
    // B remembers the user at its first revision, then A changes it twice.
    expect((await b.scim('patch', `/Users/${id}`, { schemas: ['urn:ietf:params:scim:api:messages:2.0:PatchOp'], Operations: [{ op: 'replace', path: 'title', value: 'one' }] })).status).toBe(200);
    expect((await a.scim('patch', `/Users/${id}`, { schemas: ['urn:ietf:params:scim:api:messages:2.0:PatchOp'], Operations: [{ op: 'replace', path: 'title', value: 'two' }] })).status).toBe(200);
    const onB = await b.scim('patch', `/Users/${id}`, { schemas: ['urn:ietf:params:scim:api:messages:2.0:PatchOp'], Operations: [{ op: 'replace', path: 'displayName', value: 'Cached' }] });
    expect(onB.status).toBe(200);
    expect(onB.body).toMatchObject({ title: 'two', displayName: 'Cached', meta: { version: 'W/"3"' } });
  });
});
