import fc from 'fast-check';
import type { JsonDocument } from '../../../shared/domain/json';
import { ScimError } from '../../../shared/scim/errors';
import { applyPatch } from '../../../shared/scim/patch/apply-patch';
import type { PatchOperation } from '../../../shared/scim/patch/operation';
import { parsePatchRequest } from '../../../shared/scim/patch/parse-patch-request';
import { ENTERPRISE_USER_SCHEMA_ID as ENTERPRISE, USER_SCHEMA_ID as CORE } from '../../../shared/scim/schemas';

// Table rows are built while the suite is collected: what they use must exist by then.
const alice = '6b1f3c7e-0000-4000-8000-000000000001';
const bob = '6b1f3c7e-0000-4000-8000-000000000002';
const carol = '6b1f3c7e-0000-4000-8000-000000000003';

describe('applyPatch', () => {
  describe('on a user', () => {
    describe('add', () => {
      it.each(userAdds())('%s', (_name, operations, expected) => {
        expect(applyPatch(user(), operations, 'User')).toEqual(expected);
      });
    });

    describe('replace', () => {
      it.each(userReplaces())('%s', (_name, operations, expected) => {
        expect(applyPatch(user(), operations, 'User')).toEqual(expected);
      });
    });

    describe('remove', () => {
      it.each(userRemoves())('%s', (_name, operations, expected) => {
        expect(applyPatch(user(), operations, 'User')).toEqual(expected);
      });
    });

    describe('when an operation breaks a rule', () => {
      it.each(userRejections())('rejects %s', (_name, operations, status, scimType, detail) => {
        expectError(() => applyPatch(user(), operations, 'User'), status, scimType, detail);
      });
    });

    describe('when the request comes from Entra ID (through parsePatchRequest)', () => {
      it.each(entraUserRequests())('%s', (_name, body, expected) => {
        expect(applyPatch(user(), parsePatchRequest(body, 'User'), 'User')).toEqual(expected);
      });
    });
  });

  describe('on a group', () => {
    describe('when the operations are valid', () => {
      it.each(groupPatches())('%s', (_name, operations, expected) => {
        expect(applyPatch(group(), operations, 'Group')).toEqual(expected);
      });
    });

    describe('when an operation breaks a rule', () => {
      it.each(groupRejections())('rejects %s', (_name, operations, status, scimType, detail) => {
        expectError(() => applyPatch(group(), operations, 'Group'), status, scimType, detail);
      });
    });

    describe('when the request comes from Entra ID (through parsePatchRequest)', () => {
      it.each(entraGroupRequests())('%s', (_name, body, expected) => {
        expect(applyPatch(group(), parsePatchRequest(body, 'Group'), 'Group')).toEqual(expected);
      });
    });
  });

  describe('when a path-less value repeats the resource id (Okta group push)', () => {
    it('ignores the id that is the resource\'s own, in any case, and applies the rest', () => {
      const operations: PatchOperation[] = [{ op: 'replace', value: { id: alice.toUpperCase(), displayName: 'New' } }];
      expect(applyPatch(group(), operations, 'Group', { id: alice })).toEqual(groupWith({ displayName: 'New' }));
    });

    it('rejects another id with 400 mutability, naming the operation', () => {
      const operations: PatchOperation[] = [{ op: 'replace', value: { id: bob, displayName: 'New' } }];
      expectError(() => applyPatch(group(), operations, 'Group', { id: alice }), 400, 'mutability', /^Operations\[0\]: 'id' is read-only: the string '6b1f3c7e-0000-4000-8000-000000000002' is not this resource's id$/);
    });

    it('rejects id as a path even with the resource\'s own value', () => {
      expectError(() => applyPatch(group(), [{ op: 'replace', path: 'id', value: alice }], 'Group', { id: alice }), 400, 'mutability', /'id' is read-only/);
    });
  });

  describe('atomicity', () => {
    it('applies nothing when the second operation fails, and names it', () => {
      const before = JSON.stringify(user());
      expectError(
        () =>
          applyPatch(
            user(),
            [
              { op: 'replace', path: 'displayName', value: 'Changed' },
              { op: 'add', path: 'groups', value: [{ value: 'g1' }] },
            ],
            'User',
          ),
        400,
        'mutability',
        /^Operations\[1\]: 'groups' is read-only$/,
      );
      expect(JSON.stringify(user())).toBe(before);
    });

    it('never mutates its input, even when every operation succeeds', () => {
      const input = structuredClone(user()) as JsonDocument;
      const before = JSON.stringify(input);
      const after = applyPatch(input, [{ op: 'add', path: 'emails', value: { value: 'new@example.com', primary: true } }], 'User');
      expect(JSON.stringify(input)).toBe(before);
      expect(after).not.toBe(input);
    });

    it('sees the effect of earlier operations in later ones', () => {
      const after = applyPatch(
        user(),
        [
          { op: 'add', path: 'emails[type eq "home"].value', value: 'home@example.com' },
          { op: 'replace', path: 'emails[type eq "home"].primary', value: true },
        ],
        'User',
      );
      expect(after.emails).toEqual([
        { value: 'jdoe@example.com', type: 'work' },
        { type: 'home', value: 'home@example.com', primary: true },
      ]);
    });
  });

  describe('properties', () => {
    it('any PATCH body either applies or fails with a SCIM error, and never mutates the document', () => {
      fc.assert(
        fc.property(
          fc.constantFrom<ResourceType>('User', 'Group').chain((resourceType) => fc.tuple(fc.constant(resourceType), patchBody(resourceType))),
          ([resourceType, body]) => {
          const document = resourceType === 'User' ? user() : group();
          const before = JSON.stringify(document);
          try {
            const after = applyPatch(document, parsePatchRequest(body, resourceType), resourceType);
            expect(JSON.parse(JSON.stringify(after))).toEqual(after);
            if (resourceType === 'Group') {
              expect(after.members).toEqual(expect.any(Array));
              for (const member of after.members as unknown[]) expect(member).toEqual({ value: expect.any(String) });
            }
          } catch (error) {
            expectScimError(error);
          }
          expect(JSON.stringify(document)).toBe(before);
          },
        ),
        { numRuns: 4_000 },
      );
    });

    it('any list of operations (not only parsed ones) either applies or fails with a SCIM error', () => {
      fc.assert(
        fc.property(fc.array(rawOperation(), { maxLength: 8 }), fc.constantFrom<'User' | 'Group'>('User', 'Group'), (operations, resourceType) => {
          try {
            applyPatch(resourceType === 'User' ? user() : group(), operations, resourceType);
          } catch (error) {
            expectScimError(error);
          }
        }),
        { numRuns: 3_000 },
      );
    });

    it('leaves at most one primary email after any successful add or replace of emails', () => {
      fc.assert(
        fc.property(fc.array(emailOperation(), { minLength: 1, maxLength: 5 }), (operations) => {
          let after: JsonDocument;
          try {
            after = applyPatch(user(), operations, 'User');
          } catch (error) {
            expectScimError(error);
            return;
          }
          const emails = Array.isArray(after.emails) ? after.emails : [];
          expect(emails.filter((email) => (email as { primary?: unknown }).primary === true).length).toBeLessThanOrEqual(1);
        }),
        { numRuns: 2_000 },
      );
    });
  });
});

// ---------------------------------------------------------------------------------------------
// Test data


function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null) {
    for (const item of Object.values(value)) deepFreeze(item);
    Object.freeze(value);
  }
  return value;
}

