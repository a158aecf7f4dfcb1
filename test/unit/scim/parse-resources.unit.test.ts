import fc from 'fast-check';
import { ScimError } from '../../../shared/scim/errors';
import { parseGroupRequest } from '../../../shared/scim/resources/parse-group';
import { parseUserRequest } from '../../../shared/scim/resources/parse-user';
import { ENTERPRISE_USER_SCHEMA_ID as ENTERPRISE, GROUP_SCHEMA_ID, USER_SCHEMA_ID } from '../../../shared/scim/schemas';

// Table rows are built while the suite is collected: what they use must exist by then.
const userId = '6b1f3c7e-0000-4000-8000-000000000001';
const groupId = '6b1f3c7e-0000-4000-8000-0000000000aa';
const alice = '6b1f3c7e-0000-4000-8000-000000000002';
const bob = '6b1f3c7e-0000-4000-8000-000000000003';

describe('parseUserRequest', () => {
  it('returns the attributes, and active apart', () => {
    expect(parseUserRequest(minimalUser({ active: false }), { method: 'POST' })).toEqual({
      attributes: { userName: 'jdoe@example.com', emails: [{ value: 'jdoe@example.com' }] },
      active: false,
      ignored: [],
    });
  });

  it('leaves active undefined when the body has none', () => {
    expect(parseUserRequest(minimalUser(), { method: 'PUT', id: userId })).not.toHaveProperty('active');
  });

  it('accepts what Entra ID sends on create', () => {
    expect(parseUserRequest(entraUser(), { method: 'POST' })).toEqual({
      attributes: {
        externalId: '0a21f0f2-8d2a-4f8e-bf98-7363c4aed4ef',
        userName: 'Test_User@contoso.com',
        emails: [{ primary: true, type: 'work', value: 'Test_User@contoso.com' }],
        name: { formatted: 'Test User', familyName: 'User', givenName: 'Test' },
        [ENTERPRISE]: { department: 'R&D', manager: { value: 'boss-1' } },
      },
      active: true,
      ignored: [],
    });
  });

  describe('ignores what the schemas do not know, and names it', () => {
    it.each(unknownUserAttributes())('%s', (_name, body, expected, ignored) => {
      expect(parseUserRequest(body, { method: 'PUT', id: userId })).toEqual({ attributes: expected, ignored });
    });
  });

  describe('given a valid body', () => {
    it.each(validUsers())('%s', (_name, body, expected) => {
      expect(parseUserRequest(body, { method: 'POST' }).attributes).toEqual(expected);
    });
  });

  it('accepts on PUT the id of the resource, in any case', () => {
    expect(parseUserRequest(minimalUser({ id: userId.toUpperCase() }), { method: 'PUT', id: userId }).attributes).not.toHaveProperty('id');
  });

  it('ignores an id on POST', () => {
    expect(parseUserRequest(minimalUser({ id: 'anything' }), { method: 'POST' }).attributes).not.toHaveProperty('id');
  });

  describe('when the body breaks a rule', () => {
    it.each(invalidUsers())('rejects %s', (_name, body, status, scimType, detail) => {
      expectError(() => parseUserRequest(body, { method: 'PUT', id: userId }), status, scimType, detail);
    });
  });

  it('any body is parsed or rejected with a 400 SCIM error; what it keeps is named as the schema names it', () => {
    fc.assert(
      fc.property(userBody(), (body) => {
        try {
          const { attributes, active } = parseUserRequest(deepFreeze(body), { method: 'PUT', id: userId });
          expect(typeof attributes.userName).toBe('string');
          expect(active === undefined || typeof active === 'boolean').toBe(true);
          for (const key of Object.keys(attributes)) expect(KNOWN_USER_KEYS).toContain(key);
        } catch (error) {
          if (!(error instanceof ScimError)) throw error;
          expect(error.status).toBe(400);
          expect(error.scimType).toBeDefined();
        }
      }),
      { numRuns: 3_000 },
    );
  });
});

