import fc from 'fast-check';
import { valueFilterPath } from '../helpers/hostile-requests';
import { ENTERPRISE, ERROR, GROUP_SCHEMA, PATCH_OP, newUser, startScimApi, type ScimApiUnderTest } from '../helpers/scim-api';

/** RFC 7644 §3.12 scimType values; a 400 must carry one. */
const SCIM_TYPES = ['invalidFilter', 'tooMany', 'uniqueness', 'mutability', 'invalidSyntax', 'invalidPath', 'noTarget', 'invalidValue', 'invalidVers', 'sensitive'];

const paths = fc.oneof(
  fc.constantFrom(
    'active', 'userName', 'displayName', 'title', 'externalId', 'name', 'name.givenName', 'name.familyName', 'emails',
    'emails[type eq "work"].value', 'emails[type eq "work"]', 'emails[primary eq true].type', 'members', 'members[value eq "x"]',
    'id', 'meta', 'meta.created', 'groups', 'password', `${ENTERPRISE}:employeeNumber`, `${ENTERPRISE}:manager.value`, ENTERPRISE,
    'urn:ietf:params:scim:schemas:core:2.0:User:userName', 'nickName', 'addresses[type eq "home"].locality', 'x509Certificates',
    'emails[', 'emails]', '..', '', ' ', 'name..givenName', 'members[value eq]',
  ),
  fc.string({ maxLength: 30 }),
  valueFilterPath,
);
const values = fc.oneof(
  fc.jsonValue({ maxDepth: 3 }),
  fc.constantFrom('True', 'False', 'true', true, false, null, [], {}, [{ value: 'a@b.c', type: 'work' }], { givenName: 'X' }),
);
const operation = fc.record(
  {
    op: fc.oneof(fc.constantFrom('add', 'replace', 'remove', 'Add', 'Replace', 'Remove', 'REMOVE', 'move', ''), fc.string({ maxLength: 8 }), fc.integer()),
    path: paths,
    value: values,
  },
  { requiredKeys: [] },
);
const body = fc.oneof(
  fc.record({ schemas: fc.constant([PATCH_OP]), Operations: fc.array(operation, { minLength: 0, maxLength: 8 }) }),
  fc.record({ schemas: fc.oneof(fc.constant([PATCH_OP]), fc.jsonValue()), Operations: fc.oneof(fc.jsonValue(), fc.array(operation, { maxLength: 3 })) }, { requiredKeys: [] }),
  fc.jsonValue(),
);

describe('PATCH bodies (property)', () => {
  let api: ScimApiUnderTest;
  let userId: string;
  let groupId: string;
  beforeAll(async () => {
    api = await startScimApi('patch_fuzz');
    userId = (await api.scim('post', '/Users', newUser('fuzz@example.com', { externalId: 'fuzz' }))).body.id;
    const member = (await api.scim('post', '/Users', newUser('fuzz-member@example.com'))).body.id;
    groupId = (await api.scim('post', '/Groups', { schemas: [GROUP_SCHEMA], displayName: 'Fuzz', members: [{ value: member }] })).body.id;
  });
  afterAll(async () => {
    await api.close();
  });

  it.each([
    ['Users', () => `/Users/${userId}`, () => `user-${userId}`],
    ['Groups', () => `/Groups/${groupId}`, () => `group-${groupId}`],
  ])('on %s: no 500, every rejection is a SCIM error, and a rejected request appends nothing', async (_name, path, stream) => {
    await fc.assert(
      fc.asyncProperty(body, async (patch) => {
        const before = (await api.store.readStream(stream())).length;
        const res = await api.scim('patch', path(), JSON.stringify(patch));
        expect(res.status).not.toBe(500);
        expect([200, 204, 400, 404, 409, 412, 413]).toContain(res.status);
        if (res.status >= 400) {
          expect(res.headers['content-type']).toMatch(/^application\/scim\+json/);
          expect(res.body.schemas).toEqual([ERROR]);
          expect(res.body.status).toBe(String(res.status));
          expect(typeof res.body.detail).toBe('string');
          if (res.status === 400) expect(SCIM_TYPES).toContain(res.body.scimType);
          expect((await api.store.readStream(stream())).length).toBe(before);
        }
      }),
      { numRuns: 150 },
    );
  }, 120_000);
});