function user(): JsonDocument {
  return deepFreeze({
  userName: 'jdoe@example.com',
  displayName: 'Jane Doe',
  name: { givenName: 'Jane', familyName: 'Doe' },
  emails: [{ value: 'jdoe@example.com', type: 'work', primary: true }],
  active: true,
    [ENTERPRISE]: { employeeNumber: '701', manager: { value: 'boss-1' } },
  });
}

function group(): JsonDocument {
  return deepFreeze({
  displayName: 'Engineering',
  externalId: 'ext-1',
    members: [{ value: alice }, { value: bob }],
  });
}

/** The user with some top-level attributes replaced (undefined removes them). */
function userWith(changes: Record<string, unknown>): Record<string, unknown> {
  const result: Record<string, unknown> = { ...user() };
  for (const [key, value] of Object.entries(changes)) {
    if (value === undefined) delete result[key];
    else result[key] = value;
  }
  return result;
}

function groupWith(changes: Record<string, unknown>): Record<string, unknown> {
  const result: Record<string, unknown> = { ...group() };
  for (const [key, value] of Object.entries(changes)) {
    if (value === undefined) delete result[key];
    else result[key] = value;
  }
  return result;
}

type Case = [name: string, operations: PatchOperation[], expected: Record<string, unknown>];
type Rejection = [name: string, operations: PatchOperation[], status: number, scimType: string | undefined, detail: RegExp];
type EntraCase = [name: string, body: unknown, expected: Record<string, unknown>];

