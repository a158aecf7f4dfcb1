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
    it('adds members (one or many) and answers 204', async () => {
      const id = await createGroup([alice]);
      const res = await api.scim('patch', `/Groups/${id}`, patchOp({ op: 'Add', path: 'members', value: [{ value: bob, $ref: null }, { value: carol }] }));
      expect(res.status).toBe(204);
      expect(await lastData(id)).toEqual({ groupId: id, memberIds: [bob, carol] });
    });

    it('answers 200 with the resource when attributes are asked for', async () => {
      const id = await createGroup([alice]);
      const res = await api.scim('patch', `/Groups/${id}?attributes=displayName`, patchOp({ op: 'add', path: 'members', value: [{ value: bob }] }));
      expect(res.status).toBe(200);
      expect(res.body).toEqual({ schemas: [GROUP_SCHEMA], id, displayName: `Group ${counter}` });
    });

    it('removes a member with members[value eq "<id>"]', async () => {
      const id = await createGroup([alice, bob]);
      expect((await api.scim('patch', `/Groups/${id}`, patchOp({ op: 'remove', path: `members[value eq "${alice}"]` }))).status).toBe(204);
      expect(await types(id)).toEqual(['GroupCreated', 'GroupMembersRemoved']);
      expect(await lastData(id)).toEqual({ groupId: id, memberIds: [alice] });
    });

    it('removes the members in Entra\'s value array, never all of them', async () => {
      const id = await createGroup([alice, bob, carol]);
      const res = await api.scim('patch', `/Groups/${id}`, patchOp({ op: 'Remove', path: 'members', value: [{ value: bob }] }));
      expect(res.status).toBe(204);
      expect(await lastData(id)).toEqual({ groupId: id, memberIds: [bob] });
      const state = await api.scim('put', `/Groups/${id}`, { schemas: [GROUP_SCHEMA] });
      expect(state.body.members.map((m: { value: string }) => m.value)).toEqual([alice, carol].sort());
    });

    it('succeeds when removing a non-member, appending nothing', async () => {
      const id = await createGroup([alice]);
      expect((await api.scim('patch', `/Groups/${id}`, patchOp({ op: 'remove', path: `members[value eq "${bob}"]` }))).status).toBe(204);
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