describe('parseGroupRequest', () => {
  it('returns displayName, externalId and the member ids', () => {
    const body = {
      schemas: [GROUP_SCHEMA_ID],
      displayName: 'Engineering',
      externalId: 'ext-1',
      members: [
        { value: alice, display: 'alice', $ref: `https://x/scim/v2/Users/${alice}`, type: 'User' },
        { value: bob, $ref: null },
      ],
    };
    expect(parseGroupRequest(body, { method: 'POST' })).toEqual({ displayName: 'Engineering', externalId: 'ext-1', memberIds: [alice, bob], ignored: [] });
  });

  it.each(validGroups())('%s', (_name, body, method, expected) => {
    expect(parseGroupRequest(body, { method, id: groupId })).toEqual(expected);
  });

  it('returns more members than a group may hold: the domain answers those with 413', () => {
    const members = Array.from({ length: 1_500 }, (_, i) => ({ value: `user-${i}` }));
    expect(parseGroupRequest({ displayName: 'Big', members }, { method: 'POST' }).memberIds).toHaveLength(1_500);
  });

  it('rejects more than 10,000 members with 413', () => {
    const members = Array.from({ length: 10_001 }, (_, i) => ({ value: `user-${i}` }));
    expectError(() => parseGroupRequest({ displayName: 'Huge', members }, { method: 'POST' }), 413, undefined, /at most 10000 members; this one lists 10001/);
  });

  describe('when the body breaks a rule', () => {
    it.each(invalidGroups())('rejects %s', (_name, body, method, status, scimType, detail) => {
      expectError(() => parseGroupRequest(body, { method, id: groupId }), status, scimType, detail);
    });
  });

  it('any body is parsed or rejected with a SCIM error', () => {
    fc.assert(
      fc.property(groupBody(), fc.constantFrom<'POST' | 'PUT'>('POST', 'PUT'), (body, method) => {
        try {
          const result = parseGroupRequest(deepFreeze(body), { method, id: groupId });
          for (const id of result.memberIds ?? []) expect(typeof id).toBe('string');
        } catch (error) {
          if (!(error instanceof ScimError)) throw error;
          expect([400, 413]).toContain(error.status);
          if (error.status === 400) expect(error.scimType).toBeDefined();
        }
      }),
      { numRuns: 3_000 },
    );
  });
});

// ---------------------------------------------------------------------------------------------
// Test data

function minimalUser(extra: Record<string, unknown> = {}): Record<string, unknown> {
  return { schemas: [USER_SCHEMA_ID], userName: 'jdoe@example.com', emails: [{ value: 'jdoe@example.com' }], ...extra };
}

function entraUser(): Record<string, unknown> {
  return {
    schemas: [USER_SCHEMA_ID, ENTERPRISE],
    externalId: '0a21f0f2-8d2a-4f8e-bf98-7363c4aed4ef',
    userName: 'Test_User@contoso.com',
    active: 'True',
    emails: [{ primary: 'True', type: 'work', value: 'Test_User@contoso.com' }],
    meta: { resourceType: 'User' },
    name: { formatted: 'Test User', familyName: 'User', givenName: 'Test' },
    roles: [],
    [ENTERPRISE]: { department: 'R&D', manager: 'boss-1' },
  };
}

type ValidUser = [name: string, body: Record<string, unknown>, expected: Record<string, unknown>];

function validUsers(): ValidUser[] {
  const email = [{ value: 'jdoe@example.com' }];
  const base = { userName: 'jdoe@example.com', emails: email };
  return [
    ['without schemas', { userName: 'jdoe@example.com', emails: email }, base],
    ['names in any case, stored in the schema case', { USERNAME: 'jdoe@example.com', Emails: [{ VALUE: 'jdoe@example.com', Type: 'work' }], displayname: 'J' }, { userName: 'jdoe@example.com', emails: [{ value: 'jdoe@example.com', type: 'work' }], displayName: 'J' }],
    ['a single email object, wrapped in an array', { userName: 'jdoe@example.com', emails: { value: 'jdoe@example.com' } }, base],
    ['read-only attributes ignored (meta, groups)', minimalUser({ meta: { created: 'x' }, groups: [{ value: 'g' }] }), base],
    ['the password dropped: it is never stored', minimalUser({ password: 'secret' }), base],
    ['null values dropped', minimalUser({ displayName: null, name: { givenName: null, familyName: 'Doe' }, phoneNumbers: [null] }), { ...base, name: { familyName: 'Doe' } }],
    ['empty arrays and objects dropped', minimalUser({ roles: [], name: {} }), base],
    ['"False" for a primary', minimalUser({ emails: [{ value: 'jdoe@example.com', primary: 'FALSE' }] }), { ...base, emails: [{ value: 'jdoe@example.com', primary: false }] }],
    [
      'the enterprise extension under its URN, names canonical, read-only manager.displayName dropped',
      minimalUser({ 'URN:IETF:PARAMS:SCIM:SCHEMAS:EXTENSION:ENTERPRISE:2.0:USER': { EmployeeNumber: '701', manager: { value: 'boss-1', displayName: 'Boss' } } }),
      { ...base, [ENTERPRISE]: { employeeNumber: '701', manager: { value: 'boss-1' } } },
    ],
    ['a primary email that is not the first', minimalUser({ emails: [{ value: 'a@x.y' }, { value: 'b@x.y', primary: true }] }), { ...base, emails: [{ value: 'a@x.y' }, { value: 'b@x.y', primary: true }] }],
  ];
}