function userAdds(): Case[] {
  const workEmail = { value: 'jdoe@example.com', type: 'work', primary: true };
  return [
    ['add on a single-valued attribute acts as replace', [{ op: 'add', path: 'displayName', value: 'J. Doe' }], userWith({ displayName: 'J. Doe' })],
    ['add sets an attribute that was absent', [{ op: 'add', path: 'title', value: 'Engineer' }], userWith({ title: 'Engineer' })],
    ['add active true on an active user changes nothing', [{ op: 'add', path: 'active', value: true }], user()],
    ['add active false', [{ op: 'add', path: 'active', value: false }], userWith({ active: false })],
    [
      'add on a complex attribute merges its sub-attributes',
      [{ op: 'add', path: 'name', value: { givenName: 'Janet', middleName: 'Q' } }],
      userWith({ name: { givenName: 'Janet', familyName: 'Doe', middleName: 'Q' } }),
    ],
    ['add a sub-attribute', [{ op: 'add', path: 'name.formatted', value: 'Jane Doe' }], userWith({ name: { givenName: 'Jane', familyName: 'Doe', formatted: 'Jane Doe' } })],
    [
      'add a sub-attribute of a complex attribute that was absent',
      [{ op: 'add', path: 'addresses', value: { locality: 'Oslo', type: 'work' } }],
      userWith({ addresses: [{ locality: 'Oslo', type: 'work' }] }),
    ],
    [
      'add one value to a multi-valued attribute appends it',
      [{ op: 'add', path: 'emails', value: { value: 'home@example.com', type: 'home' } }],
      userWith({ emails: [workEmail, { value: 'home@example.com', type: 'home' }] }),
    ],
    [
      'add an array appends each value, skipping those already there',
      [{ op: 'add', path: 'emails', value: [workEmail, { value: 'b@example.com' }, { value: 'b@example.com' }] }],
      userWith({ emails: [workEmail, { value: 'b@example.com' }] }),
    ],
    [
      'add a primary value takes the flag from the previous primary (RFC 7643 §2.4)',
      [{ op: 'add', path: 'emails', value: [{ value: 'new@example.com', type: 'home', primary: true }] }],
      userWith({ emails: [{ value: 'jdoe@example.com', type: 'work' }, { value: 'new@example.com', type: 'home', primary: true }] }),
    ],
    [
      'add with a filter path and no match creates the value from the filter (Entra: work email)',
      [{ op: 'add', path: 'phoneNumbers[type eq "work"].value', value: '+47 1234' }],
      userWith({ phoneNumbers: [{ type: 'work', value: '+47 1234' }] }),
    ],
    [
      'add with a filter path sets the sub-attribute of the matching value',
      [{ op: 'add', path: 'emails[type eq "work"].value', value: 'jane@example.com' }],
      userWith({ emails: [{ value: 'jane@example.com', type: 'work', primary: true }] }),
    ],
    [
      'add with an `and` of equalities builds the value from all of them',
      [{ op: 'add', path: 'emails[type eq "home" and primary eq true].value', value: 'home@example.com' }],
      userWith({ emails: [{ value: 'jdoe@example.com', type: 'work' }, { type: 'home', primary: true, value: 'home@example.com' }] }),
    ],
    [
      'add with a filter path and an object value merges into the match',
      [{ op: 'add', path: 'emails[value eq "JDOE@example.com"]', value: { display: 'Work' } }],
      userWith({ emails: [{ ...workEmail, display: 'Work' }] }),
    ],
    [
      'add with a filter path and an object value creates a value when none matches',
      [{ op: 'add', path: 'emails[type eq "home"]', value: { value: 'home@example.com' } }],
      userWith({ emails: [workEmail, { type: 'home', value: 'home@example.com' }] }),
    ],
    [
      'add a URN-qualified extension attribute',
      [{ op: 'add', path: `${ENTERPRISE}:department`, value: 'R&D' }],
      userWith({ [ENTERPRISE]: { employeeNumber: '701', manager: { value: 'boss-1' }, department: 'R&D' } }),
    ],
    [
      'add a URN-qualified sub-attribute (manager.value)',
      [{ op: 'add', path: `${ENTERPRISE}:manager.value`, value: 'boss-2' }],
      userWith({ [ENTERPRISE]: { employeeNumber: '701', manager: { value: 'boss-2' } } }),
    ],
    [
      'add the whole extension merges into it',
      [{ op: 'add', path: ENTERPRISE, value: { costCenter: 'CC-1', manager: { $ref: '../Users/boss-1' } } }],
      userWith({ [ENTERPRISE]: { employeeNumber: '701', costCenter: 'CC-1', manager: { value: 'boss-1', $ref: '../Users/boss-1' } } }),
    ],
    [
      'add a core-URN-qualified attribute',
      [{ op: 'add', path: `${CORE}:nickName`, value: 'JD' }],
      userWith({ nickName: 'JD' }),
    ],
    [
      'names in paths and values are case-insensitive and stored in the schema case',
      [
        { op: 'add', path: 'NICKNAME', value: 'JD' },
        { op: 'add', path: 'Name.GivenName', value: 'Janet' },
        { op: 'add', path: 'PhoneNumbers', value: [{ VALUE: '+47 1', Type: 'mobile' }] },
      ],
      userWith({ nickName: 'JD', name: { givenName: 'Janet', familyName: 'Doe' }, phoneNumbers: [{ value: '+47 1', type: 'mobile' }] }),
    ],
    [
      'a path-less add with keys that are names, dotted paths and URN paths',
      [
        {
          op: 'add',
          value: {
            schemas: [CORE],
            title: 'Engineer',
            'name.middleName': 'Q',
            [`${ENTERPRISE}:division`]: 'North',
            emails: [{ value: 'x@example.com' }],
          },
        },
      ],
      userWith({
        title: 'Engineer',
        name: { givenName: 'Jane', familyName: 'Doe', middleName: 'Q' },
        [ENTERPRISE]: { employeeNumber: '701', manager: { value: 'boss-1' }, division: 'North' },
        emails: [workEmail, { value: 'x@example.com' }],
      }),
    ],
    [
      'read-only sub-attributes inside a value are ignored (RFC 7643 §7)',
      [{ op: 'add', path: `${ENTERPRISE}:manager`, value: { value: 'boss-3', displayName: 'Boss' } }],
      userWith({ [ENTERPRISE]: { employeeNumber: '701', manager: { value: 'boss-3' } } }),
    ],
    ['a password is never stored', [{ op: 'add', path: 'password', value: 'secret' }], user()],
  ];
}

