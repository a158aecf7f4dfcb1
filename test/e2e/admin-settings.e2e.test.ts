import { Writable } from 'node:stream';
import request from 'supertest';
import { ADMIN_TOKEN, GROUP_SCHEMA, SCIM_TOKEN, newUser, startScimApi, type ScimApiUnderTest } from '../helpers/scim-api';

const DAY = 24 * 60 * 60 * 1000;

/** A clock the test moves. */
function movableClock(start = Date.parse('2026-11-28T12:00:00Z')) {
  let now = start;
  return { now: () => new Date(now), advance: (ms: number) => void (now += ms) };
}

describe('SCIM administration: settings, states and tokens', () => {
  let api: ScimApiUnderTest;
  const clock = movableClock();
  const logLines: string[] = [];
  const capture = new Writable({
    write(chunk, _encoding, done) {
      logLines.push(String(chunk));
      done();
    },
  });

  beforeAll(async () => {
    api = await startScimApi('admin_settings', { SCIM_RATE_LIMIT_PER_SECOND: '1000000' }, { clock, logLevel: 'trace', logDestination: capture });
  });
  afterAll(async () => {
    await api.close();
  });

  const settings = async () => (await api.admin('get', '/scim-settings')).body.data.attributes;
  const scimWith = (token: string) => request(api.app).get('/scim/v2/Users').set('Authorization', `Bearer ${token}`);
  async function createToken(attributes: Record<string, unknown>) {
    return api.admin('post', '/scim-tokens', { data: { type: 'authentication-tokens', attributes } });
  }

  describe('authentication', () => {
    it('answers 401 in a JSON:API error document without an admin token', async () => {
      const res = await request(api.app).get('/api/v2/admin/scim-settings');
      expect(res.status).toBe(401);
      expect(res.headers['content-type']).toMatch(/^application\/vnd\.api\+json/);
      expect(res.body).toEqual({ errors: [{ status: '401', title: 'unauthorized', detail: expect.any(String) }] });
    });

    it('never accepts a SCIM token on the admin API, nor an admin token on /scim/v2', async () => {
      expect((await api.admin('get', '/scim-settings', undefined, SCIM_TOKEN)).status).toBe(401);
      expect((await scimWith(ADMIN_TOKEN)).status).toBe(401);
    });
  });

  describe('settings and states', () => {
    it('starts enabled on a fresh install when SCIM_BOOTSTRAP_TOKEN is set', async () => {
      expect(await settings()).toEqual({ enabled: true, paused: false, 'site-admin-group-scim-id': null, 'site-admin-group-display-name': null });
    });

    it('pauses: Users and Groups answer 403, discovery still answers; resume restores them (go-tfe sends no type)', async () => {
      const paused = await api.admin('patch', '/scim-settings', { data: { attributes: { paused: true } } });
      expect(paused.status).toBe(200);
      expect(paused.body.data.attributes).toMatchObject({ enabled: true, paused: true });
      const users = await api.scim('get', '/Users');
      expect(users.status).toBe(403);
      expect(users.body).toMatchObject({ schemas: ['urn:ietf:params:scim:api:messages:2.0:Error'], status: '403' });
      expect((await api.scim('post', '/Groups', { schemas: [GROUP_SCHEMA], displayName: 'x' })).status).toBe(403);
      expect((await api.scim('get', '/ServiceProviderConfig')).status).toBe(200);
      expect((await api.scim('get', '/Schemas')).status).toBe(200);

      await api.admin('patch', '/scim-settings', { data: { type: 'scim-settings', attributes: { paused: false } } });
      expect((await api.scim('get', '/Users')).status).toBe(200);
    });

    it('rejects a document of another type with 400, wrong types and missing attributes with 422, and changes nothing', async () => {
      const before = (await api.store.readStream('scim-settings')).length;
      const other = await api.admin('patch', '/scim-settings', { data: { type: 'teams', attributes: { paused: true } } });
      expect(other.status).toBe(400);
      expect(other.body.errors[0]).toMatchObject({ status: '400', title: 'bad request', source: { pointer: '/data/type' } });
      for (const [attributes, pointer] of [
        [{ paused: 'yes' }, '/data/attributes/paused'],
        [{ enabled: 1 }, '/data/attributes/enabled'],
        [{ 'site-admin-group-scim-id': 42 }, '/data/attributes/site-admin-group-scim-id'],
        [{}, '/data/attributes'],
      ] as const) {
        const res = await api.admin('patch', '/scim-settings', { data: { type: 'scim-settings', attributes } });
        expect({ attributes, status: res.status }).toEqual({ attributes, status: 422 });
        expect(res.headers['content-type']).toMatch(/^application\/vnd\.api\+json/);
        expect(res.body.errors[0]).toMatchObject({ status: '422', title: 'unprocessable entity', source: { pointer } });
      }
      expect((await api.store.readStream('scim-settings')).length).toBe(before);
    });

    it('rejects enabled:false with 422 and leaves everything as it was, pause included', async () => {
      const before = (await api.store.readStream('scim-settings')).length;
      const res = await api.admin('patch', '/scim-settings', { data: { type: 'scim-settings', attributes: { enabled: false, paused: true } } });
      expect(res.status).toBe(422);
      expect(res.body.errors[0].detail).toMatch(/DELETE/);
      expect(await settings()).toMatchObject({ enabled: true, paused: false });
      expect((await api.store.readStream('scim-settings')).length).toBe(before);
    });

    it('accepts go-tfe\'s "type":"" and a missing type alike', async () => {
      const empty = await api.admin('patch', '/scim-settings', { data: { type: '', attributes: { paused: false } } });
      expect(empty.status).toBe(200);
      expect(empty.body.data).toEqual({
        id: 'scim',
        type: 'scim-settings',
        attributes: { enabled: true, paused: false, 'site-admin-group-scim-id': null, 'site-admin-group-display-name': null },
      });
    });

    it('answers 422 for a site-admin group that does not exist, without enabling or pausing anything else', async () => {
      const before = (await api.store.readStream('scim-settings')).length;
      const res = await api.admin('patch', '/scim-settings', {
        data: { type: 'scim-settings', attributes: { paused: true, 'site-admin-group-scim-id': "this-group-doesn't-exist" } },
      });
      expect(res.status).toBe(422);
      expect(res.body.errors[0].detail).toMatch(/no SCIM group/);
      expect(await settings()).toMatchObject({ paused: false });
      expect((await api.store.readStream('scim-settings')).length).toBe(before);
    });

    it('sets the site-admin group and pauses in one request, then clears the group with an explicit null', async () => {
      const group = await api.scim('post', '/Groups', { schemas: [GROUP_SCHEMA], displayName: 'Site admins' });
      const set = await api.admin('patch', '/scim-settings', { data: { type: 'scim-settings', attributes: { 'site-admin-group-scim-id': group.body.id } } });
      expect(set.status).toBe(200);
      expect(set.body.data.attributes).toMatchObject({ 'site-admin-group-scim-id': group.body.id, 'site-admin-group-display-name': 'Site admins' });
      const cleared = await api.admin('patch', '/scim-settings', { data: { type: '', attributes: { 'site-admin-group-scim-id': null } } });
      expect(cleared.body.data.attributes).toMatchObject({ 'site-admin-group-scim-id': null, 'site-admin-group-display-name': null });
      await api.scim('delete', `/Groups/${group.body.id}`);
    });

    it('answers 405 with Allow for a method the resource does not have', async () => {
      const res = await api.admin('post', '/scim-settings', { data: { attributes: { paused: true } } });
      expect(res.status).toBe(405);
      expect(res.headers.allow).toBe('GET, PATCH, DELETE, HEAD');
      expect(res.body.errors[0]).toMatchObject({ status: '405', title: 'method not allowed' });
    });

    it('records every change as an event on the scim-settings stream', async () => {
      const types = (await api.store.readStream('scim-settings')).map((e) => e.type);
      expect(types).toEqual(['ScimEnabled', 'ScimPaused', 'ScimResumed', 'SiteAdminGroupSet', 'SiteAdminGroupCleared']);
      const paused = (await api.store.readStream('scim-settings'))[1]!;
      expect(paused.metadata).toMatchObject({ actor: { kind: 'admin', id: 'at-bootstrap' } });
    });
  });

  describe('tokens', () => {
    it('creates a token: value shown once, expiry 365 days by default, listed without secrets', async () => {
      const created = await createToken({ description: 'Entra ID' });
      expect(created.status).toBe(201);
      const { id, attributes } = created.body.data;
      expect(created.body.data.type).toBe('authentication-tokens');
      expect(attributes.token).toMatch(/^scim_[A-Za-z0-9_-]{43}$/);
      expect(Date.parse(attributes['expired-at']) - clock.now().getTime()).toBe(365 * DAY);
      expect(attributes['last-used-at']).toBeNull();

      const one = await api.admin('get', `/scim-tokens/${id}`);
      expect(one.body.data.attributes).toEqual({
        description: 'Entra ID',
        token: null,
        'created-at': clock.now().toISOString(),
        'expired-at': attributes['expired-at'],
        'last-used-at': null,
        expired: false,
      });
      const list = await api.admin('get', '/scim-tokens');
      expect(list.body.data.map((t: { id: string }) => t.id)).toContain(id);
      expect(JSON.stringify(list.body)).not.toContain(attributes.token);

      expect((await scimWith(attributes.token)).status).toBe(200);
    });

    it.each([
      ['under 29 days ahead', 28 * DAY],
      ['over 365 days ahead', 366 * DAY],
      ['in the past', -DAY],
    ])('rejects an expiry %s with 400', async (_case, offset) => {
      const res = await createToken({ description: 'bad expiry', 'expired-at': new Date(clock.now().getTime() + offset).toISOString() });
      expect(res.status).toBe(400);
      expect(res.body.errors[0]).toMatchObject({ status: '400', detail: 'expired-at must be between 29 and 365 days in the future' });
    });

    it.each([
      ['not a date', { 'expired-at': 'next year' }, '/data/attributes/expired-at'],
      ['a date without a time', { 'expired-at': '2027-01-15' }, '/data/attributes/expired-at'],
      ['a description that is not a string', { description: 7 }, '/data/attributes/description'],
      ['a description over 200 characters', { description: 'x'.repeat(201) }, '/data/attributes/description'],
      ['U+0000 in the description', { description: 'a\u0000b' }, '/data/attributes/description'],
      ['a lone surrogate in the description', { description: 'a\ud800b' }, '/data/attributes/description'],
    ])('rejects %s with 400 and creates nothing', async (_case, attributes, pointer) => {
      const before = (await api.admin('get', '/scim-tokens')).body.data.length;
      const res = await createToken(attributes);
      expect(res.status).toBe(400);
      expect(res.body.errors[0]).toMatchObject({ status: '400', source: { pointer } });
      expect((await api.admin('get', '/scim-tokens')).body.data.length).toBe(before);
    });

    it('creates a token without a description, and with go-tfe\'s "type":"" and second-precision expiry', async () => {
      const bare = await api.admin('post', '/scim-tokens', { data: { type: '' } });
      expect(bare.status).toBe(201);
      expect(bare.body.data.attributes.description).toBeNull();
      const expiry = new Date(clock.now().getTime() + 29 * DAY + 10_000).toISOString().replace(/\.\d{3}Z$/, 'Z');
      const res = await api.admin('post', '/scim-tokens', { data: { type: '', attributes: { description: 'go-tfe', 'expired-at': expiry } } });
      expect(res.status).toBe(201);
      expect(res.body.data.attributes['expired-at']).toBe(new Date(expiry).toISOString());
    });

    it('accepts the 30, 90 and 365 day presets and keeps several tokens active at once', async () => {
      const values: string[] = [];
      for (const days of [29, 30, 90, 365]) {
        const res = await createToken({ description: `rotation ${days}`, 'expired-at': new Date(clock.now().getTime() + days * DAY).toISOString() });
        expect(res.status).toBe(201);
        values.push(res.body.data.attributes.token);
      }
      for (const value of values) expect((await scimWith(value)).status).toBe(200);
    });

    it('revokes: the very next request with the token gets 401', async () => {
      const created = await createToken({ description: 'short-lived' });
      const token = created.body.data.attributes.token as string;
      expect((await scimWith(token)).status).toBe(200);
      expect((await api.admin('delete', `/scim-tokens/${created.body.data.id}`)).status).toBe(204);
      expect((await scimWith(token)).status).toBe(401);
      expect((await api.admin('get', `/scim-tokens/${created.body.data.id}`)).status).toBe(404);
      expect((await api.admin('delete', `/scim-tokens/${created.body.data.id}`)).status).toBe(404);
      const events = (await api.store.readStream(`scim-token-${created.body.data.id}`)).map((e) => e.type);
      expect(events).toEqual(['ScimTokenCreated', 'ScimTokenRevoked']);
    });

    it('revokes through go-tfe\'s DELETE /api/v2/authentication-tokens/:id: 204, then 404; only SCIM token ids', async () => {
      const created = await createToken({ description: 'go-tfe delete' });
      const token = created.body.data.attributes.token as string;
      const path = `/api/v2/authentication-tokens/${created.body.data.id}`;
      const del = () => request(api.app).delete(path).set('Authorization', `Bearer ${ADMIN_TOKEN}`).set('Content-Type', 'application/vnd.api+json');
      expect((await request(api.app).delete(path)).status).toBe(401);
      expect((await request(api.app).delete(path).set('Authorization', `Bearer ${SCIM_TOKEN}`)).status).toBe(401);
      expect((await del()).status).toBe(204);
      expect((await scimWith(token)).status).toBe(401);
      const again = await del();
      expect(again.status).toBe(404);
      expect(again.headers['content-type']).toMatch(/^application\/vnd\.api\+json/);
      for (const id of ['at-bootstrap', 'this-does-not-exist', '%00']) {
        expect((await request(api.app).delete(`/api/v2/authentication-tokens/${id}`).set('Authorization', `Bearer ${ADMIN_TOKEN}`)).status).toBe(404);
      }
    });

    it('expires: a 30-day token stops working after 30 days, and stays listed, flagged, until revoked', async () => {
      const created = await createToken({ description: 'expiring', 'expired-at': new Date(clock.now().getTime() + 30 * DAY).toISOString() });
      const { id } = created.body.data;
      const token = created.body.data.attributes.token as string;
      clock.advance(29 * DAY);
      expect((await scimWith(token)).status).toBe(200);
      clock.advance(2 * DAY);
      expect((await scimWith(token)).status).toBe(401);
      const listed = (await api.admin('get', '/scim-tokens')).body.data.find((t: { id: string }) => t.id === id);
      expect(listed.attributes).toMatchObject({ expired: true, token: null });
      expect((await api.admin('get', `/scim-tokens/${id}`)).body.data.attributes.expired).toBe(true);
      expect((await api.admin('delete', `/scim-tokens/${id}`)).status).toBe(204);
      expect((await api.admin('get', '/scim-tokens')).body.data.map((t: { id: string }) => t.id)).not.toContain(id);
    });

    it('records last use at most once a minute', async () => {
      const created = await createToken({ description: 'usage' });
      const { id, attributes } = created.body.data;
      const lastUsed = async () => (await api.admin('get', `/scim-tokens/${id}`)).body.data.attributes['last-used-at'];
      await scimWith(attributes.token);
      const first = await waitFor(lastUsed);
      clock.advance(30_000);
      await scimWith(attributes.token);
      await new Promise((r) => setTimeout(r, 50));
      expect(await lastUsed()).toBe(first);
      clock.advance(31_000);
      await scimWith(attributes.token);
      await waitFor(async () => ((await lastUsed()) !== first ? true : undefined));
      expect(Date.parse(await lastUsed())).toBe(clock.now().getTime());
    });

    it('keeps no token value in any table and in no log line', async () => {
      const created = await createToken({ description: 'secrecy' });
      const token = created.body.data.attributes.token as string;
      await scimWith(token);
      const tables = await api.db.pool.query<{ schemaname: string; tablename: string }>(
        `SELECT schemaname, tablename FROM pg_tables WHERE schemaname NOT IN ('pg_catalog', 'information_schema')`,
      );
      for (const { schemaname, tablename } of tables.rows) {
        const rows = await api.db.pool.query(`SELECT t::text AS row FROM "${schemaname}"."${tablename}" t`);
        for (const { row } of rows.rows) {
          for (const secret of [token, SCIM_TOKEN, ADMIN_TOKEN]) expect(row).not.toContain(secret);
        }
      }
      const logs = logLines.join('');
      expect(logs.length).toBeGreaterThan(0);
      expect(logs).toContain('"authorization":"[redacted]"');
      for (const secret of [token, SCIM_TOKEN, ADMIN_TOKEN]) expect(logs).not.toContain(secret);
    });
  });

  describe('rate limit', () => {
    it('answers 429 with Retry-After past the per-second limit; discovery is not limited', async () => {
      const limited = await startScimApi('admin_rate_limit', { SCIM_RATE_LIMIT_PER_SECOND: '3' });
      try {
        const statuses: number[] = [];
        for (let i = 0; i < 5; i++) statuses.push((await limited.scim('get', '/Users')).status);
        expect(statuses.slice(0, 3)).toEqual([200, 200, 200]);
        const over = await limited.scim('get', '/Groups');
        expect(over.status).toBe(429);
        expect(over.headers['retry-after']).toBe('1');
        expect(over.body).toMatchObject({ schemas: ['urn:ietf:params:scim:api:messages:2.0:Error'], status: '429' });
        expect((await limited.scim('get', '/ServiceProviderConfig')).status).toBe(200);
      } finally {
        await limited.close();
      }
    });
  });

  describe('disable', () => {
    it('removes SCIM identities, groups, memberships and tokens, keeps accounts; re-enabling starts empty', async () => {
      const user = await api.scim('post', '/Users', newUser('kept.account@example.com'));
      await api.scim('post', '/Groups', { schemas: [GROUP_SCHEMA], displayName: 'Going away', members: [{ value: user.body.id }] });
      const extra = (await createToken({ description: 'doomed' })).body.data.attributes.token as string;

      const disabled = await api.admin('delete', '/scim-settings');
      expect(disabled.status).toBe(200);
      expect(disabled.body).toEqual({
        data: { id: 'scim', type: 'scim-settings', attributes: { enabled: false, paused: false, 'site-admin-group-scim-id': null, 'site-admin-group-display-name': null } },
      });

      expect(await settings()).toMatchObject({ enabled: false, paused: false });
      expect((await scimWith(extra)).status).toBe(401);
      expect((await scimWith(SCIM_TOKEN)).status).toBe(401);
      expect((await api.admin('get', '/scim-tokens')).body.data).toEqual([]);
      // Groups and identities go in the background; the cleanup resource shows it.
      const done = await waitFor(async () => {
        const cleanup = (await api.admin('get', '/scim-cleanup')).body.data.attributes as { running: boolean; total: number; remaining: number };
        return cleanup.running ? undefined : cleanup;
      }, 10_000);
      // Everything SCIM held when it was disabled: this suite's earlier users, groups and tokens too.
      expect(done).toMatchObject({ running: false, remaining: 0 });
      expect(done.total).toBeGreaterThanOrEqual(4);
      // Disabling again is safe and answers the same document.
      expect((await api.admin('delete', '/scim-settings')).body).toEqual(disabled.body);
      const userEvents = await api.store.readStream(`user-${user.body.id}`);
      expect(userEvents.at(-1)).toMatchObject({ type: 'UserDeleted', data: { reason: 'scim-disabled' } });
      // The read model, once the projection has applied the cleanup's events.
      const account = await waitFor(async () => {
        const { rows } = await api.db.pool.query(`SELECT suspended, scim_user_id FROM platform_read.accounts WHERE username = 'kept.account@example.com'`);
        return rows[0]?.scim_user_id === null ? rows : undefined;
      });
      expect(account).toEqual([{ suspended: false, scim_user_id: null }]);

      await api.admin('patch', '/scim-settings', { data: { attributes: { enabled: true } } });
      const fresh = (await createToken({ description: 'after re-enable' })).body.data.attributes.token as string;
      const list = await request(api.app).get('/scim/v2/Users').set('Authorization', `Bearer ${fresh}`);
      expect(list.body.totalResults).toBe(0);
      const again = await request(api.app)
        .post('/scim/v2/Users')
        .set('Authorization', `Bearer ${fresh}`)
        .set('Content-Type', 'application/scim+json')
        .send(JSON.stringify(newUser('kept.account@example.com')));
      expect(again.status).toBe(201);
    });
  });
});

async function waitFor<T>(probe: () => Promise<T | undefined | null>, timeoutMs = 2000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined && value !== null) return value;
    if (Date.now() > deadline) throw new Error('timed out waiting');
    await new Promise((r) => setTimeout(r, 10));
  }
}
