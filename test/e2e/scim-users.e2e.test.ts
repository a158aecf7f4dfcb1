import { ENTERPRISE, ERROR, PATCH_OP, USER_SCHEMA, newUser, patchOp, startScimApi, type ScimApiUnderTest } from '../helpers/scim-api';

describe('SCIM /Users (write side, Postgres event store)', () => {
  let api: ScimApiUnderTest;
  beforeAll(async () => {
    api = await startScimApi('scim_users');
  });
  afterAll(async () => {
    await api.close();
  });

  async function eventsOf(userId: string) {
    return (await api.store.readStream(`user-${userId}`)).map((e) => ({ type: e.type, data: e.data }));
  }
  async function create(userName: string, extra: Record<string, unknown> = {}) {
    const res = await api.scim('post', '/Users', newUser(userName, extra));
    expect(res.status).toBe(201);
    return res.body as { id: string; meta: { version: string } };
  }

  describe('POST /Users', () => {
    it('creates the user: 201, Location, ETag, meta, and a UserProvisioned event', async () => {
      const res = await api.scim('post', '/Users', newUser('Alice@Example.com', { externalId: 'ext-alice' }));

      expect(res.status).toBe(201);
      expect(res.headers['content-type']).toMatch(/^application\/scim\+json/);
      const body = res.body;
      expect(body).toMatchObject({
        schemas: ['urn:ietf:params:scim:schemas:core:2.0:User'],
        userName: 'Alice@Example.com',
        externalId: 'ext-alice',
        active: true,
        name: { givenName: 'Jane', familyName: 'Doe' },
        meta: { resourceType: 'User', version: 'W/"0"' },
      });
      expect(body.id).toMatch(/^[0-9a-f-]{36}$/);
      expect(res.headers.location).toBe(`https://scim.test/scim/v2/Users/${body.id}`);
      expect(body.meta.location).toBe(res.headers.location);
      expect(res.headers.etag).toBe('W/"0"');
      expect(body.meta.created).toBe(body.meta.lastModified);

      const events = await api.store.readStream(`user-${body.id}`);
      expect(events).toHaveLength(1);
      expect(events[0]!.type).toBe('UserProvisioned');
      expect(events[0]!.data).toMatchObject({ userId: body.id, active: true, linkedExistingAccount: false, attributes: { userName: 'Alice@Example.com' } });
      expect(events[0]!.metadata).toMatchObject({ actor: { kind: 'scim-token', id: expect.stringMatching(/^st-/) }, requestId: expect.any(String), causationId: expect.any(String), occurredAt: expect.any(String) });
    });

    it('accepts application/json as well as application/scim+json', async () => {
      const res = await api
        .scim('post', '/Users')
        .set('Content-Type', 'application/json')
        .send(JSON.stringify(newUser('json-client@example.com')));
      expect(res.status).toBe(201);
    });

    it('creates a suspended user when active is false, also as Entra\'s string "False"', async () => {
      const created = await create('suspended@example.com', { active: 'False' });
      expect((await api.scim('post', '/Users', newUser('suspended2@example.com', { active: false }))).body.active).toBe(false);
      expect((await eventsOf(created.id))[0]!.data).toMatchObject({ active: false });
    });

    it('stores and returns the enterprise extension', async () => {
      const res = await api.scim('post', '/Users', {
        ...newUser('enterprise@example.com'),
        schemas: ['urn:ietf:params:scim:schemas:core:2.0:User', ENTERPRISE],
        [ENTERPRISE]: { employeeNumber: '701984', department: 'Tour Operations', manager: { value: 'boss-id' } },
      });
      expect(res.status).toBe(201);
      expect(res.body.schemas).toContain(ENTERPRISE);
      expect(res.body[ENTERPRISE]).toMatchObject({ employeeNumber: '701984', department: 'Tour Operations', manager: { value: 'boss-id' } });
    });

    it('rejects a second userName that differs only in case with 409 uniqueness', async () => {
      await create('Bob@Example.com');
      const res = await api.scim('post', '/Users', newUser('bob@EXAMPLE.com'));
      expect(res.status).toBe(409);
      expect(res.body).toEqual({ schemas: [ERROR], status: '409', scimType: 'uniqueness', detail: expect.stringMatching(/userName "bob@EXAMPLE.com" is already taken/) });
    });

    it('accepts users sharing an externalId, and externalId eq returns every match, case-exact', async () => {
      const first = await create('ext1@example.com', { externalId: 'ABC-1' });
      const second = await api.scim('post', '/Users', newUser('ext2@example.com', { externalId: 'ABC-1' }));
      expect(second.status).toBe(201);
      expect(second.body).toMatchObject({ userName: 'ext2@example.com', externalId: 'ABC-1' });
      await create('ext3@example.com', { externalId: 'abc-1' });

      const found = await api.scim('get', `/Users?filter=${encodeURIComponent('externalId eq "ABC-1"')}&attributes=userName`);
      expect(found.status).toBe(200);
      expect(found.body.totalResults).toBe(2);
      expect(found.body.Resources.map((r: { id: string }) => r.id).sort()).toEqual([first.id, second.body.id].sort());
    });

    it("re-creates a user under a new userName with the old one's externalId (Okta's rename)", async () => {
      const old = await create('okta.old@example.com', { externalId: '00u1okta' });
      expect((await api.scim('patch', `/Users/${old.id}`, patchOp({ op: 'replace', path: 'active', value: false }))).status).toBe(200);
      const renamed = await api.scim('post', '/Users', newUser('okta.new@example.com', { externalId: '00u1okta' }));
      expect(renamed.status).toBe(201);
      expect(renamed.body).toMatchObject({ userName: 'okta.new@example.com', externalId: '00u1okta', active: true });
    });

    it('ignores attributes the schemas do not know, and stores the rest', async () => {
      const res = await api.scim('post', '/Users', newUser('unknown-attrs@example.com', { shoeSize: '42', name: { givenName: 'Jo', nickname: 'J' }, 'urn:example:custom:2.0:User': { x: 1 } }));
      expect(res.status).toBe(201);
      expect(res.body).not.toHaveProperty('shoeSize');
      expect(res.body.name).toEqual({ givenName: 'Jo' });
      expect(res.body.schemas).toEqual([USER_SCHEMA]);
      expect((await eventsOf(res.body.id))[0]!.data.attributes).not.toHaveProperty('shoeSize');
    });

    describe('the primary email is unique across the service (case-insensitive)', () => {
      it("rejects a second user with another user's email: 409 uniqueness, nothing appended", async () => {
        await create('mail.owner@example.com', { emails: [{ value: 'Shared.Mail@example.com', primary: true }] });
        const before = (await api.allEvents()).length;
        const res = await api.scim('post', '/Users', newUser('mail.taker@example.com', { emails: [{ value: 'shared.mail@EXAMPLE.com', primary: true }] }));
        expect(res.status).toBe(409);
        expect(res.body).toEqual({ schemas: [ERROR], status: '409', scimType: 'uniqueness', detail: 'email "shared.mail@EXAMPLE.com" is already taken' });
        expect((await api.allEvents()).length).toBe(before);
      });

      it("checks the primary email, else the first: another user's non-primary email is no conflict", async () => {
        await create('two.mails@example.com', { emails: [{ value: 'work.two@example.com', type: 'work', primary: true }, { value: 'home.two@example.com', type: 'home' }] });
        expect((await api.scim('post', '/Users', newUser('home.two@example.com', { emails: [{ value: 'home.two@example.com' }] }))).status).toBe(201);
        const res = await api.scim('post', '/Users', newUser('third@example.com', { emails: [{ value: 'x.third@example.com' }, { value: 'WORK.two@example.com', primary: true }] }));
        expect(res.status).toBe(409);
        expect(res.body.detail).toBe('email "WORK.two@example.com" is already taken');
      });

      it('names both keys when userName and email are taken', async () => {
        await create('both@example.com');
        const res = await api.scim('post', '/Users', newUser('BOTH@example.com'));
        expect(res.status).toBe(409);
        expect(res.body.detail).toBe('userName "BOTH@example.com" is already taken; email "BOTH@example.com" is already taken');
      });

      it("rejects a PUT or a PATCH that gives a user another user's email, and lets a user change its own email's case", async () => {
        await create('holder@example.com');
        const { id } = await create('mover@example.com');
        const put = await api.scim('put', `/Users/${id}`, newUser('mover@example.com', { emails: [{ value: 'HOLDER@example.com', primary: true }] }));
        expect(put.status).toBe(409);
        expect(put.body).toEqual({ schemas: [ERROR], status: '409', scimType: 'uniqueness', detail: 'email "HOLDER@example.com" is already taken' });
        const patch = await api.scim('patch', `/Users/${id}`, patchOp({ op: 'replace', path: 'emails[type eq "work"].value', value: 'holder@EXAMPLE.com' }));
        expect(patch.status).toBe(409);
        expect(patch.body).toEqual({ schemas: [ERROR], status: '409', scimType: 'uniqueness', detail: 'email "holder@EXAMPLE.com" is already taken' });
        expect(await eventsOf(id)).toHaveLength(1);

        const ownCase = await api.scim('patch', `/Users/${id}`, patchOp({ op: 'replace', path: 'emails[type eq "work"].value', value: 'Mover@Example.com' }));
        expect(ownCase.status).toBe(200);
        expect(ownCase.body.emails).toEqual([{ value: 'Mover@Example.com', type: 'work', primary: true }]);
      });

      it('frees the email of a user who changed it or was deleted', async () => {
        const changer = await create('changer@example.com');
        await api.scim('patch', `/Users/${changer.id}`, patchOp({ op: 'replace', path: 'emails[type eq "work"].value', value: 'changer.new@example.com' }));
        expect((await api.scim('post', '/Users', newUser('changer.successor@example.com', { emails: [{ value: 'changer@example.com' }] }))).status).toBe(201);
        const leaver = await create('leaver@example.com');
        await api.scim('delete', `/Users/${leaver.id}`);
        expect((await api.scim('post', '/Users', newUser('leaver.successor@example.com', { emails: [{ value: 'leaver@example.com' }] }))).status).toBe(201);
      });
    });

    it.each([
      ['no userName', { schemas: ['urn:ietf:params:scim:schemas:core:2.0:User'], emails: [{ value: 'x@example.com' }] }, /userName/],
      ['no email', { schemas: ['urn:ietf:params:scim:schemas:core:2.0:User'], userName: 'noemail@example.com' }, /email/],
    ])('rejects a user with %s: 400 invalidValue, nothing appended', async (_case, body, detail) => {
      const before = (await api.allEvents()).length;
      const res = await api.scim('post', '/Users', body);
      expect(res.status).toBe(400);
      expect(res.body).toMatchObject({ schemas: [ERROR], status: '400', scimType: 'invalidValue' });
      expect(res.body.detail).toMatch(detail);
      expect((await api.allEvents()).length).toBe(before);
    });

    it('rejects malformed JSON with 400 invalidSyntax', async () => {
      const res = await api.scim('post', '/Users', '{"userName": ');
      expect(res.status).toBe(400);
      expect(res.body).toMatchObject({ schemas: [ERROR], status: '400', scimType: 'invalidSyntax' });
    });

    it('rejects a body over 1 MB with 413 in the SCIM error schema', async () => {
      const res = await api.scim('post', '/Users', newUser('big@example.com', { title: 'x'.repeat(1024 * 1024 + 10) }));
      expect(res.status).toBe(413);
      expect(res.body).toMatchObject({ schemas: [ERROR], status: '413' });
    });

    it('answers 401 without a token, with a wrong token, and with a non-bearer scheme', async () => {
      const request = (await import('supertest')).default;
      for (const auth of [undefined, 'Bearer wrong-token', 'Basic dXNlcjpwYXNz']) {
        let req = request(api.app).post('/scim/v2/Users').set('Content-Type', 'application/scim+json');
        if (auth) req = req.set('Authorization', auth);
        const res = await req.send(JSON.stringify(newUser('unauth@example.com')));
        expect(res.status).toBe(401);
        expect(res.body).toMatchObject({ schemas: [ERROR], status: '401' });
        expect(res.headers['www-authenticate']).toMatch(/^Bearer/);
      }
    });

    it('answers 404 in the error schema for an unknown resource type', async () => {
      const res = await api.scim('post', '/Widgets', {});
      expect(res.status).toBe(404);
      expect(res.body).toMatchObject({ schemas: [ERROR], status: '404' });
    });
  });

  describe('PUT /Users/:id', () => {
    it("ignores a misspelt attribute (Microsoft's validator's adreses) and applies the rest", async () => {
      const { id } = await create('misspelt@example.com');
      const res = await api.scim('put', `/Users/${id}`, { ...newUser('misspelt@example.com', { active: false, displayName: 'Kimberly Baker' }), id, adreses: [{ country: 'Germany', type: 'work' }] });
      expect(res.status).toBe(200);
      expect(res.body).toMatchObject({ id, displayName: 'Kimberly Baker', active: false });
      expect(res.body).not.toHaveProperty('adreses');
      expect(res.body).not.toHaveProperty('addresses');
    });

    it('replaces the resource and records only what changed', async () => {
      const { id } = await create('put1@example.com', { title: 'Engineer', displayName: 'Put One' });
      const res = await api.scim('put', `/Users/${id}`, newUser('put1@example.com', { title: 'Manager' }));
      expect(res.status).toBe(200);
      expect(res.body).toMatchObject({ id, title: 'Manager', active: true, meta: { version: 'W/"1"' } });
      expect(res.body.displayName).toBeUndefined();
      expect((await eventsOf(id))[1]).toEqual({ type: 'UserAttributesChanged', data: { userId: id, set: { title: 'Manager' }, unset: ['displayName'] } });
    });

    it('keeps the active state when active is omitted, and appends nothing for an identical resource', async () => {
      const { id } = await create('put2@example.com', { active: false });
      const res = await api.scim('put', `/Users/${id}`, newUser('put2@example.com'));
      expect(res.status).toBe(200);
      expect(res.body.active).toBe(false);
      expect(await eventsOf(id)).toHaveLength(1);
    });

    it('deactivates with active "False" and ignores read-only attributes', async () => {
      const { id } = await create('put3@example.com');
      const res = await api.scim('put', `/Users/${id}`, { ...newUser('put3@example.com', { active: 'False' }), id, meta: { created: 'x' }, groups: [{ value: 'g' }] });
      expect(res.status).toBe(200);
      expect((await eventsOf(id)).map((e) => e.type)).toEqual(['UserProvisioned', 'UserDeactivated']);
    });

    it('rejects a different id with 400 mutability', async () => {
      const { id } = await create('put4@example.com');
      const res = await api.scim('put', `/Users/${id}`, { ...newUser('put4@example.com'), id: '00000000-0000-4000-8000-000000000000' });
      expect(res.status).toBe(400);
      expect(res.body.scimType).toBe('mutability');
    });

    it('rejects a PUT without email', async () => {
      const { id } = await create('put5@example.com');
      const res = await api.scim('put', `/Users/${id}`, { schemas: ['urn:ietf:params:scim:schemas:core:2.0:User'], userName: 'put5@example.com' });
      expect(res.status).toBe(400);
      expect(res.body.scimType).toBe('invalidValue');
    });

    it('answers 404 for an unknown id', async () => {
      const res = await api.scim('put', '/Users/6b1f3c7e-0000-4000-8000-00000000dead', newUser('ghost@example.com'));
      expect(res.status).toBe(404);
      expect(res.body).toMatchObject({ schemas: [ERROR], status: '404' });
    });

    it('takes a new userName, releasing the old one', async () => {
      const { id } = await create('rename-old@example.com');
      expect((await api.scim('put', `/Users/${id}`, newUser('rename-new@example.com'))).status).toBe(200);
      expect((await api.scim('post', '/Users', newUser('rename-new@example.com'))).status).toBe(409);
      expect((await api.scim('post', '/Users', newUser('RENAME-old@example.com'))).status).toBe(201);
    });
  });

  describe('PATCH /Users/:id', () => {
    it('disables with Entra\'s {"op":"Replace","path":"active","value":"False"}', async () => {
      const { id } = await create('entra-disable@example.com');
      const res = await api.scim('patch', `/Users/${id}`, patchOp({ op: 'Replace', path: 'active', value: 'False' }));
      expect(res.status).toBe(200);
      expect(res.body.active).toBe(false);
      expect((await eventsOf(id)).map((e) => e.type)).toEqual(['UserProvisioned', 'UserDeactivated']);
    });

    it('disables with the aadOptscim062020 form {"op":"replace","path":"active","value":false}', async () => {
      const { id } = await create('entra-flag@example.com');
      const res = await api.scim('patch', `/Users/${id}`, patchOp({ op: 'replace', path: 'active', value: false }));
      expect(res.body.active).toBe(false);
    });

    it('reactivates with Entra\'s Add on active', async () => {
      const { id } = await create('entra-add@example.com', { active: false });
      const res = await api.scim('patch', `/Users/${id}`, patchOp({ op: 'Add', path: 'active', value: 'True' }));
      expect(res.status).toBe(200);
      expect(res.body.active).toBe(true);
      expect((await eventsOf(id)).map((e) => e.type)).toEqual(['UserProvisioned', 'UserReactivated']);
    });

    it('applies a path-less Replace with dotted and enterprise URN keys as one change', async () => {
      const { id } = await create('entra-pathless@example.com');
      const res = await api.scim(
        'patch',
        `/Users/${id}`,
        patchOp({ op: 'Replace', value: { 'name.givenName': 'Janet', [`${ENTERPRISE}:employeeNumber`]: '42', displayName: 'Janet Doe' } }),
      );
      expect(res.status).toBe(200);
      expect(res.body).toMatchObject({ name: { givenName: 'Janet', familyName: 'Doe' }, displayName: 'Janet Doe', [ENTERPRISE]: { employeeNumber: '42' } });
      const events = await eventsOf(id);
      expect(events).toHaveLength(2);
      expect(events[1]).toEqual({
        type: 'UserAttributesChanged',
        data: { userId: id, set: { name: { givenName: 'Janet', familyName: 'Doe' }, displayName: 'Janet Doe', [ENTERPRISE]: { employeeNumber: '42' } }, unset: [] },
      });
    });

    describe('when it clears a required attribute (ignored, as the platform documents)', () => {
      it('keeps userName, emails and active, and applies the rest of the request: 200', async () => {
        const { id } = await create('clearing@example.com', { displayName: 'Before' });
        const res = await api.scim(
          'patch',
          `/Users/${id}`,
          patchOp(
            { op: 'remove', path: 'userName' },
            { op: 'remove', path: 'emails' },
            { op: 'remove', path: 'active' },
            { op: 'replace', path: 'displayName', value: 'After' },
          ),
        );
        expect(res.status).toBe(200);
        expect(res.body).toMatchObject({
          id,
          userName: 'clearing@example.com',
          emails: [{ value: 'clearing@example.com', type: 'work', primary: true }],
          active: true,
          displayName: 'After',
          meta: { version: 'W/"1"' },
        });
        expect((await eventsOf(id))[1]).toEqual({ type: 'UserAttributesChanged', data: { userId: id, set: { displayName: 'After' }, unset: [] } });
      });

      it.each([
        ['replace userName with null', { op: 'replace', path: 'userName', value: null }],
        ['replace userName with ""', { op: 'replace', path: 'userName', value: '' }],
        ['replace emails with []', { op: 'replace', path: 'emails', value: [] }],
        ['a path-less replace with emails null and active null', { op: 'replace', value: { emails: null, active: null } }],
        ["Entra's remove of the work email's value", { op: 'Remove', path: 'emails[type eq "work"].value' }],
      ])('answers 200 and appends nothing for %s', async (_name, operation) => {
        const { id } = await create(`clear-${Math.random().toString(36).slice(2, 8)}@example.com`);
        const before = await api.scim('get', `/Users/${id}`);
        const res = await api.scim('patch', `/Users/${id}`, patchOp(operation));
        expect(res.status).toBe(200);
        expect(res.body).toEqual(before.body);
        expect(await eventsOf(id)).toHaveLength(1);
      });
    });

    describe('when a path-less replace repeats read-only values', () => {
      it("renames when the value carries the user's own id, schemas and meta", async () => {
        const { id } = await create('repeat-id@example.com');
        const current = (await api.scim('get', `/Users/${id}`)).body;
        const res = await api.scim('patch', `/Users/${id}`, patchOp({ op: 'replace', value: { id, schemas: current.schemas, meta: current.meta, displayName: 'New' } }));
        expect(res.status).toBe(200);
        expect(res.body).toMatchObject({ id, displayName: 'New', meta: { version: 'W/"1"' } });
      });

      it('rejects another id with 400 mutability, appending nothing', async () => {
        const { id } = await create('change-id@example.com');
        const res = await api.scim('patch', `/Users/${id}`, patchOp({ op: 'replace', value: { id: '6b1f3c7e-0000-4000-8000-00000000beef', displayName: 'New' } }));
        expect(res.status).toBe(400);
        expect(res.body).toEqual({
          schemas: [ERROR],
          status: '400',
          scimType: 'mutability',
          detail: "Operations[0]: 'id' is read-only: the string '6b1f3c7e-0000-4000-8000-00000000beef' is not this resource's id",
        });
        expect(await eventsOf(id)).toHaveLength(1);
      });
    });

    describe('when the enterprise extension is replaced as an object (RFC 7644 §3.5.2.3)', () => {
      it.each([
        ['path-less', { op: 'replace', value: { [ENTERPRISE]: { department: 'Sales' } } }],
        ['with the URN as path', { op: 'replace', path: ENTERPRISE, value: { department: 'Sales' } }],
      ])('keeps employeeNumber (%s), and the event records the merged extension', async (_name, operation) => {
        const res = await api.scim('post', '/Users', {
          ...newUser(`merge-${Math.random().toString(36).slice(2, 8)}@example.com`),
          [ENTERPRISE]: { employeeNumber: 'E-1', department: 'Ops' },
        });
        const { id } = res.body;
        const patched = await api.scim('patch', `/Users/${id}`, patchOp(operation));
        expect(patched.status).toBe(200);
        expect(patched.body[ENTERPRISE]).toEqual({ employeeNumber: 'E-1', department: 'Sales' });
        expect((await eventsOf(id))[1]).toEqual({ type: 'UserAttributesChanged', data: { userId: id, set: { [ENTERPRISE]: { employeeNumber: 'E-1', department: 'Sales' } }, unset: [] } });
      });

      it('merges name and the manager the same way', async () => {
        const res = await api.scim('post', '/Users', { ...newUser('merge-manager@example.com'), [ENTERPRISE]: { manager: { value: 'boss-1' } } });
        const patched = await api.scim(
          'patch',
          `/Users/${res.body.id}`,
          patchOp({ op: 'replace', value: { name: { familyName: 'Smith' }, [`${ENTERPRISE}:manager`]: { $ref: 'https://scim.test/scim/v2/Users/boss-1' } } }),
        );
        expect(patched.status).toBe(200);
        expect(patched.body.name).toEqual({ givenName: 'Jane', familyName: 'Smith' });
        expect(patched.body[ENTERPRISE].manager).toEqual({ value: 'boss-1', $ref: 'https://scim.test/scim/v2/Users/boss-1' });
      });
    });

    it('replaces the work email through a value-filter path', async () => {
      const { id } = await create('filter-path@example.com');
      const res = await api.scim('patch', `/Users/${id}`, patchOp({ op: 'replace', path: 'emails[type eq "work"].value', value: 'new@example.com' }));
      expect(res.status).toBe(200);
      expect(res.body.emails).toEqual([{ value: 'new@example.com', type: 'work', primary: true }]);
    });

    it('records nothing for a patch that changes nothing, and still answers 200', async () => {
      const { id } = await create('noop@example.com');
      const res = await api.scim('patch', `/Users/${id}`, patchOp({ op: 'replace', path: 'active', value: true }));
      expect(res.status).toBe(200);
      expect(await eventsOf(id)).toHaveLength(1);
    });

    it('is atomic: when a later operation fails, nothing is applied', async () => {
      const { id } = await create('atomic@example.com');
      const res = await api.scim(
        'patch',
        `/Users/${id}`,
        patchOp({ op: 'replace', path: 'displayName', value: 'Changed' }, { op: 'replace', path: 'noSuchAttribute', value: 'x' }),
      );
      expect(res.status).toBe(400);
      expect(res.body.scimType).toBe('invalidPath');
      expect(res.body.detail).toMatch(/Operations\[1\]/);
      expect(await eventsOf(id)).toHaveLength(1);
    });

    it('rejects remove without a path with 400 noTarget', async () => {
      const { id } = await create('notarget@example.com');
      const res = await api.scim('patch', `/Users/${id}`, patchOp({ op: 'remove' }));
      expect(res.status).toBe(400);
      expect(res.body.scimType).toBe('noTarget');
    });

    it('rejects more than 100 operations with 400', async () => {
      const { id } = await create('toomany@example.com');
      const ops = Array.from({ length: 101 }, (_, i) => ({ op: 'replace', path: 'title', value: `t${i}` }));
      const res = await api.scim('patch', `/Users/${id}`, patchOp(...ops));
      expect(res.status).toBe(400);
      expect(res.body.detail).toMatch(/100/);
      expect(await eventsOf(id)).toHaveLength(1);
    });

    it('rejects an unknown op with 400 invalidSyntax naming the operation', async () => {
      const { id } = await create('badop@example.com');
      const res = await api.scim('patch', `/Users/${id}`, patchOp({ op: 'Move', path: 'title', value: 'x' }));
      expect(res.status).toBe(400);
      expect(res.body.scimType).toBe('invalidSyntax');
      expect(res.body.detail).toMatch(/Operations\[0\]/);
    });

    it('rejects a userName taken by another user with 409', async () => {
      await create('taken@example.com');
      const { id } = await create('taker@example.com');
      const res = await api.scim('patch', `/Users/${id}`, patchOp({ op: 'replace', path: 'userName', value: 'TAKEN@example.com' }));
      expect(res.status).toBe(409);
      expect(res.body.scimType).toBe('uniqueness');
    });

    describe('If-Match', () => {
      it('applies the patch when the version matches', async () => {
        const { id, meta } = await create('ifmatch@example.com');
        const res = await api.scim('patch', `/Users/${id}`, patchOp({ op: 'replace', path: 'title', value: 'x' }), { 'If-Match': meta.version });
        expect(res.status).toBe(200);
        expect(res.headers.etag).toBe('W/"1"');
      });

      it('answers 412 when the version is stale, and appends nothing', async () => {
        const { id } = await create('stale@example.com');
        await api.scim('patch', `/Users/${id}`, patchOp({ op: 'replace', path: 'title', value: 'x' }));
        const res = await api.scim('patch', `/Users/${id}`, patchOp({ op: 'replace', path: 'title', value: 'y' }), { 'If-Match': 'W/"0"' });
        expect(res.status).toBe(412);
        expect(res.body).toMatchObject({ schemas: [ERROR], status: '412' });
        expect(await eventsOf(id)).toHaveLength(2);
      });

      it('applies the patch when one tag of a list names the current version (RFC 7232 §3.1)', async () => {
        const { id } = await create('ifmatch-list@example.com');
        const res = await api.scim('patch', `/Users/${id}`, patchOp({ op: 'replace', path: 'title', value: 'x' }), { 'If-Match': 'W/"zz", W/"7", W/"0"' });
        expect(res.status).toBe(200);
        expect(res.headers.etag).toBe('W/"1"');
        const stale = await api.scim('put', `/Users/${id}`, newUser('ifmatch-list@example.com'), { 'If-Match': 'W/"zz", "0"' });
        expect(stale.status).toBe(412);
        expect(stale.body.detail).toBe('the resource has changed: If-Match names version 0, current is 1');
        expect((await api.scim('delete', `/Users/${id}`, undefined, { 'If-Match': '*' })).status).toBe(204);
        expect(await eventsOf(id)).toHaveLength(3);
      });

      it('answers 412 when no tag of the list names a version', async () => {
        const { id } = await create('ifmatch-none@example.com');
        const res = await api.scim('patch', `/Users/${id}`, patchOp({ op: 'replace', path: 'title', value: 'x' }), { 'If-Match': 'W/"zz", W/"x1"' });
        expect(res.status).toBe(412);
        expect(res.body.detail).toBe('If-Match "W/\\"zz\\", W/\\"x1\\"" names no version of this resource');
        expect(await eventsOf(id)).toHaveLength(1);
      });
    });

    describe('If-None-Match (RFC 7232 §3.2: 412 for methods other than GET and HEAD)', () => {
      it.each([
        ['the current version', 'W/"0"'],
        ['a list holding the current version', '"5", W/"0"'],
        ['*', '*'],
      ])('answers PATCH, PUT and DELETE with %s with 412, appending nothing', async (_what, ifNoneMatch) => {
        const { id } = await create(`ifnonematch-${ifNoneMatch.length}@example.com`);
        const headers = { 'If-None-Match': ifNoneMatch };
        for (const res of [
          await api.scim('patch', `/Users/${id}`, patchOp({ op: 'replace', path: 'title', value: 'x' }), headers),
          await api.scim('put', `/Users/${id}`, newUser(`ifnonematch-${ifNoneMatch.length}@example.com`, { title: 'y' }), headers),
          await api.scim('delete', `/Users/${id}`, undefined, headers),
        ]) {
          expect(res.status).toBe(412);
          expect(res.body).toMatchObject({ schemas: [ERROR], status: '412' });
        }
        expect(await eventsOf(id)).toHaveLength(1);
      });

      it('applies the write when If-None-Match names another version', async () => {
        const { id } = await create('ifnonematch-other@example.com');
        const res = await api.scim('patch', `/Users/${id}`, patchOp({ op: 'replace', path: 'title', value: 'x' }), { 'If-None-Match': 'W/"3"' });
        expect(res.status).toBe(200);
        expect(await eventsOf(id)).toHaveLength(2);
      });
    });

    it('answers 404 for an unknown user', async () => {
      const res = await api.scim('patch', '/Users/6b1f3c7e-0000-4000-8000-00000000dead', patchOp({ op: 'replace', path: 'active', value: false }));
      expect(res.status).toBe(404);
    });

    it('accepts a PatchOp without schemas but rejects a wrong one', async () => {
      const { id } = await create('schemas@example.com');
      expect((await api.scim('patch', `/Users/${id}`, { Operations: [{ op: 'replace', path: 'title', value: 'a' }] })).status).toBe(200);
      const wrong = await api.scim('patch', `/Users/${id}`, { schemas: ['urn:wrong'], Operations: [{ op: 'replace', path: 'title', value: 'b' }] });
      expect(wrong.status).toBe(400);
      expect(wrong.body.scimType).toBe('invalidSyntax');
      expect(PATCH_OP).toMatch(/PatchOp$/);
    });
  });

  describe('DELETE /Users/:id', () => {
    it('answers 204, records UserDeleted with the account, then 404 for the deleted id', async () => {
      const { id } = await create('delete-me@example.com');
      const res = await api.scim('delete', `/Users/${id}`);
      expect(res.status).toBe(204);
      const events = await eventsOf(id);
      expect(events[1]).toEqual({ type: 'UserDeleted', data: { userId: id, accountId: expect.any(String), reason: 'deleted' } });
      expect((await api.scim('delete', `/Users/${id}`)).status).toBe(404);
      expect((await api.scim('put', `/Users/${id}`, newUser('delete-me@example.com'))).status).toBe(404);
    });

    it('frees the userName and externalId of the deleted user', async () => {
      const { id } = await create('reuse@example.com', { externalId: 'reuse-ext' });
      await api.scim('delete', `/Users/${id}`);
      expect((await api.scim('post', '/Users', newUser('reuse@example.com', { externalId: 'reuse-ext' }))).status).toBe(201);
    });

    it('answers 404 for an unknown or malformed id', async () => {
      expect((await api.scim('delete', '/Users/6b1f3c7e-0000-4000-8000-00000000dead')).status).toBe(404);
      expect((await api.scim('delete', '/Users/not-a-uuid')).status).toBe(404);
    });
  });
});