function userReplaces(): Case[] {
  return [
    ['replace a simple attribute', [{ op: 'replace', path: 'displayName', value: 'Janet' }], userWith({ displayName: 'Janet' })],
    ['replace active false', [{ op: 'replace', path: 'active', value: false }], userWith({ active: false })],
    ['replace an absent attribute adds it', [{ op: 'replace', path: 'title', value: 'CTO' }], userWith({ title: 'CTO' })],
    ['replace a sub-attribute', [{ op: 'replace', path: 'name.givenName', value: 'Janet' }], userWith({ name: { givenName: 'Janet', familyName: 'Doe' } })],
    [
      'replace a complex attribute keeps the sub-attributes not given (RFC 7644 §3.5.2.3)',
      [{ op: 'replace', path: 'name', value: { givenName: 'Janet' } }],
      userWith({ name: { givenName: 'Janet', familyName: 'Doe' } }),
    ],
    [
      'replace a multi-valued attribute without a filter replaces all its values',
      [{ op: 'replace', path: 'emails', value: [{ value: 'a@example.com', primary: true }, { value: 'b@example.com' }] }],
      userWith({ emails: [{ value: 'a@example.com', primary: true }, { value: 'b@example.com' }] }),
    ],
    [
      'replace with a filter merges an object value into each match',
      [{ op: 'replace', path: 'emails[type eq "work"]', value: { value: 'new@example.com' } }],
      userWith({ emails: [{ value: 'new@example.com', type: 'work', primary: true }] }),
    ],
    [
      'replace with a filter and a sub-attribute sets it on each match',
      [{ op: 'replace', path: 'emails[primary eq true].type', value: 'home' }],
      userWith({ emails: [{ value: 'jdoe@example.com', type: 'home', primary: true }] }),
    ],
    [
      'replace the primary flag on one value takes it from the others',
      [
        { op: 'add', path: 'emails', value: { value: 'b@example.com', type: 'home' } },
        { op: 'replace', path: 'emails[type eq "home"].primary', value: true },
      ],
      userWith({ emails: [{ value: 'jdoe@example.com', type: 'work' }, { value: 'b@example.com', type: 'home', primary: true }] }),
    ],
    [
      'replace a filtered sub-attribute with no match creates the value (Entra: work email)',
      [{ op: 'replace', path: 'emails[type eq "home"].value', value: 'home@example.com' }],
      userWith({ emails: [{ value: 'jdoe@example.com', type: 'work', primary: true }, { type: 'home', value: 'home@example.com' }] }),
    ],
    [
      'replace the whole extension by its URN path merges the sub-attributes it names (RFC 7644 §3.5.2.3)',
      [{ op: 'replace', path: ENTERPRISE, value: { department: 'Sales' } }],
      userWith({ [ENTERPRISE]: { employeeNumber: '701', manager: { value: 'boss-1' }, department: 'Sales' } }),
    ],
    [
      'replace the manager keeps what it does not name, and a null sub-attribute unassigns',
      [
        { op: 'replace', path: `${ENTERPRISE}:manager`, value: { $ref: 'https://x/Users/boss-1' } },
        { op: 'replace', path: ENTERPRISE, value: { manager: { value: 'boss-2' }, employeeNumber: null } },
      ],
      userWith({ [ENTERPRISE]: { manager: { value: 'boss-2', $ref: 'https://x/Users/boss-1' } } }),
    ],
    [
      'a path-less replace of name as an object merges it',
      [{ op: 'replace', value: { name: { familyName: 'Smith' } } }],
      userWith({ name: { givenName: 'Jane', familyName: 'Smith' } }),
    ],
    [
      'an unknown sub-attribute inside a value is ignored',
      [{ op: 'replace', path: 'name', value: { givenName: 'Janet', nickname: 'JJ' } }],
      userWith({ name: { givenName: 'Janet', familyName: 'Doe' } }),
    ],
    [
      'a path-less replace with dotted, URN-qualified and core-URN keys (Entra)',
      [
        {
          op: 'replace',
          value: {
            'name.givenName': 'Janet',
            [`${ENTERPRISE}:employeeNumber`]: '702',
            [`${ENTERPRISE}:manager.value`]: 'boss-2',
            [`${CORE}:userName`]: 'janet@example.com',
            active: false,
          },
        },
      ],
      userWith({
        userName: 'janet@example.com',
        name: { givenName: 'Janet', familyName: 'Doe' },
        active: false,
        [ENTERPRISE]: { employeeNumber: '702', manager: { value: 'boss-2' } },
      }),
    ],
    [
      'a path-less replace of the extension key merges into the extension (RFC 7644 §3.5.2.3)',
      [{ op: 'replace', value: { [ENTERPRISE]: { costCenter: 'CC-9' } } }],
      userWith({ [ENTERPRISE]: { employeeNumber: '701', manager: { value: 'boss-1' }, costCenter: 'CC-9' } }),
    ],
    ['a path-less replace ignores meta', [{ op: 'replace', value: { meta: { resourceType: 'User', version: 'W/"3"' }, 'meta.created': 'x', title: 'CTO' } }], userWith({ title: 'CTO' })],
    ['a path-less replace ignores schemas', [{ op: 'replace', value: { schemas: ['anything'], title: 'CTO' } }], userWith({ title: 'CTO' })],
    ['replace with null unassigns the attribute (RFC 7643 §2.5)', [{ op: 'replace', path: 'displayName', value: null }], userWith({ displayName: undefined })],
    [
      'replace with a value equal to the current one changes nothing',
      [{ op: 'replace', path: 'emails[type eq "work"].value', value: 'jdoe@example.com' }],
      user(),
    ],
  ];
}

function userRemoves(): Case[] {
  return [
    ['remove an attribute', [{ op: 'remove', path: 'displayName' }], userWith({ displayName: undefined })],
    ['remove an absent attribute succeeds and changes nothing', [{ op: 'remove', path: 'title' }], user()],
    ['remove a sub-attribute', [{ op: 'remove', path: 'name.givenName' }], userWith({ name: { familyName: 'Doe' } })],
    [
      'remove the last sub-attribute drops the complex attribute',
      [
        { op: 'remove', path: 'name.givenName' },
        { op: 'remove', path: 'name.familyName' },
      ],
      userWith({ name: undefined }),
    ],
    ['remove the values a filter matches', [{ op: 'remove', path: 'emails[type eq "work"]' }], userWith({ emails: undefined })],
    ['remove with a filter that matches nothing succeeds', [{ op: 'remove', path: 'emails[type eq "home"]' }], user()],
    [
      'remove a sub-attribute of the values a filter matches',
      [{ op: 'remove', path: 'emails[type eq "work"].primary' }],
      userWith({ emails: [{ value: 'jdoe@example.com', type: 'work' }] }),
    ],
    [
      'remove the values listed in value, matched by value (case as the sub-attribute says)',
      [
        { op: 'add', path: 'emails', value: { value: 'b@example.com' } },
        { op: 'remove', path: 'emails', value: [{ value: 'B@EXAMPLE.COM' }] },
      ],
      user(),
    ],
    ['remove an extension attribute', [{ op: 'remove', path: `${ENTERPRISE}:employeeNumber` }], userWith({ [ENTERPRISE]: { manager: { value: 'boss-1' } } })],
    [
      'remove the last extension attribute drops the extension',
      [
        { op: 'remove', path: `${ENTERPRISE}:employeeNumber` },
        { op: 'remove', path: `${ENTERPRISE}:manager.value` },
      ],
      userWith({ [ENTERPRISE]: undefined }),
    ],
    ['remove the whole extension', [{ op: 'remove', path: ENTERPRISE }], userWith({ [ENTERPRISE]: undefined })],
    ['remove userName is left to the decider to reject', [{ op: 'remove', path: 'userName' }], userWith({ userName: undefined })],
  ];
}

