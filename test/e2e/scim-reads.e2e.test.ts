import { ENTERPRISE, ERROR, GROUP_SCHEMA, newUser, patchOp, startScimApi, type ScimApiUnderTest } from '../helpers/scim-api';

const LIST = 'urn:ietf:params:scim:api:messages:2.0:ListResponse';

describe('SCIM reads from the read model', () => {
  let api: ScimApiUnderTest;
  const users: Record<string, { id: string }> = {};
  let groupId: string;
  beforeAll(async () => {
    api = await startScimApi('scim_reads', { SCIM_MAX_PAGE_SIZE: '5', SCIM_DEFAULT_PAGE_SIZE: '3' });
    for (const [name, extra] of [
      ['Ada@Example.com', { externalId: 'ext-ada', title: 'Engineer', [ENTERPRISE]: { department: 'R&D' } }],
      ['bea@example.com', { externalId: 'EXT-BEA', title: 'Manager', active: false }],
      ['cy@example.com', { title: 'Engineer' }],
      ['dee@example.com', {}],
      ['eve@example.org', { title: 'Auditor' }],
      ['fay@example.org', {}],
    ] as const) {
      const res = await api.scim('post', '/Users', newUser(name, extra));
      expect(res.status).toBe(201);
      users[name] = res.body;
    }
    const group = await api.scim('post', '/Groups', {
      schemas: [GROUP_SCHEMA],
      displayName: 'Readers',
      externalId: 'grp-readers',
      members: [{ value: users['Ada@Example.com']!.id }, { value: users['cy@example.com']!.id }],
    });
    groupId = group.body.id;
  });
  afterAll(async () => {
    await api.close();
  });

  describe('GET /Users/:id', () => {
    it('equals the response of the write just before it, groups included', async () => {
      const created = await api.scim('post', '/Users', newUser('mirror@example.com', { title: 'Mirror' }));
      const read = await api.scim('get', `/Users/${created.body.id}`);
      expect(read.status).toBe(200);
      expect(read.body).toEqual(created.body);

      const patched = await api.scim('patch', `/Users/${created.body.id}`, patchOp({ op: 'replace', path: 'title', value: 'Reflected' }));
      expect((await api.scim('get', `/Users/${created.body.id}`)).body).toEqual(patched.body);

      await api.scim('patch', `/Groups/${groupId}`, patchOp({ op: 'add', path: 'members', value: [{ value: created.body.id }] }));
      const withGroup = await api.scim('get', `/Users/${created.body.id}`);
      expect(withGroup.body.groups).toEqual([{ value: groupId, display: 'Readers', $ref: `https://scim.test/scim/v2/Groups/${groupId}`, type: 'direct' }]);
      const put = await api.scim('put', `/Users/${created.body.id}`, newUser('mirror@example.com', { title: 'Put' }));
      expect(put.body.groups).toEqual(withGroup.body.groups);
      expect((await api.scim('get', `/Users/${created.body.id}`)).body).toEqual(put.body);
    });

    it('answers 404 in the error schema for an unknown or deleted user', async () => {
      const created = await api.scim('post', '/Users', newUser('gone@example.com'));
      await api.scim('delete', `/Users/${created.body.id}`);
      for (const id of [created.body.id, '6b1f3c7e-0000-4000-8000-00000000dead', 'nope']) {
        const res = await api.scim('get', `/Users/${id}`);
        expect(res.status).toBe(404);
        expect(res.body).toMatchObject({ schemas: [ERROR], status: '404' });
      }
    });

    it('answers 304 for a matching If-None-Match and 200 for a stale one', async () => {
      const { id } = users['dee@example.com']!;
      const first = await api.scim('get', `/Users/${id}`);
      const etag = first.headers.etag as string;
      expect(etag).toBe(first.body.meta.version);
      expect((await api.scim('get', `/Users/${id}`, undefined, { 'If-None-Match': etag })).status).toBe(304);
      expect((await api.scim('get', `/Users/${id}`, undefined, { 'If-None-Match': 'W/"99"' })).status).toBe(200);
    });

    it('honours attributes and excludedAttributes', async () => {
      const { id } = users['Ada@Example.com']!;
      const only = await api.scim('get', `/Users/${id}?attributes=userName,name.givenName,${ENTERPRISE}:department`);
      expect(only.body).toEqual({
        schemas: ['urn:ietf:params:scim:schemas:core:2.0:User', ENTERPRISE],
        id,
        userName: 'Ada@Example.com',
        name: { givenName: 'Jane' },
        [ENTERPRISE]: { department: 'R&D' },
      });
      const without = await api.scim('get', `/Users/${id}?excludedAttributes=emails,name`);
      expect(without.body.emails).toBeUndefined();
      expect(without.body.name).toBeUndefined();
      expect(without.body.userName).toBe('Ada@Example.com');
    });

    it('reads attributes=emails[type eq "work"] as emails (a filter names no attribute; Microsoft\'s validator sends it)', async () => {
      const { id } = users['Ada@Example.com']!;
      const expected = { schemas: ['urn:ietf:params:scim:schemas:core:2.0:User', ENTERPRISE], id, emails: [{ value: 'Ada@example.com', type: 'work', primary: true }] };
      const one = await api.scim('get', `/Users/${id}?attributes=${encodeURIComponent('emails[type eq "work"]')}`);
      expect(one.status).toBe(200);
      expect(one.body).toEqual(expected);
      const list = await api.scim('get', `/Users?filter=${encodeURIComponent(`id eq "${id}"`)}&attributes=${encodeURIComponent('emails[value eq "a,b"],userName')}`);
      expect(list.status).toBe(200);
      expect(list.body.Resources).toEqual([{ ...expected, userName: 'Ada@Example.com' }]);
    });
  });

  describe('GET /Users (lists)', () => {
    it('finds a user by userName in any letter case (Entra\'s query)', async () => {
      const res = await api.scim('get', `/Users?filter=${encodeURIComponent('userName eq "ada@example.com"')}`);
      expect(res.status).toBe(200);
      expect(res.headers['content-type']).toMatch(/^application\/scim\+json/);
      expect(res.body).toMatchObject({ schemas: [LIST], totalResults: 1, startIndex: 1, itemsPerPage: 1 });
      expect(res.body.Resources[0].id).toBe(users['Ada@Example.com']!.id);
    });

    it('matches externalId case-exactly, also unquoted as Entra\'s docs show', async () => {
      expect((await api.scim('get', `/Users?filter=${encodeURIComponent('externalId eq "EXT-BEA"')}`)).body.totalResults).toBe(1);
      expect((await api.scim('get', `/Users?filter=${encodeURIComponent('externalId eq "ext-bea"')}`)).body.totalResults).toBe(0);
      expect((await api.scim('get', `/Users?filter=${encodeURIComponent('externalId eq EXT-BEA')}`)).body.totalResults).toBe(1);
    });

    it('answers a filter that matches nothing with 200 and an empty list (Test Connection)', async () => {
      const res = await api.scim('get', `/Users?filter=${encodeURIComponent('userName eq "no-such-user-7f3a"')}`);
      expect(res.status).toBe(200);
      expect(res.body).toEqual({ schemas: [LIST], totalResults: 0, startIndex: 1, itemsPerPage: 0, Resources: [] });
    });

    it('pages with the configured default and maximum, and counts every match in totalResults', async () => {
      const all = await api.scim('get', '/Users?filter=' + encodeURIComponent('userName ew "example.com" or userName ew "example.org"'));
      expect(all.body.itemsPerPage).toBe(3);
      const total = all.body.totalResults as number;
      expect(total).toBeGreaterThanOrEqual(6);
      const capped = await api.scim('get', '/Users?count=500');
      expect(capped.body.itemsPerPage).toBe(5);
      const second = await api.scim('get', '/Users?startIndex=4&count=3&sortBy=userName');
      expect(second.body).toMatchObject({ startIndex: 4, itemsPerPage: 3 });
      const zero = await api.scim('get', '/Users?count=0');
      expect(zero.body).toEqual({ schemas: [LIST], totalResults: zero.body.totalResults, startIndex: 1, itemsPerPage: 0 });
      expect((await api.scim('get', '/Users?startIndex=0&count=1')).body.startIndex).toBe(1);
    });

    it('sorts by userName ascending and descending', async () => {
      const filter = encodeURIComponent('title pr');
      const asc = await api.scim('get', `/Users?filter=${filter}&sortBy=userName&count=5`);
      const names = asc.body.Resources.map((r: { userName: string }) => r.userName.toLowerCase());
      expect(names).toEqual([...names].sort());
      const desc = await api.scim('get', `/Users?filter=${filter}&sortBy=userName&sortOrder=descending&count=5`);
      expect(desc.body.Resources.map((r: { userName: string }) => r.userName.toLowerCase())).toEqual([...names].sort().reverse());
    });

    it('supports the whole grammar: and/or/not, value paths, URN attributes, pr', async () => {
      const q = async (filter: string) =>
        ((await api.scim('get', `/Users?count=5&filter=${encodeURIComponent(filter)}`)).body.Resources ?? []).map((r: { userName: string }) => r.userName).sort();
      expect(await q('title eq "Engineer" and active eq true')).toEqual(['Ada@Example.com', 'cy@example.com']);
      expect(await q('title eq "Manager" or title eq "Auditor"')).toEqual(['bea@example.com', 'eve@example.org']);
      expect(await q('emails[type eq "work" and value sw "bea"]')).toEqual(['bea@example.com']);
      expect(await q(`${ENTERPRISE}:department eq "R&D"`)).toEqual(['Ada@Example.com']);
      expect(await q('active eq false')).toEqual(['bea@example.com']);
      expect(await q('not (title pr) and userName ew ".org"')).toEqual(['fay@example.org']);
      expect(await q(`groups.value eq "${groupId}" and title eq "Engineer"`)).toEqual(['Ada@Example.com', 'cy@example.com']);
    });

    it('rejects a malformed or unsupported filter with 400 invalidFilter', async () => {
      for (const filter of ['userName eq', 'userName xx "a"', 'nosuch eq "a"', 'active gt true', '((userName eq "a")']) {
        const res = await api.scim('get', `/Users?filter=${encodeURIComponent(filter)}`);
        expect(res.status).toBe(400);
        expect(res.body).toMatchObject({ schemas: [ERROR], status: '400', scimType: 'invalidFilter' });
      }
    });

    it('answers POST /Users/.search like a GET', async () => {
      const res = await api.scim('post', '/Users/.search', {
        schemas: ['urn:ietf:params:scim:api:messages:2.0:SearchRequest'],
        filter: 'userName eq "cy@example.com"',
        attributes: ['userName'],
      });
      expect(res.status).toBe(200);
      expect(res.body.Resources).toEqual([{ schemas: ['urn:ietf:params:scim:schemas:core:2.0:User'], id: users['cy@example.com']!.id, userName: 'cy@example.com' }]);
    });

    it('rejects a non-integer count with 400 invalidValue', async () => {
      const res = await api.scim('get', '/Users?count=abc');
      expect(res.status).toBe(400);
      expect(res.body.scimType).toBe('invalidValue');
    });
  });

  describe('Groups', () => {
    it('GET /Groups/:id equals the write response, and honours excludedAttributes=members', async () => {
      const created = await api.scim('post', '/Groups', { schemas: [GROUP_SCHEMA], displayName: 'Mirror group', members: [{ value: users['dee@example.com']!.id }] });
      expect((await api.scim('get', `/Groups/${created.body.id}`)).body).toEqual(created.body);
      const lean = await api.scim('get', `/Groups/${created.body.id}?excludedAttributes=members`);
      expect(lean.body.members).toBeUndefined();
      expect(lean.body.displayName).toBe('Mirror group');
    });

    it('finds a group by displayName in any case, with excludedAttributes=members (Entra\'s query)', async () => {
      const res = await api.scim('get', `/Groups?excludedAttributes=members&filter=${encodeURIComponent('displayName eq "READERS"')}`);
      expect(res.body.totalResults).toBe(1);
      expect(res.body.Resources[0]).toMatchObject({ id: groupId, displayName: 'Readers', externalId: 'grp-readers' });
      expect(res.body.Resources[0].members).toBeUndefined();
    });

    it('filters on members.value and lists members with display names', async () => {
      const res = await api.scim('get', `/Groups?filter=${encodeURIComponent(`members.value eq "${users['cy@example.com']!.id}"`)}`);
      expect(res.body.Resources.map((g: { id: string }) => g.id)).toContain(groupId);
      const readers = res.body.Resources.find((g: { id: string }) => g.id === groupId);
      expect(readers.members.map((m: { display: string }) => m.display).sort()).toEqual(expect.arrayContaining(['Ada@Example.com', 'cy@example.com']));
    });

    it('shows a deleted user leaving every group', async () => {
      const temp = await api.scim('post', '/Users', newUser('leaver@example.com'));
      await api.scim('patch', `/Groups/${groupId}`, patchOp({ op: 'add', path: 'members', value: [{ value: temp.body.id }] }));
      await api.scim('delete', `/Users/${temp.body.id}`);
      const res = await api.scim('get', `/Groups/${groupId}`);
      expect(res.body.members.map((m: { value: string }) => m.value)).not.toContain(temp.body.id);
    });

    it('answers 404 for a deleted group', async () => {
      const created = await api.scim('post', '/Groups', { schemas: [GROUP_SCHEMA], displayName: 'Ephemeral' });
      await api.scim('delete', `/Groups/${created.body.id}`);
      expect((await api.scim('get', `/Groups/${created.body.id}`)).status).toBe(404);
    });
  });
});
