import { ERROR, GROUP_SCHEMA, newUser, patchOp, startScimApi, type ScimApiUnderTest } from '../helpers/scim-api';

describe('SCIM /Groups (write side, Postgres event store)', () => {
  let api: ScimApiUnderTest;
  let alice: string;
  let bob: string;
  let carol: string;
  beforeAll(async () => {
    api = await startScimApi('scim_groups', { SCIM_MAX_GROUP_MEMBERS: '3' });
    const ids: string[] = [];
    for (const name of ['alice', 'bob', 'carol', 'dave']) {
      const res = await api.scim('post', '/Users', newUser(`${name}@example.com`));
      ids.push(res.body.id);
    }
    [alice, bob, carol] = ids as [string, string, string];
  });
  afterAll(async () => {
    await api.close();
  });

  const types = async (groupId: string) => (await api.store.readStream(`group-${groupId}`)).map((e) => e.type);
  const lastData = async (groupId: string) => (await api.store.readStream(`group-${groupId}`)).at(-1)!.data;
  let counter = 0;
  async function createGroup(members: string[] = [], extra: Record<string, unknown> = {}) {
    const res = await api.scim('post', '/Groups', { schemas: [GROUP_SCHEMA], displayName: `Group ${++counter}`, members: members.map((value) => ({ value })), ...extra });
    expect(res.status).toBe(201);
    return res.body.id as string;
  }

  describe('POST /Groups', () => {
    it('creates the group with members rendered as value, display and $ref', async () => {
      const res = await api.scim('post', '/Groups', { schemas: [GROUP_SCHEMA], displayName: 'Engineering', externalId: 'eng', members: [{ value: alice, $ref: null }] });
      expect(res.status).toBe(201);
      expect(res.headers.location).toBe(`https://scim.test/scim/v2/Groups/${res.body.id}`);
      expect(res.body).toMatchObject({
        schemas: [GROUP_SCHEMA],
        displayName: 'Engineering',
        externalId: 'eng',
        members: [{ value: alice, display: 'alice@example.com', $ref: `https://scim.test/scim/v2/Users/${alice}`, type: 'User' }],
        meta: { resourceType: 'Group', version: 'W/"0"' },
      });
      const events = await api.store.readStream(`group-${res.body.id}`);
      expect(events.map((e) => e.type)).toEqual(['GroupCreated']);
      expect(events[0]!.data).toEqual({ groupId: res.body.id, displayName: 'Engineering', externalId: 'eng', memberIds: [alice] });
    });

    it('rejects a displayName that differs only in case with 409 uniqueness', async () => {
      await api.scim('post', '/Groups', { schemas: [GROUP_SCHEMA], displayName: 'Ops Team' });
      const res = await api.scim('post', '/Groups', { schemas: [GROUP_SCHEMA], displayName: 'OPS team' });
      expect(res.status).toBe(409);
      expect(res.body).toMatchObject({ schemas: [ERROR], status: '409', scimType: 'uniqueness' });
    });

    it('rejects an unknown member id with 404 in the error schema, appending nothing', async () => {
      const before = (await api.allEvents()).length;
      const res = await api.scim('post', '/Groups', { schemas: [GROUP_SCHEMA], displayName: 'Ghosts', members: [{ value: '6b1f3c7e-0000-4000-8000-00000000dead' }] });
      expect(res.status).toBe(404);
      expect(res.body).toMatchObject({ schemas: [ERROR], status: '404' });
      expect(res.body.detail).toMatch(/6b1f3c7e-0000-4000-8000-00000000dead/);
      expect((await api.allEvents()).length).toBe(before);
      // The displayName was not kept by the failed create.
      expect((await api.scim('post', '/Groups', { schemas: [GROUP_SCHEMA], displayName: 'Ghosts' })).status).toBe(201);
    });

    it('rejects more members than the limit with 413', async () => {
      const ids = [alice, bob, carol, '6b1f3c7e-0000-4000-8000-0000000000ff'];
      const res = await api.scim('post', '/Groups', { schemas: [GROUP_SCHEMA], displayName: 'Too big', members: ids.map((value) => ({ value })) });
      expect(res.status).toBe(413);
      expect(res.body).toMatchObject({ schemas: [ERROR], status: '413' });
    });

    it('accepts groups sharing an externalId; externalId eq returns every match', async () => {
      const first = await createGroup([], { externalId: 'shared-ext' });
      const second = await createGroup([], { externalId: 'shared-ext' });
      const res = await api.scim('get', `/Groups?excludedAttributes=members&filter=${encodeURIComponent('externalId eq "shared-ext"')}`);
      expect(res.status).toBe(200);
      expect(res.body.totalResults).toBe(2);
      expect(res.body.Resources.map((g: { id: string }) => g.id).sort()).toEqual([first, second].sort());
    });

    it("ignores what the schema does not know, such as WSO2's members[].displayName", async () => {
      const res = await api.scim('post', '/Groups', {
        schemas: [GROUP_SCHEMA],
        displayName: 'WSO2 group',
        owner: 'someone',
        members: [{ value: alice, displayName: 'Alice' }],
      });
      expect(res.status).toBe(201);
      expect(res.body).not.toHaveProperty('owner');
      expect(res.body.members).toEqual([{ value: alice, display: 'alice@example.com', $ref: `https://scim.test/scim/v2/Users/${alice}`, type: 'User' }]);
      const put = await api.scim('put', `/Groups/${res.body.id}`, { schemas: [GROUP_SCHEMA], displayName: 'WSO2 group', members: [{ value: bob, displayName: 'Bob' }] });
      expect(put.status).toBe(200);
      expect(put.body.members.map((m: { value: string }) => m.value)).toEqual([bob]);
    });

    it('rejects a group without displayName', async () => {
      const res = await api.scim('post', '/Groups', { schemas: [GROUP_SCHEMA] });
      expect(res.status).toBe(400);
      expect(res.body.scimType).toBe('invalidValue');
    });
  });

  describe('PUT /Groups/:id', () => {
    it('replaces the roster with the full list (GroupMembersReplaced)', async () => {
      const id = await createGroup([alice]);
      const res = await api.scim('put', `/Groups/${id}`, { schemas: [GROUP_SCHEMA], displayName: `Group ${counter}`, members: [{ value: bob }] });
      expect(res.status).toBe(200);
      expect(res.body.members.map((m: { value: string }) => m.value)).toEqual([bob]);
      expect(await lastData(id)).toEqual({ groupId: id, memberIds: [bob] });
    });

    it('clears the roster with members: []', async () => {
      const id = await createGroup([alice]);
      const res = await api.scim('put', `/Groups/${id}`, { schemas: [GROUP_SCHEMA], members: [] });
      expect(res.body.members).toEqual([]);
    });

    it('keeps members, displayName and externalId when omitted, appending nothing', async () => {
      const id = await createGroup([alice], { externalId: 'keep' });
      const res = await api.scim('put', `/Groups/${id}`, { schemas: [GROUP_SCHEMA] });
      expect(res.status).toBe(200);
      expect(res.body).toMatchObject({ externalId: 'keep', members: [{ value: alice }] });
      expect(await types(id)).toEqual(['GroupCreated']);
    });

    it('answers 404 for an unknown group', async () => {
      expect((await api.scim('put', '/Groups/6b1f3c7e-0000-4000-8000-00000000dead', { schemas: [GROUP_SCHEMA], displayName: 'x' })).status).toBe(404);
    });
  });

  describe('PATCH /Groups/:id', () => {
    it('adds members (one or many) and answers 200 with the group, as the platform documents', async () => {
      const id = await createGroup([alice]);
      const res = await api.scim('patch', `/Groups/${id}`, patchOp({ op: 'Add', path: 'members', value: [{ value: bob, $ref: null }, { value: carol }] }));
      expect(res.status).toBe(200);
      expect(res.headers.etag).toBe('W/"1"');
      const member = (userId: string, userName: string) => ({ value: userId, display: userName, $ref: `https://scim.test/scim/v2/Users/${userId}`, type: 'User' });
      expect(res.body).toEqual({
        schemas: [GROUP_SCHEMA],
        id,
        displayName: `Group ${counter}`,
        members: [member(alice, 'alice@example.com'), member(bob, 'bob@example.com'), member(carol, 'carol@example.com')].sort((a, b) => (a.value < b.value ? -1 : 1)),
        meta: { resourceType: 'Group', created: expect.any(String), lastModified: expect.any(String), location: `https://scim.test/scim/v2/Groups/${id}`, version: 'W/"1"' },
      });
      expect(await lastData(id)).toEqual({ groupId: id, memberIds: [bob, carol] });
    });

    it('answers 200 with the group without members for excludedAttributes=members (Entra)', async () => {
      const id = await createGroup([alice], { externalId: 'patch-excluded' });
      const res = await api.scim('patch', `/Groups/${id}?excludedAttributes=members`, patchOp({ op: 'Add', path: 'members', value: [{ value: bob }] }));
      expect(res.status).toBe(200);
      expect(res.body).toEqual({
        schemas: [GROUP_SCHEMA],
        id,
        displayName: `Group ${counter}`,
        externalId: 'patch-excluded',
        meta: { resourceType: 'Group', created: expect.any(String), lastModified: expect.any(String), location: `https://scim.test/scim/v2/Groups/${id}`, version: 'W/"1"' },
      });
    });

    it('answers 200 with the unchanged group for a patch that changes nothing', async () => {
      const id = await createGroup([alice]);
      const res = await api.scim('patch', `/Groups/${id}`, patchOp({ op: 'add', path: 'members', value: [{ value: alice }] }));
      expect(res.status).toBe(200);
      expect(res.body).toMatchObject({ id, members: [{ value: alice }], meta: { version: 'W/"0"' } });
      expect(await types(id)).toEqual(['GroupCreated']);
    });

    it("renames through Okta's path-less replace that repeats the group's id", async () => {
      const id = await createGroup([alice]);
      const res = await api.scim('patch', `/Groups/${id}`, patchOp({ op: 'replace', value: { id, displayName: 'Okta renamed' } }));
      expect(res.status).toBe(200);
      expect(res.body).toMatchObject({ id, displayName: 'Okta renamed', members: [{ value: alice }] });
      expect(await types(id)).toEqual(['GroupCreated', 'GroupRenamed']);
    });

    it('rejects a path-less replace that changes the id with 400 mutability, appending nothing', async () => {
      const id = await createGroup();
      const res = await api.scim('patch', `/Groups/${id}`, patchOp({ op: 'replace', value: { id: alice, displayName: 'Stolen id' } }));
      expect(res.status).toBe(400);
      expect(res.body).toEqual({ schemas: [ERROR], status: '400', scimType: 'mutability', detail: `Operations[0]: 'id' is read-only: the string '${alice}' is not this resource's id` });
      expect(await types(id)).toEqual(['GroupCreated']);
    });

    it('rejects an unknown path with 400 invalidPath', async () => {
      const id = await createGroup();
      const res = await api.scim('patch', `/Groups/${id}`, patchOp({ op: 'replace', path: 'owner', value: 'x' }));
      expect(res.status).toBe(400);
      expect(res.body).toEqual({ schemas: [ERROR], status: '400', scimType: 'invalidPath', detail: "Operations[0]: unknown attribute 'owner' for resource type Group" });
    });

    it('answers 200 with the resource when attributes are asked for', async () => {
      const id = await createGroup([alice]);
      const res = await api.scim('patch', `/Groups/${id}?attributes=displayName`, patchOp({ op: 'add', path: 'members', value: [{ value: bob }] }));
      expect(res.status).toBe(200);
      expect(res.body).toEqual({ schemas: [GROUP_SCHEMA], id, displayName: `Group ${counter}` });
    });

    it('removes a member with members[value eq "<id>"]', async () => {
      const id = await createGroup([alice, bob]);
      expect((await api.scim('patch', `/Groups/${id}`, patchOp({ op: 'remove', path: `members[value eq "${alice}"]` }))).status).toBe(200);
      expect(await types(id)).toEqual(['GroupCreated', 'GroupMembersRemoved']);
      expect(await lastData(id)).toEqual({ groupId: id, memberIds: [alice] });
    });

    it('removes the members in Entra\'s value array, never all of them', async () => {
      const id = await createGroup([alice, bob, carol]);
      const res = await api.scim('patch', `/Groups/${id}`, patchOp({ op: 'Remove', path: 'members', value: [{ value: bob }] }));
      expect(res.status).toBe(200);
      expect(res.body.members.map((m: { value: string }) => m.value)).toEqual([alice, carol].sort());
      expect(await lastData(id)).toEqual({ groupId: id, memberIds: [bob] });
      const state = await api.scim('put', `/Groups/${id}`, { schemas: [GROUP_SCHEMA] });
      expect(state.body.members.map((m: { value: string }) => m.value)).toEqual([alice, carol].sort());
    });

    it('succeeds when removing a non-member, appending nothing', async () => {
      const id = await createGroup([alice]);
      expect((await api.scim('patch', `/Groups/${id}`, patchOp({ op: 'remove', path: `members[value eq "${bob}"]` }))).status).toBe(200);
      expect(await types(id)).toEqual(['GroupCreated']);
    });

    it.each([
      ['type', 'Group', 'invalidValue'],
      ['type', 'User', 'noTarget'],
      ['display', 'Bob', 'mutability'],
    ])('never makes a non-member a member through a replace of members[value eq "<id>"].%s = %j: 400 %s, appending nothing', async (sub, value, scimType) => {
      const id = await createGroup([alice]);
      const res = await api.scim('patch', `/Groups/${id}`, patchOp({ op: 'replace', path: `members[value eq "${bob}"].${sub}`, value }));
      expect(res.status).toBe(400);
      expect(res.body).toMatchObject({ schemas: [ERROR], scimType });
      expect(await types(id)).toEqual(['GroupCreated']);
    });

    it('records a replace of members as GroupMembersReplaced', async () => {
      const id = await createGroup([alice]);
      await api.scim('patch', `/Groups/${id}`, patchOp({ op: 'replace', path: 'members', value: [{ value: carol }] }));
      expect(await types(id)).toEqual(['GroupCreated', 'GroupMembersReplaced']);
    });

    it('renames and changes externalId through a path-less replace', async () => {
      const id = await createGroup();
      await api.scim('patch', `/Groups/${id}`, patchOp({ op: 'Replace', value: { displayName: 'Renamed group', externalId: 'new-ext' } }));
      expect(await types(id)).toEqual(['GroupCreated', 'GroupRenamed', 'GroupExternalIdChanged']);
    });

    it('rejects adding an unknown user with 404, appending nothing', async () => {
      const id = await createGroup([alice]);
      const res = await api.scim('patch', `/Groups/${id}`, patchOp({ op: 'add', path: 'members', value: [{ value: '6b1f3c7e-0000-4000-8000-00000000dead' }] }));
      expect(res.status).toBe(404);
      expect(await types(id)).toEqual(['GroupCreated']);
    });

    it('rejects a roster over the limit with 413', async () => {
      const id = await createGroup([alice, bob, carol]);
      const extra = (await api.scim('post', '/Users', newUser('overflow@example.com'))).body.id;
      const res = await api.scim('patch', `/Groups/${id}`, patchOp({ op: 'add', path: 'members', value: [{ value: extra }] }));
      expect(res.status).toBe(413);
    });
  });

  describe('DELETE /Groups/:id', () => {
    it('answers 204 whether or not the group exists', async () => {
      const id = await createGroup([alice]);
      expect((await api.scim('delete', `/Groups/${id}`)).status).toBe(204);
      expect((await api.scim('delete', `/Groups/${id}`)).status).toBe(204);
      expect((await api.scim('delete', '/Groups/6b1f3c7e-0000-4000-8000-00000000dead')).status).toBe(204);
      expect(await types(id)).toEqual(['GroupCreated', 'GroupDeleted']);
    });

    it('frees the displayName', async () => {
      const res = await api.scim('post', '/Groups', { schemas: [GROUP_SCHEMA], displayName: 'Short lived' });
      await api.scim('delete', `/Groups/${res.body.id}`);
      expect((await api.scim('post', '/Groups', { schemas: [GROUP_SCHEMA], displayName: 'short LIVED' })).status).toBe(201);
    });
  });

  describe('members whose user was deleted', () => {
    it('are not shown', async () => {
      const temp = (await api.scim('post', '/Users', newUser('temp-member@example.com'))).body.id;
      const id = await createGroup([alice, temp]);
      await api.scim('delete', `/Users/${temp}`);
      const res = await api.scim('put', `/Groups/${id}`, { schemas: [GROUP_SCHEMA] });
      expect(res.body.members.map((m: { value: string }) => m.value)).toEqual([alice]);
    });
  });
});