function userRejections(): Rejection[] {
  return [
    ['remove without a path (noTarget)', [{ op: 'remove' }], 400, 'noTarget', /^Operations\[0\]: remove needs a path$/],
    ['add without a value', [{ op: 'add', path: 'title' }], 400, 'invalidValue', /add needs a value/],
    ['an unknown attribute (invalidPath)', [{ op: 'add', path: 'shoeSize', value: '42' }], 400, 'invalidPath', /unknown attribute 'shoeSize' for resource type User/],
    ['an unknown sub-attribute', [{ op: 'replace', path: 'name.nickName', value: 'x' }], 400, 'invalidPath', /unknown attribute 'name.nickName'/],
    ['an unknown key in a path-less value', [{ op: 'replace', value: { shoeSize: '42' } }], 400, 'invalidPath', /unknown attribute 'shoeSize'/],
    ['an attribute of another resource type', [{ op: 'add', path: 'members', value: [{ value: alice }] }], 400, 'invalidPath', /unknown attribute 'members'/],
    ['a value filter on a single-valued attribute', [{ op: 'replace', path: 'name[givenName eq "Jane"].familyName', value: 'x' }], 400, 'invalidPath', /only a multi-valued complex attribute/],
    ['a value filter naming an unknown sub-attribute', [{ op: 'remove', path: 'emails[colour eq "red"]' }], 400, 'invalidPath', /unknown sub-attribute 'colour' of 'emails'/],
    ['a value filter comparing a boolean with gt', [{ op: 'remove', path: 'emails[primary gt true]' }], 400, 'invalidPath', /'gt' cannot compare boolean/],
    ['a malformed path', [{ op: 'replace', path: 'emails[type eq', value: 'x' }], 400, 'invalidPath', /invalid path 'emails\[type eq'/],
    ['the read-only groups', [{ op: 'add', path: 'groups', value: [{ value: 'g1' }] }], 400, 'mutability', /'groups' is read-only/],
    ['the read-only id', [{ op: 'replace', path: 'id', value: 'x' }], 400, 'mutability', /'id' is read-only/],
    ['the read-only id in a path-less value', [{ op: 'replace', value: { id: 'x' } }], 400, 'mutability', /'id' is read-only/],
    ['the read-only meta.created', [{ op: 'replace', path: 'meta.created', value: '2020-01-01T00:00:00Z' }], 400, 'mutability', /'meta.created' is read-only/],
    ['the read-only manager.displayName', [{ op: 'replace', path: `${ENTERPRISE}:manager.displayName`, value: 'x' }], 400, 'mutability', /manager.displayName' is read-only/],
    ['a string where a boolean belongs', [{ op: 'replace', path: 'active', value: 'False' }], 400, 'invalidValue', /'active' must be true or false; got the string 'False'/],
    ['a number where a string belongs', [{ op: 'replace', path: 'displayName', value: 42 }], 400, 'invalidValue', /'displayName' must be a string; got number 42/],
    ['a string where a complex value belongs', [{ op: 'replace', path: 'name', value: 'Jane' }], 400, 'invalidValue', /'name' must be an object with sub-attributes/],
    ['a string as a value of a multi-valued complex attribute', [{ op: 'add', path: 'emails', value: 'a@example.com' }], 400, 'invalidValue', /'emails' must be an object/],
    ['a wrongly typed extension attribute', [{ op: 'add', path: `${ENTERPRISE}:employeeNumber`, value: 42 }], 400, 'invalidValue', /employeeNumber' must be a string/],
    ['a non-object path-less value', [{ op: 'replace', value: 'x' }], 400, 'invalidValue', /a path-less replace needs an object value/],
    ['a non-object whole extension', [{ op: 'replace', path: ENTERPRISE, value: 'x' }], 400, 'invalidValue', /must be an object with sub-attributes \(employeeNumber/],
    ['two new primary values', [{ op: 'add', path: 'emails', value: [{ value: 'a@x.y', primary: true }, { value: 'b@x.y', primary: true }] }], 400, 'invalidValue', /only one value of 'emails' may be primary/],
    ['a replace filter that matches nothing, without a sub-attribute (noTarget)', [{ op: 'replace', path: 'emails[type eq "home"]', value: { value: 'x@y.z' } }], 400, 'noTarget', /matches no value/],
    ['a filter that cannot describe a new value (noTarget)', [{ op: 'add', path: 'emails[value co "home"].type', value: 'home' }], 400, 'noTarget', /matches no value/],
    ['a sub-attribute of a multi-valued attribute that has no values', [{ op: 'replace', path: 'phoneNumbers.type', value: 'work' }], 400, 'noTarget', /has no values/],
    ['a string longer than 2048 characters', [{ op: 'replace', path: 'displayName', value: 'x'.repeat(2049) }], 400, 'invalidValue', /longer than 2048 characters/],
    ['more than 100 values', [{ op: 'replace', path: 'emails', value: Array.from({ length: 101 }, (_, i) => ({ value: `${i}@x.y` })) }], 400, 'invalidValue', /at most 100 values/],
    ['a null inside a multi-valued value', [{ op: 'add', path: 'emails', value: [null] }], 400, 'invalidValue', /cannot hold a null value/],
    ['a listed value to remove that is not an object', [{ op: 'remove', path: 'emails', value: [42] }], 400, 'invalidValue', /each value to remove must be an object/],
  ];
}

function entraUserRequests(): EntraCase[] {
  return [
    ['Replace active "False" deactivates', patchOp({ op: 'Replace', path: 'active', value: 'False' }), userWith({ active: false })],
    ['replace active false (aadOptscim062020)', patchOp({ op: 'replace', path: 'active', value: false }), userWith({ active: false })],
    ['Add active "True"', patchOp({ op: 'Add', path: 'active', value: 'True' }), user()],
    [
      'Replace with a path-less value of dotted and URN keys',
      patchOp({
        op: 'Replace',
        value: { 'name.givenName': 'Janet', [`${ENTERPRISE}:employeeNumber`]: '702', active: 'False' },
      }),
      userWith({ name: { givenName: 'Janet', familyName: 'Doe' }, active: false, [ENTERPRISE]: { employeeNumber: '702', manager: { value: 'boss-1' } } }),
    ],
    [
      'Add emails[type eq "work"].value on a user without a work email creates it',
      patchOp(
        { op: 'Remove', path: 'emails[type eq "work"]' },
        { op: 'Add', path: 'emails[type eq "work"].value', value: 'new@example.com' },
        { op: 'Add', path: 'emails[type eq "work"].primary', value: 'True' },
      ),
      userWith({ emails: [{ type: 'work', value: 'new@example.com', primary: true }] }),
    ],
    [
      'Add the manager as a bare id',
      patchOp({ op: 'Add', path: `${ENTERPRISE}:manager`, value: 'boss-2' }),
      userWith({ [ENTERPRISE]: { employeeNumber: '701', manager: { value: 'boss-2' } } }),
    ],
  ];
}

function groupPatches(): Case[] {
  return [
    ['add one member', [{ op: 'add', path: 'members', value: [{ value: carol }] }], groupWith({ members: [{ value: alice }, { value: bob }, { value: carol }] })],
    ['add a single member object', [{ op: 'add', path: 'members', value: { value: carol } }], groupWith({ members: [{ value: alice }, { value: bob }, { value: carol }] })],
    ['add a member already there changes nothing', [{ op: 'add', path: 'members', value: [{ value: alice, display: 'Alice' }] }], group()],
    [
      'add members keeps only their value (display, $ref and type are not stored)',
      [{ op: 'add', path: 'members', value: [{ value: carol, display: 'Carol', $ref: `https://x/Users/${carol}`, type: 'User' }] }],
      groupWith({ members: [{ value: alice }, { value: bob }, { value: carol }] }),
    ],
    ['remove a member by value filter', [{ op: 'remove', path: `members[value eq "${alice}"]` }], groupWith({ members: [{ value: bob }] })],
    ['remove a non-member succeeds and changes nothing', [{ op: 'remove', path: `members[value eq "${carol}"]` }], group()],
    [
      'remove with a value array removes exactly those members, never all (Entra)',
      [{ op: 'remove', path: 'members', value: [{ value: alice }, { value: carol }] }],
      groupWith({ members: [{ value: bob }] }),
    ],
    ['remove with a single listed member', [{ op: 'remove', path: 'members', value: { value: bob } }], groupWith({ members: [{ value: alice }] })],
    ['remove members without a value removes all (RFC 7644 §3.5.2.2)', [{ op: 'remove', path: 'members' }], groupWith({ members: [] })],
    ['replace members replaces the roster', [{ op: 'replace', path: 'members', value: [{ value: carol }] }], groupWith({ members: [{ value: carol }] })],
    ['replace members with [] clears the roster', [{ op: 'replace', path: 'members', value: [] }], groupWith({ members: [] })],
    ['replace displayName', [{ op: 'replace', path: 'displayName', value: 'Platform' }], groupWith({ displayName: 'Platform' })],
    ['replace externalId', [{ op: 'replace', path: 'externalId', value: 'ext-2' }], groupWith({ externalId: 'ext-2' })],
    ['remove externalId', [{ op: 'remove', path: 'externalId' }], groupWith({ externalId: undefined })],
    [
      'a path-less replace of displayName and members',
      [{ op: 'replace', value: { displayName: 'Platform', members: [{ value: carol }] } }],
      groupWith({ displayName: 'Platform', members: [{ value: carol }] }),
    ],
    ['remove displayName is left to the decider to reject', [{ op: 'remove', path: 'displayName' }], groupWith({ displayName: undefined })],
  ];
}

function groupRejections(): Rejection[] {
  return [
    ['changing a member value (immutable)', [{ op: 'replace', path: `members[value eq "${alice}"].value`, value: carol }], 400, 'mutability', /is immutable and already set/],
    ['writing a member display (read-only)', [{ op: 'replace', path: `members[value eq "${alice}"].display`, value: 'A' }], 400, 'mutability', /display' is read-only/],
    ['a member without a value', [{ op: 'add', path: 'members', value: [{ display: 'Carol' }] }], 400, 'invalidValue', /needs a string value/],
    ['a member that is a group', [{ op: 'add', path: 'members', value: [{ value: carol, type: 'Group' }] }], 400, 'invalidValue', /only users can be members/],
    ['replacing the type of a non-member with Group', [{ op: 'replace', path: `members[value eq "${carol}"].type`, value: 'Group' }], 400, 'invalidValue', /only users can be members/],
    ['replacing the display of a non-member', [{ op: 'replace', path: `members[value eq "${carol}"].display`, value: 'Carol' }], 400, 'mutability', /display' is read-only/],
    ['replacing the type of a non-member (RFC 7644 §3.5.2.3)', [{ op: 'replace', path: `members[value eq "${carol}"].type`, value: 'User' }], 400, 'noTarget', /matches no value/],
    ['setting a member\'s type to Group', [{ op: 'replace', path: `members[value eq "${alice}"].type`, value: 'Group' }], 400, 'invalidValue', /only users can be members/],
    ['adding a non-member of type Group through a filter', [{ op: 'add', path: `members[value eq "${carol}"].type`, value: 'Group' }], 400, 'invalidValue', /only users can be members/],
    ['a member id that is not a string', [{ op: 'add', path: 'members', value: [{ value: 7 }] }], 400, 'invalidValue', /'members.value' must be a string/],
    ['a user attribute', [{ op: 'replace', path: 'userName', value: 'x' }], 400, 'invalidPath', /unknown attribute 'userName' for resource type Group/],
    ['the enterprise extension', [{ op: 'replace', path: `${ENTERPRISE}:department`, value: 'x' }], 400, 'invalidPath', /unknown attribute/],
    ['a displayName that is not a string', [{ op: 'replace', value: { displayName: ['x'] } }], 400, 'invalidValue', /'displayName' must be a string; got an array/],
  ];
}

function entraGroupRequests(): EntraCase[] {
  return [
    [
      'Add members with "$ref": null',
      patchOp({ op: 'Add', path: 'members', value: [{ value: carol, $ref: null }] }),
      groupWith({ members: [{ value: alice }, { value: bob }, { value: carol }] }),
    ],
    ['Remove members listed in a value array', patchOp({ op: 'Remove', path: 'members', value: [{ value: alice }] }), groupWith({ members: [{ value: bob }] })],
    [
      'Replace displayName and externalId, path-less',
      patchOp({ op: 'Replace', value: { displayName: 'Platform', externalId: 'ext-9' } }),
      groupWith({ displayName: 'Platform', externalId: 'ext-9' }),
    ],
  ];
}

function patchOp(...operations: Record<string, unknown>[]): unknown {
  return { schemas: ['urn:ietf:params:scim:api:messages:2.0:PatchOp'], Operations: operations };
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

const RFC_SCIM_TYPES = ['invalidFilter', 'tooMany', 'uniqueness', 'mutability', 'invalidSyntax', 'invalidPath', 'noTarget', 'invalidValue', 'invalidVers', 'sensitive'];

/** A SCIM error a client may be sent: 400 with an RFC 7644 §3.12 scimType, or 404/409/413. */
export function expectScimError(error: unknown): void {
  if (!(error instanceof ScimError)) throw error;
  expect([400, 404, 409, 413]).toContain(error.status);
  if (error.status === 400) expect(RFC_SCIM_TYPES).toContain(error.scimType);
  expect(error.detail.length).toBeGreaterThan(0);
}

// ---------------------------------------------------------------------------------------------
// Generators

type ResourceType = 'User' | 'Group';

const USER_PATHS = [
  'active',
  'userName',
  'displayName',
  'externalId',
  'title',
  'nickName',
  'name',
  'name.givenName',
  'Name.FamilyName',
  'emails',
  'emails.value',
  'emails.primary',
  'emails[type eq "work"]',
  'emails[type eq "work"].value',
  'emails[type eq "work"].primary',
  'emails[type eq "work" and primary eq true].value',
  'emails[value co "@"]',
  'emails[not (type eq "home")].display',
  'emails[primary eq "True"]',
  'emails[type pr or value sw "j"]',
  'phoneNumbers[type eq "mobile"].value',
  'addresses[type eq "work"].streetAddress',
  'x509Certificates',
  'roles',
  'groups',
  'groups[value eq "g"]',
  'meta.lastModified',
  'password',
  ENTERPRISE,
  `${ENTERPRISE}:employeeNumber`,
  `${ENTERPRISE}:manager`,
  `${ENTERPRISE}:manager.value`,
  `${ENTERPRISE}:manager.displayName`,
  `${CORE}:userName`,
  'emails[type gt "a"]',
  'emails[unknown eq 1]',
  'name[givenName eq "x"]',
];

const GROUP_PATHS = [
  'displayName',
  'DISPLAYNAME',
  'externalId',
  'members',
  'Members',
  `members[value eq "${alice}"]`,
  `members[value eq "${bob}"]`,
  `members[value eq "${alice}"].value`,
  'members[value sw "6b1f"]',
  'members[display eq "x"].value',
  'members[type eq "User"]',
  'members.value',
  'urn:ietf:params:scim:schemas:core:2.0:Group:displayName',
];

const SHARED_PATHS = ['id', 'meta', 'schemas', 'userName', 'members'];

function pathsOf(resourceType: ResourceType): string[] {
  return [...(resourceType === 'User' ? USER_PATHS : GROUP_PATHS), ...SHARED_PATHS];
}

function anyText(): fc.Arbitrary<string> {
  return fc.oneof(
    { weight: 2, arbitrary: fc.constantFrom('True', 'False', 'true', 'TRUE', '', alice, bob, carol, 'work', 'home', 'a@example.com') },
    { weight: 1, arbitrary: fc.string() },
    { weight: 1, arbitrary: fc.string({ unit: 'binary' }) },
  );
}

/** A value of a multi-valued attribute: an email, a member, or something close. */
function element(): fc.Arbitrary<Record<string, unknown>> {
  const scalar = fc.oneof(anyText(), fc.boolean(), fc.constant(null), fc.integer());
  return fc.oneof(
    fc.record({ value: anyText(), type: fc.constantFrom('work', 'home', 'User', 'Group'), primary: fc.oneof(fc.boolean(), anyText()) }, { requiredKeys: ['value'] }),
    fc.record({ value: fc.constantFrom(alice, bob, carol), $ref: fc.constant(null), display: anyText(), type: fc.constant('User') }, { requiredKeys: ['value'] }),
    fc.dictionary(fc.constantFrom('value', 'type', 'primary', 'display', '$ref', 'Value', 'colour'), scalar, { maxKeys: 5 }),
  );
}

/** Mostly values an attribute in the vocabulary could take; sometimes any JSON at all. */
function anyValue(resourceType: ResourceType): fc.Arbitrary<unknown> {
  return fc.oneof(
    { weight: 3, arbitrary: anyText() },
    { weight: 2, arbitrary: fc.boolean() },
    { weight: 1, arbitrary: fc.constant(null) },
    { weight: 3, arbitrary: element() },
    { weight: 3, arbitrary: fc.array(element(), { maxLength: 4 }) },
    { weight: 3, arbitrary: pathlessValue(resourceType) },
    { weight: 1, arbitrary: fc.jsonValue({ maxDepth: 3 }) },
  );
}

function pathlessValue(resourceType: ResourceType): fc.Arbitrary<Record<string, unknown>> {
  const keys = [...pathsOf(resourceType), 'value', 'type', 'primary', 'givenName', 'department', '__proto__', 'constructor'];
  const plausible = fc.oneof(anyText(), fc.boolean(), element(), fc.array(element(), { maxLength: 3 }), fc.dictionary(fc.constantFrom(...keys), anyText(), { maxKeys: 2 }));
  return fc.dictionary(fc.constantFrom(...keys), plausible, { maxKeys: 3 });
}

function anyPath(resourceType: ResourceType): fc.Arbitrary<unknown> {
  return fc.oneof(
    { weight: 12, arbitrary: fc.constantFrom(...pathsOf(resourceType)) },
    { weight: 2, arbitrary: anyText() },
    { weight: 1, arbitrary: fc.jsonValue({ maxDepth: 1 }) },
  );
}

function opName(): fc.Arbitrary<unknown> {
  return fc.oneof(
    { weight: 16, arbitrary: fc.constantFrom('add', 'Add', 'ADD', 'replace', 'Replace', 'rEpLaCe', 'remove', 'Remove', 'REMOVE') },
    { weight: 1, arbitrary: fc.constantFrom('move', 'copy', 'test', '', ' add') },
    { weight: 1, arbitrary: fc.oneof(anyText(), fc.integer(), fc.constant(null)) },
  );
}

function operation(resourceType: ResourceType): fc.Arbitrary<unknown> {
  const value = anyValue(resourceType);
  return fc.oneof(
    { weight: 24, arbitrary: fc.record({ op: opName(), path: fc.constantFrom(...pathsOf(resourceType)), value }) },
    { weight: 8, arbitrary: fc.record({ op: fc.constantFrom('add', 'Replace'), value: pathlessValue(resourceType) }) },
    { weight: 4, arbitrary: fc.record({ op: opName(), path: anyPath(resourceType), value }, { requiredKeys: ['op'] }) },
    { weight: 1, arbitrary: fc.record({ Op: opName(), Path: anyPath(resourceType), VALUE: value }, { requiredKeys: [] }) },
    { weight: 1, arbitrary: fc.jsonValue({ maxDepth: 2 }) },
  );
}

/** Mostly well-formed envelopes of a few operations (so that applyPatch is reached), sometimes anything. */
function patchBody(resourceType: ResourceType): fc.Arbitrary<unknown> {
  const schemas = fc.oneof(
    { weight: 12, arbitrary: fc.constant(['urn:ietf:params:scim:api:messages:2.0:PatchOp']) },
    { weight: 1, arbitrary: fc.constant(['URN:IETF:PARAMS:SCIM:API:MESSAGES:2.0:PATCHOP']) },
    { weight: 1, arbitrary: fc.constant(['urn:ietf:params:scim:schemas:core:2.0:User']) },
    { weight: 1, arbitrary: fc.jsonValue({ maxDepth: 1 }) },
  );
  const operations = fc.oneof(
    { weight: 20, arbitrary: fc.array(operation(resourceType), { minLength: 1, maxLength: 3 }) },
    { weight: 3, arbitrary: fc.array(operation(resourceType), { maxLength: 8 }) },
    { weight: 1, arbitrary: fc.array(operation(resourceType), { minLength: 95, maxLength: 120 }) },
    { weight: 1, arbitrary: fc.jsonValue({ maxDepth: 1 }) },
  );
  return fc.oneof(
    { weight: 12, arbitrary: fc.record({ schemas, Operations: operations }) },
    { weight: 4, arbitrary: fc.record({ Operations: operations }) },
    { weight: 1, arbitrary: fc.record({ operations }) },
    { weight: 1, arbitrary: fc.jsonValue({ maxDepth: 2 }) },
  );
}

function rawOperation(): fc.Arbitrary<PatchOperation> {
  return fc.record(
    {
      op: fc.constantFrom<PatchOperation['op']>('add', 'replace', 'remove'),
      path: fc.oneof(fc.constantFrom(...pathsOf('User'), ...pathsOf('Group')), anyText()),
      value: anyValue('User') as fc.Arbitrary<PatchOperation['value']>,
    },
    { requiredKeys: ['op'] },
  );
}

function emailOperation(): fc.Arbitrary<PatchOperation> {
  const email = fc.record(
    { value: fc.constantFrom('a@x.y', 'b@x.y', 'jdoe@example.com'), type: fc.constantFrom('work', 'home'), primary: fc.boolean() },
    { requiredKeys: ['value'] },
  );
  return fc.oneof(
    fc.record({ op: fc.constantFrom<'add' | 'replace'>('add', 'replace'), path: fc.constant('emails'), value: fc.oneof(email, fc.array(email, { maxLength: 3 })) }),
    fc.record({
      op: fc.constantFrom<'add' | 'replace'>('add', 'replace'),
      path: fc.constantFrom('emails[type eq "work"].primary', 'emails[type eq "home"].primary', 'emails[value eq "a@x.y"].primary'),
      value: fc.boolean(),
    }),
    fc.record({ op: fc.constant<'remove'>('remove'), path: fc.constantFrom('emails[primary eq true]', 'emails[type eq "home"]') }),
  ) as fc.Arbitrary<PatchOperation>;
}
