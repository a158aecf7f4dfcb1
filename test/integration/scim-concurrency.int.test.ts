import { GROUP_SCHEMA, newUser, patchOp, startScimApi, type ScimApiUnderTest } from '../helpers/scim-api';

describe.each([['default'], ['two-phase']] as const)('concurrent SCIM writes (%s writer)', (writer) => {
  // Two API instances over one database: each has its own in-process lock, so the event store's
  // revision check and the bounded retry are what keep writes from being lost between them.
  let first: ScimApiUnderTest;
  let second: ScimApiUnderTest;
  beforeAll(async () => {
    first = await startScimApi(`concurrency_${writer}`, {}, { writer });
    second = await startScimApi(`concurrency_${writer}_2`, {}, { writer, db: first.db });
  });
  afterAll(async () => {
    await second.close();
    await first.close();
  });
  const instance = (i: number) => (i % 2 === 0 ? first : second);

  it('20 concurrent POSTs of one userName in different letter case: exactly one 201, the rest 409 uniqueness', async () => {
    const variants = Array.from({ length: 20 }, (_, i) => flipCase('race.condition@example.com', i));
    const responses = await Promise.all(variants.map((userName, i) => instance(i).scim('post', '/Users', newUser(userName))));

    const statuses = responses.map((r) => r.status).sort();
    expect(statuses.filter((s) => s === 201)).toHaveLength(1);
    expect(statuses.filter((s) => s === 409)).toHaveLength(19);
    for (const r of responses.filter((r) => r.status === 409)) expect(r.body.scimType).toBe('uniqueness');
    const provisioned = (await first.allEvents()).filter(
      (e) => e.type === 'UserProvisioned' && String((e.data.attributes as { userName: string }).userName).toLowerCase() === 'race.condition@example.com',
    );
    expect(provisioned).toHaveLength(1);
    const keys = await first.db.pool.query(`SELECT state FROM unique_keys WHERE scope = 'user.userName' AND key = 'race.condition@example.com'`);
    expect(keys.rows).toEqual([{ state: 'confirmed' }]);
  });

  it('20 concurrent POSTs of one primary email in different letter case, under different userNames: exactly one 201, the rest 409 uniqueness', async () => {
    const variants = Array.from({ length: 20 }, (_, i) => flipCase('shared.mailbox@example.com', i));
    const responses = await Promise.all(
      variants.map((email, i) => instance(i).scim('post', '/Users', newUser(`mailbox-${i}-${writer}@example.com`, { emails: [{ value: email, primary: true }] }))),
    );

    expect(responses.filter((r) => r.status === 201)).toHaveLength(1);
    const conflicts = responses.filter((r) => r.status === 409);
    expect(conflicts).toHaveLength(19);
    for (const r of conflicts) {
      expect(r.body).toMatchObject({ status: '409', scimType: 'uniqueness' });
      expect(r.body.detail).toMatch(/^email "shared\.mailbox@example\.com" is already taken$/i);
    }
    const provisioned = (await first.allEvents()).filter((e) => e.type === 'UserProvisioned' && JSON.stringify(e.data).toLowerCase().includes('shared.mailbox@example.com'));
    expect(provisioned).toHaveLength(1);
    const keys = await first.db.pool.query(`SELECT state FROM unique_keys WHERE scope = 'user.email' AND key = 'shared.mailbox@example.com'`);
    expect(keys.rows).toEqual([{ state: 'confirmed' }]);
  });

  it('20 concurrent PATCHes giving 20 users one email: exactly one 200, the rest 409 uniqueness', async () => {
    const ids = await Promise.all(
      Array.from({ length: 20 }, async (_, i) => (await first.scim('post', '/Users', newUser(`taker${i}-${writer}@example.com`))).body.id as string),
    );
    const responses = await Promise.all(
      ids.map((id, i) => instance(i).scim('patch', `/Users/${id}`, patchOp({ op: 'replace', path: 'emails[type eq "work"].value', value: flipCase('contested@example.com', i) }))),
    );

    expect(responses.filter((r) => r.status === 200)).toHaveLength(1);
    expect(responses.filter((r) => r.status === 409 && r.body.scimType === 'uniqueness')).toHaveLength(19);
    const holders = await first.db.pool.query(`SELECT owner_id, state FROM unique_keys WHERE scope = 'user.email' AND key = 'contested@example.com'`);
    expect(holders.rows).toEqual([{ owner_id: ids[responses.findIndex((r) => r.status === 200)], state: 'confirmed' }]);
  });

  it('50 concurrent PATCH add-member requests to one group: all 50 members present, no lost update', async () => {
    const users = await Promise.all(
      Array.from({ length: 50 }, async (_, i) => (await first.scim('post', '/Users', newUser(`member${i}-${writer}@example.com`))).body.id as string),
    );
    const group = await first.scim('post', '/Groups', { schemas: [GROUP_SCHEMA], displayName: `Crowd ${writer}` });
    expect(group.status).toBe(201);

    const responses = await Promise.all(
      users.map((userId, i) => instance(i).scim('patch', `/Groups/${group.body.id}`, patchOp({ op: 'Add', path: 'members', value: [{ value: userId }] }))),
    );
    expect(responses.map((r) => r.status)).toEqual(users.map(() => 200));

    const roster = await first.scim('put', `/Groups/${group.body.id}`, { schemas: [GROUP_SCHEMA] });
    expect(new Set(roster.body.members.map((m: { value: string }) => m.value))).toEqual(new Set(users));
    const added = (await first.store.readStream(`group-${group.body.id}`)).filter((e) => e.type === 'GroupMembersAdded');
    expect(added).toHaveLength(50);
  });
});

function flipCase(text: string, seed: number): string {
  // The first five letters spell the seed in binary: twenty different spellings of one name.
  return [...text].map((c, i) => (i < 5 && (seed >> i) & 1 ? c.toUpperCase() : c)).join('');
}
