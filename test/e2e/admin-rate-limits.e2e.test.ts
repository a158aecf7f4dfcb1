import request from 'supertest';
import { tokenHmac } from '../../services/scim-api/tokens/token-secret';
import { GROUP_SCHEMA, TOKEN_HMAC_SECRET, startScimApi, type ScimApiUnderTest } from '../helpers/scim-api';

const JSON_API = 'application/vnd.api+json';
const SECOND_ADMIN_TOKEN = 'second-admin-token-0123456789abcdef-0123456789abcdef';

/**
 * The admin API's own limits (api-docs/admin/scim-settings: 20 per second; team-scim-group-mapping:
 * 10 per minute per administrator), lowered here to 3 per second and 2 per minute.
 */
describe('admin API rate limits', () => {
  let api: ScimApiUnderTest;

  beforeAll(async () => {
    api = await startScimApi('admin_rate_limits', { ADMIN_SETTINGS_RATE_LIMIT_PER_SECOND: '3', ADMIN_TEAM_LINK_RATE_LIMIT_PER_MINUTE: '2' });
    await api.db.pool.query(`INSERT INTO admin_tokens (id, description, hmac) VALUES ('at-second', 'second administrator', $1)`, [
      tokenHmac(TOKEN_HMAC_SECRET, SECOND_ADMIN_TOKEN),
    ]);
  });
  afterAll(async () => {
    await api.close();
  });

  it('answers 429 as a JSON:API error past the scim-settings limit, for GET as for PATCH', async () => {
    // Seven at once span at most two one-second windows: at most six get through.
    const responses = await Promise.all(Array.from({ length: 7 }, () => api.admin('get', '/scim-settings')));
    const statuses = responses.map((r) => r.status);
    expect(statuses.filter((s) => s === 200).length).toBeLessThanOrEqual(6);
    const over = responses.find((r) => r.status === 429)!;
    expect(over).toBeDefined();
    expect(over.headers['content-type']).toMatch(/^application\/vnd\.api\+json/);
    expect(over.body).toEqual({ errors: [{ status: '429', title: 'too many requests', detail: expect.stringMatching(/scim-settings: at most 3 requests per second/) }] });
    expect(Number(over.headers['x-ratelimit-reset'])).toBeGreaterThan(0);
    // Other admin endpoints are not counted against it.
    expect((await api.admin('get', '/scim-tokens')).status).toBe(200);
  });

  it('allows 2 link changes per minute per administrator: the third is 429 and changes nothing; another administrator still may', async () => {
    const group = await api.scim('post', '/Groups', { schemas: [GROUP_SCHEMA], displayName: 'limited' });
    const team = await api.admin('post', '/teams', { data: { type: 'teams', attributes: { name: 'limited team' } } });
    const teamId = team.body.data.id as string;
    const mapping = `/teams/${teamId}/scim-group-mapping`;
    const pause = (paused: boolean) => ({ data: { type: 'scim-group-mappings', attributes: { 'scim-sync-paused': paused } } });

    expect((await api.admin('post', mapping, { data: { type: 'scim-group-mappings', attributes: { 'scim-group-id': group.body.id } } })).status).toBe(204);
    expect((await api.admin('patch', mapping, pause(true))).status).toBe(204);
    const over = await api.admin('delete', mapping);
    expect(over.status).toBe(429);
    expect(over.body.errors[0]).toMatchObject({ status: '429', title: 'too many requests' });
    expect((await api.store.readStream(teamId)).map((e) => e.type)).toEqual(['TeamCreated', 'TeamLinkedToScimGroup', 'TeamLinkPaused']);
    // Reads are not counted.
    expect((await api.admin('get', `/teams/${teamId}`)).status).toBe(200);

    const other = await request(api.app).patch(`/api/v2/admin${mapping}`).set('Authorization', `Bearer ${SECOND_ADMIN_TOKEN}`).set('Content-Type', JSON_API).send(JSON.stringify(pause(false)));
    expect(other.status).toBe(204);
  });
});