type Rejection = [name: string, body: unknown, status: number, scimType: string | undefined, detail: RegExp];

function invalidUsers(): Rejection[] {
  return [
    ['a body that is not an object', 'jdoe', 400, 'invalidSyntax', /^a User must be a JSON object$/],
    ['schemas without the User schema', minimalUser({ schemas: [GROUP_SCHEMA_ID] }), 400, 'invalidSyntax', /schemas must hold 'urn:ietf:params:scim:schemas:core:2.0:User'/],
    ['schemas that is not an array of strings', minimalUser({ schemas: USER_SCHEMA_ID }), 400, 'invalidSyntax', /schemas must be an array/],
    ['an attribute given twice in different case', minimalUser({ UserName: 'other' }), 400, 'invalidSyntax', /'userName' is given twice/],
    ['no userName', { emails: [{ value: 'a@x.y' }] }, 400, 'invalidValue', /^userName is required$/],
    ['a blank userName', minimalUser({ userName: '  ' }), 400, 'invalidValue', /^userName is required$/],
    ['no email', { userName: 'jdoe' }, 400, 'invalidValue', /email is required/],
    ['an email without a value', { userName: 'jdoe', emails: [{ type: 'work' }] }, 400, 'invalidValue', /email is required/],
    ['two primary emails', minimalUser({ emails: [{ value: 'a@x.y', primary: true }, { value: 'b@x.y', primary: 'True' }] }), 400, 'invalidValue', /only one value of 'emails' may be primary/],
    ['a number for a string', minimalUser({ displayName: 42 }), 400, 'invalidValue', /^'displayName' must be a string; got number 42$/],
    ['a non-boolean active', minimalUser({ active: 'yes' }), 400, 'invalidValue', /^'active' must be true or false; got the string 'yes'$/],
    ['a string for a complex attribute', minimalUser({ name: 'Jane Doe' }), 400, 'invalidValue', /'name' must be an object with sub-attributes/],
    ['a string for an email', minimalUser({ emails: ['jdoe@example.com'] }), 400, 'invalidValue', /'emails' must be an object/],
    ['a wrongly typed extension attribute', minimalUser({ [ENTERPRISE]: { employeeNumber: 701 } }), 400, 'invalidValue', /employeeNumber' must be a string/],
    ['an extension that is not an object', minimalUser({ [ENTERPRISE]: 'x' }), 400, 'invalidValue', /must be an object/],
    ['a string longer than 2048 characters', minimalUser({ title: 'x'.repeat(2049) }), 400, 'invalidValue', /'title' is longer than 2048 characters/],
    ['more than 100 values', minimalUser({ phoneNumbers: Array.from({ length: 101 }, (_, i) => ({ value: `${i}` })) }), 400, 'invalidValue', /'phoneNumbers' holds at most 100 values/],
    ['a PUT whose id is not the resource', minimalUser({ id: 'another-id' }), 400, 'mutability', /id is immutable/],
  ];
}

type ValidGroup = [name: string, body: Record<string, unknown>, method: 'POST' | 'PUT', expected: Record<string, unknown>];

function validGroups(): ValidGroup[] {
  return [
    ['a PUT without members keeps the roster (memberIds undefined)', { displayName: 'Eng' }, 'PUT', { displayName: 'Eng' }],
    ['a PUT with members [] clears the roster', { displayName: 'Eng', members: [] }, 'PUT', { displayName: 'Eng', memberIds: [] }],
    ['a PUT with members null keeps the roster', { displayName: 'Eng', members: null }, 'PUT', { displayName: 'Eng' }],
    ['a PUT without displayName (the domain keeps it)', { members: [{ value: alice }] }, 'PUT', { memberIds: [alice] }],
    ['names in any case', { DisplayName: 'Eng', MEMBERS: [{ Value: alice, TYPE: 'user' }] }, 'POST', { displayName: 'Eng', memberIds: [alice] }],
    ['a single member object', { displayName: 'Eng', members: { value: alice } }, 'POST', { displayName: 'Eng', memberIds: [alice] }],
    ['read-only meta ignored', { displayName: 'Eng', meta: { resourceType: 'Group' } }, 'POST', { displayName: 'Eng' }],
    ['the id of the resource on PUT', { id: groupId, displayName: 'Eng' }, 'PUT', { displayName: 'Eng' }],
    ['null externalId as absent', { displayName: 'Eng', externalId: null }, 'POST', { displayName: 'Eng' }],
    ['duplicate members, left to the domain', { displayName: 'Eng', members: [{ value: alice }, { value: alice }] }, 'POST', { displayName: 'Eng', memberIds: [alice, alice] }],
    ['an unknown attribute ignored and named', { displayName: 'Eng', owner: 'x' }, 'POST', { displayName: 'Eng', ignored: ['owner'] }],
    ['an unknown extension ignored and named', { displayName: 'Eng', [ENTERPRISE]: {} }, 'POST', { displayName: 'Eng', ignored: [ENTERPRISE] }],
    [
      "WSO2's members[].displayName (and any unknown member sub-attribute) ignored, named once",
      { displayName: 'Eng', members: [{ value: alice, displayName: 'Alice' }, { value: bob, displayName: 'Bob', role: 'owner' }] },
      'POST',
      { displayName: 'Eng', memberIds: [alice, bob], ignored: ['members.displayName', 'members.role'] },
    ],
  ].map(([name, body, method, expected]) => [name, body, method, { ignored: [], ...(expected as object) }] as ValidGroup);
}

type IgnoredUser = [name: string, body: Record<string, unknown>, expected: Record<string, unknown>, ignored: string[]];

function unknownUserAttributes(): IgnoredUser[] {
  const base = { userName: 'jdoe@example.com', emails: [{ value: 'jdoe@example.com' }] };
  return [
    ["Microsoft's validator's misspelt attribute", minimalUser({ adreses: [{ country: 'Germany' }] }), base, ['adreses']],
    ['an unknown extension', minimalUser({ 'urn:example:params:scim:schemas:extension:custom:2.0:User': { x: 'y' } }), base, ['urn:example:params:scim:schemas:extension:custom:2.0:User']],
    ['an unknown sub-attribute, the known ones kept', minimalUser({ name: { givenName: 'J', nickname: 'x' } }), { ...base, name: { givenName: 'J' } }, ['name.nickname']],
    ['an unknown extension attribute', minimalUser({ [ENTERPRISE]: { shoeSize: '42', department: 'Ops' } }), { ...base, [ENTERPRISE]: { department: 'Ops' } }, [`${ENTERPRISE}:shoeSize`]],
    ['an unknown sub-attribute of every email, named once', minimalUser({ emails: [{ value: 'a@x.y', label: 'a' }, { value: 'b@x.y', label: 'b' }] }), { ...base, emails: [{ value: 'a@x.y' }, { value: 'b@x.y' }] }, ['emails.label']],
  ];
}

type GroupRejection = [name: string, body: unknown, method: 'POST' | 'PUT', status: number, scimType: string | undefined, detail: RegExp];

function invalidGroups(): GroupRejection[] {
  return [
    ['a body that is not an object', null, 'POST', 400, 'invalidSyntax', /^a Group must be a JSON object$/],
    ['a POST without displayName', { members: [] }, 'POST', 400, 'invalidValue', /^displayName is required$/],
    ['a POST with a blank displayName', { displayName: ' ' }, 'POST', 400, 'invalidValue', /^displayName is required$/],
    ['a displayName that is not a string', { displayName: ['Eng'] }, 'POST', 400, 'invalidValue', /^'displayName' must be a string; got an array$/],
    ['an externalId that is not a string', { displayName: 'Eng', externalId: 7 }, 'POST', 400, 'invalidValue', /'externalId' must be a string/],
    ['schemas without the Group schema', { schemas: [USER_SCHEMA_ID], displayName: 'Eng' }, 'POST', 400, 'invalidSyntax', /schemas must hold 'urn:ietf:params:scim:schemas:core:2.0:Group'/],
    ['a member that is a group', { displayName: 'Eng', members: [{ value: alice, type: 'Group' }] }, 'POST', 400, 'invalidValue', /^members\[0\]\.type must be 'User'/],
    ['a member without a value', { displayName: 'Eng', members: [{ value: alice }, { display: 'bob' }] }, 'POST', 400, 'invalidValue', /^members\[1\]\.value is required/],
    ['a member value that is not a string', { displayName: 'Eng', members: [{ value: 42 }] }, 'POST', 400, 'invalidValue', /^members\[0\]\.value must be a user id; got number 42$/],
    ['a member that is not an object', { displayName: 'Eng', members: [alice] }, 'POST', 400, 'invalidValue', /^members\[0\] must be an object/],
    ['a member $ref that is not a string', { displayName: 'Eng', members: [{ value: alice, $ref: 1 }] }, 'POST', 400, 'invalidValue', /\$ref must be a URI/],
    ['a PUT whose id is not the resource', { id: 'other', displayName: 'Eng' }, 'PUT', 400, 'mutability', /id is immutable/],
  ];
}

const KNOWN_USER_KEYS = [
  'externalId',
  'userName',
  'name',
  'displayName',
  'nickName',
  'profileUrl',
  'title',
  'userType',
  'preferredLanguage',
  'locale',
  'timezone',
  'emails',
  'phoneNumbers',
  'ims',
  'photos',
  'addresses',
  'entitlements',
  'roles',
  'x509Certificates',
  ENTERPRISE,
];

function userBody(): fc.Arbitrary<unknown> {
  const keys = ['userName', 'USERNAME', 'emails', 'active', 'name', 'displayName', 'id', 'meta', 'groups', 'password', 'schemas', 'phoneNumbers', 'shoeSize', ENTERPRISE, 'urn:x:y', '__proto__'];
  const scalar = fc.oneof(fc.string(), fc.string({ unit: 'binary' }), fc.constantFrom('True', 'false', userId), fc.boolean(), fc.integer(), fc.constant(null));
  const element = fc.dictionary(fc.constantFrom('value', 'type', 'primary', 'display', 'Value', 'givenName', 'manager', 'employeeNumber', 'colour'), scalar, { maxKeys: 4 });
  const value = fc.oneof(scalar, element, fc.array(element, { maxLength: 3 }), fc.array(scalar, { maxLength: 2 }), fc.jsonValue({ maxDepth: 2 }));
  return fc.oneof(
    { weight: 10, arbitrary: fc.record({ userName: fc.constant('jdoe'), emails: fc.constant([{ value: 'a@x.y' }]), extra: fc.dictionary(fc.constantFrom(...keys), value, { maxKeys: 4 }) }).map(({ extra, ...rest }) => ({ ...rest, ...extra })) },
    { weight: 1, arbitrary: fc.jsonValue({ maxDepth: 3 }) },
  );
}

function groupBody(): fc.Arbitrary<unknown> {
  const keys = ['displayName', 'DisplayName', 'externalId', 'members', 'id', 'meta', 'schemas', 'owner', 'urn:x:y'];
  const member = fc.dictionary(fc.constantFrom('value', 'display', '$ref', 'type', 'VALUE', 'role'), fc.oneof(fc.string(), fc.constantFrom('User', 'Group', alice), fc.constant(null), fc.integer()), { maxKeys: 4 });
  const value = fc.oneof(fc.string(), fc.constant(null), member, fc.array(member, { maxLength: 4 }), fc.jsonValue({ maxDepth: 2 }));
  return fc.oneof({ weight: 10, arbitrary: fc.dictionary(fc.constantFrom(...keys), value, { maxKeys: 4 }) }, { weight: 1, arbitrary: fc.jsonValue({ maxDepth: 3 }) });
}

function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null) {
    for (const item of Object.values(value)) deepFreeze(item);
    Object.freeze(value);
  }
  return value;
}

function expectError(run: () => unknown, status: number, scimType: string | undefined, detail: RegExp): void {
  let thrown: unknown;
  try {
    run();
  } catch (error) {
    thrown = error;
  }
  expect(thrown).toBeInstanceOf(ScimError);
  expect(thrown).toMatchObject({ status, scimType });
  expect((thrown as ScimError).detail).toMatch(detail);
}
