import { randomUUID } from 'node:crypto';
import { GROUP_SCHEMA, patchOp, startScimApi, type ScimApiUnderTest } from '../helpers/scim-api';

/**
 * The order in which Microsoft Entra ID's provisioning service talks to a SCIM endpoint, each read
 * issued the moment the write before it answered: a read must never show older data.
 */
describe('an Entra ID provisioning cycle', () => {
  let api: ScimApiUnderTest;
  beforeAll(async () => {
    api = await startScimApi('entra_sequence');
  });
  afterAll(async () => {
    await api.close();
  });
  const q = (filter: string) => encodeURIComponent(filter);

  it('provisions, updates, disables and deletes a user', async () => {
    // Test Connection: a filter on a random userName must answer an empty ListResponse.
    const probe = await api.scim('get', `/Users?filter=${q(`userName eq "${randomUUID()}"`)}`);
    expect(probe.status).toBe(200);
    expect(probe.body.totalResults).toBe(0);

    // Matching: is the user there yet?
    expect((await api.scim('get', `/Users?filter=${q('userName eq "Grace.Hopper@contoso.com"')}`)).body.totalResults).toBe(0);

    const created = await api.scim('post', '/Users', {
      schemas: ['urn:ietf:params:scim:schemas:core:2.0:User', 'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User'],
      externalId: 'aad-object-id-1',
      userName: 'Grace.Hopper@contoso.com',
      active: true,
      displayName: 'Grace Hopper',
      emails: [{ primary: true, type: 'work', value: 'grace@contoso.com' }],
      name: { formatted: 'Grace Hopper', familyName: 'Hopper', givenName: 'Grace' },
      'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User': { department: 'Navy' },
    });
    expect(created.status).toBe(201);
    const id = created.body.id as string;

    // A retried create in a later cycle finds the user by its matching attribute at once.
    const found = await api.scim('get', `/Users?filter=${q('userName eq "grace.hopper@contoso.com"')}`);
    expect(found.body.totalResults).toBe(1);
    expect(found.body.Resources[0]).toEqual(created.body);
    expect((await api.scim('get', `/Users?filter=${q('externalId eq "aad-object-id-1"')}`)).body.Resources[0].id).toBe(id);

    const updated = await api.scim(
      'patch',
      `/Users/${id}`,
      patchOp(
        { op: 'Replace', path: 'displayName', value: 'Rear Admiral Grace Hopper' },
        { op: 'Replace', value: { 'name.givenName': 'Grace B.', 'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department': 'US Navy' } },
      ),
    );
    expect(updated.status).toBe(200);
    const afterUpdate = await api.scim('get', `/Users/${id}`);
    expect(afterUpdate.body).toEqual(updated.body);
    expect(afterUpdate.body.displayName).toBe('Rear Admiral Grace Hopper');

    const disabled = await api.scim('patch', `/Users/${id}`, patchOp({ op: 'Replace', path: 'active', value: 'False' }));
    expect(disabled.body.active).toBe(false);
    const afterDisable = await api.scim('get', `/Users?filter=${q('userName eq "Grace.Hopper@contoso.com"')}`);
    expect(afterDisable.body.Resources[0].active).toBe(false);
    expect(afterDisable.body.Resources[0].meta.version).toBe(disabled.body.meta.version);

    expect((await api.scim('delete', `/Users/${id}`)).status).toBe(204);
    expect((await api.scim('get', `/Users/${id}`)).status).toBe(404);
    expect((await api.scim('get', `/Users?filter=${q('userName eq "Grace.Hopper@contoso.com"')}`)).body.totalResults).toBe(0);
  });

  it('provisions, updates and deletes a group, reading with excludedAttributes=members', async () => {
    const member = await api.scim('post', '/Users', { userName: 'alan@contoso.com', emails: [{ value: 'alan@contoso.com' }] });
    const other = await api.scim('post', '/Users', { userName: 'ada@contoso.com', emails: [{ value: 'ada@contoso.com' }] });

    expect((await api.scim('get', `/Groups?excludedAttributes=members&filter=${q('displayName eq "Compilers"')}`)).body.totalResults).toBe(0);
    const created = await api.scim('post', '/Groups', { schemas: [GROUP_SCHEMA], displayName: 'Compilers', externalId: 'aad-group-1', members: [] });
    expect(created.status).toBe(201);
    const id = created.body.id as string;

    const found = await api.scim('get', `/Groups?excludedAttributes=members&filter=${q('displayName eq "Compilers"')}`);
    expect(found.body.Resources).toHaveLength(1);
    expect(found.body.Resources[0].id).toBe(id);

    expect((await api.scim('patch', `/Groups/${id}`, patchOp({ op: 'Add', path: 'members', value: [{ value: member.body.id }, { value: other.body.id }] }))).status).toBe(200);
    const afterAdd = await api.scim('get', `/Groups/${id}`);
    expect(afterAdd.body.members.map((m: { value: string }) => m.value).sort()).toEqual([member.body.id, other.body.id].sort());

    expect((await api.scim('patch', `/Groups/${id}`, patchOp({ op: 'Remove', path: 'members', value: [{ value: other.body.id }] }))).status).toBe(200);
    expect((await api.scim('get', `/Groups/${id}?excludedAttributes=members`)).body.members).toBeUndefined();
    expect((await api.scim('get', `/Groups/${id}`)).body.members.map((m: { value: string }) => m.value)).toEqual([member.body.id]);

    expect((await api.scim('patch', `/Groups/${id}`, patchOp({ op: 'Replace', path: 'displayName', value: 'Compiler Team' }))).status).toBe(200);
    expect((await api.scim('get', `/Groups?excludedAttributes=members&filter=${q('displayName eq "compiler team"')}`)).body.totalResults).toBe(1);

    expect((await api.scim('delete', `/Groups/${id}`)).status).toBe(204);
    expect((await api.scim('get', `/Groups/${id}?excludedAttributes=members`)).status).toBe(404);
  });
});
