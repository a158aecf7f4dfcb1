import fc from 'fast-check';
import { ScimError } from '../../../shared/scim/errors';
import type { PatchOperation } from '../../../shared/scim/patch/operation';
import { parsePatchRequest } from '../../../shared/scim/patch/parse-patch-request';
import { ENTERPRISE_USER_SCHEMA_ID as ENTERPRISE } from '../../../shared/scim/schemas';

// Table rows are built while the suite is collected: what they use must exist by then.
const PATCH_OP = 'urn:ietf:params:scim:api:messages:2.0:PatchOp';
const alice = '6b1f3c7e-0000-4000-8000-000000000001';

describe('parsePatchRequest', () => {
  describe('given what Entra ID sends', () => {
    it.each(entraRequests())('%s', (_name, resourceType, operation, expected) => {
      expect(parsePatchRequest(body(operation), resourceType)).toEqual([expected]);
    });
  });

  describe('given an envelope clients write differently', () => {
    it('accepts a body without schemas', () => {
      expect(parsePatchRequest({ Operations: [{ op: 'add', path: 'title', value: 'x' }] }, 'User')).toEqual([{ op: 'add', path: 'title', value: 'x' }]);
    });

    it('accepts the schema URN and the Operations key in any case', () => {
      const request = { SCHEMAS: [PATCH_OP.toUpperCase()], operations: [{ Op: 'Add', Path: 'title', VALUE: 'x' }] };
      expect(parsePatchRequest(request, 'User')).toEqual([{ op: 'add', path: 'title', value: 'x' }]);
    });

    it('treats an empty or null path as no path', () => {
      expect(parsePatchRequest(body({ op: 'replace', path: '', value: { title: 'x' } }, { op: 'replace', path: null, value: { title: 'y' } }), 'User')).toEqual([
        { op: 'replace', value: { title: 'x' } },
        { op: 'replace', value: { title: 'y' } },
      ]);
    });

    it('accepts exactly the maximum number of operations', () => {
      const operations = Array.from({ length: 100 }, () => ({ op: 'add', path: 'title', value: 'x' }));
      expect(parsePatchRequest(body(...operations), 'User')).toHaveLength(100);
    });

    it('keeps a value that is a JSON string holding an object as a string', () => {
      expect(parsePatchRequest(body({ op: 'add', path: 'name', value: '{"givenName":"x"}' }), 'User')).toEqual([
        { op: 'add', path: 'name', value: '{"givenName":"x"}' },
      ]);
    });

    it('does not mutate the body', () => {
      const request = deepFreeze(body({ op: 'Add', path: 'members', value: [{ value: alice, $ref: null }] }));
      expect(() => parsePatchRequest(request, 'Group')).not.toThrow();
    });
  });

  describe('when the request is malformed', () => {
    it.each(malformedRequests())('rejects %s', (_name, request, status, scimType, detail) => {
      expectError(() => parsePatchRequest(request, 'User'), status, scimType, detail);
    });

    it('rejects more operations than a configured limit', () => {
      const operations = Array.from({ length: 3 }, () => ({ op: 'add', path: 'title', value: 'x' }));
      expectError(() => parsePatchRequest(body(...operations), 'User', { maxOperations: 2 }), 400, 'tooMany', /at most 2 operations; this one has 3/);
    });

    it('rejects a path of the other resource type', () => {
      expectError(() => parsePatchRequest(body({ op: 'add', path: 'members', value: [] }), 'User'), 400, 'invalidPath', /^Operations\[0\]: unknown attribute 'members'/);
      expectError(() => parsePatchRequest(body({ op: 'add', path: 'userName', value: 'x' }), 'Group'), 400, 'invalidPath', /^Operations\[0\]: unknown attribute 'userName'/);
    });
  });

  describe('properties', () => {
    it('any body is parsed or rejected with a 400 SCIM error, and is never mutated', () => {
      fc.assert(
        fc.property(
          fc.oneof(fc.jsonValue(), fc.record({ schemas: fc.constant([PATCH_OP]), Operations: fc.array(fc.jsonValue({ maxDepth: 3 }), { maxLength: 5 }) })),
          fc.constantFrom<'User' | 'Group'>('User', 'Group'),
          (request, resourceType) => {
            const frozen = deepFreeze(request);
            try {
              const operations = parsePatchRequest(frozen, resourceType);
              for (const operation of operations) expect(['add', 'replace', 'remove']).toContain(operation.op);
            } catch (error) {
              if (!(error instanceof ScimError)) throw error;
              expect(error.status).toBe(400);
              expect(error.scimType).toBeDefined();
            }
          },
        ),
        { numRuns: 3_000 },
      );
    });
  });
});

// ---------------------------------------------------------------------------------------------
// Test data

function body(...operations: unknown[]): unknown {
  return { schemas: [PATCH_OP], Operations: operations };
}

function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null) {
    for (const item of Object.values(value)) deepFreeze(item);
    Object.freeze(value);
  }
  return value;
}

type EntraCase = [name: string, resourceType: 'User' | 'Group', operation: Record<string, unknown>, expected: PatchOperation];

function entraRequests(): EntraCase[] {
  return [
    ['Replace active "False"', 'User', { op: 'Replace', path: 'active', value: 'False' }, { op: 'replace', path: 'active', value: false }],
    ['Add active "True"', 'User', { op: 'Add', path: 'active', value: 'True' }, { op: 'add', path: 'active', value: true }],
    ['replace active false (aadOptscim062020)', 'User', { op: 'replace', path: 'active', value: false }, { op: 'replace', path: 'active', value: false }],
    [
      'a path-less Replace with dotted and URN keys, booleans as strings',
      'User',
      { op: 'Replace', value: { 'name.givenName': 'Jane', [`${ENTERPRISE}:employeeNumber`]: '701', active: 'false' } },
      { op: 'replace', value: { 'name.givenName': 'Jane', [`${ENTERPRISE}:employeeNumber`]: '701', active: false } },
    ],
    [
      'Add emails whose primary is "True"',
      'User',
      { op: 'Add', path: 'emails', value: [{ value: 'a@example.com', primary: 'True' }] },
      { op: 'add', path: 'emails', value: [{ value: 'a@example.com', primary: true }] },
    ],
    [
      'Replace emails[type eq "work"].primary "TRUE"',
      'User',
      { op: 'Replace', path: 'emails[type eq "work"].primary', value: 'TRUE' },
      { op: 'replace', path: 'emails[type eq "work"].primary', value: true },
    ],
    [
      'Replace emails[type eq "work"] with an object holding a string boolean',
      'User',
      { op: 'Replace', path: 'emails[type eq "work"]', value: { primary: 'false' } },
      { op: 'replace', path: 'emails[type eq "work"]', value: { primary: false } },
    ],
    [
      'a path-less Add of emails, its primary a string',
      'User',
      { op: 'Add', value: { emails: [{ value: 'a@example.com', primary: 'True' }] } },
      { op: 'add', value: { emails: [{ value: 'a@example.com', primary: true }] } },
    ],
    [
      'Add the manager as a bare id',
      'User',
      { op: 'Add', path: `${ENTERPRISE}:manager`, value: 'boss-1' },
      { op: 'add', path: `${ENTERPRISE}:manager`, value: { value: 'boss-1' } },
    ],
    [
      'a path-less Add of the extension with the manager as a bare id',
      'User',
      { op: 'Add', value: { [ENTERPRISE]: { manager: 'boss-1' } } },
      { op: 'add', value: { [ENTERPRISE]: { manager: { value: 'boss-1' } } } },
    ],
    ['a string attribute keeps "True" as text', 'User', { op: 'Replace', path: 'displayName', value: 'True' }, { op: 'replace', path: 'displayName', value: 'True' }],
    [
      'Add members with "$ref": null',
      'Group',
      { op: 'Add', path: 'members', value: [{ value: alice, $ref: null, display: null }] },
      { op: 'add', path: 'members', value: [{ value: alice }] },
    ],
    [
      'Remove members listed in a value array',
      'Group',
      { op: 'Remove', path: 'members', value: [{ value: alice, $ref: null }] },
      { op: 'remove', path: 'members', value: [{ value: alice }] },
    ],
    [
      'Remove a member by value filter',
      'Group',
      { op: 'Remove', path: `members[value eq "${alice}"]` },
      { op: 'remove', path: `members[value eq "${alice}"]` },
    ],
  ];
}

type Rejection = [name: string, request: unknown, status: number, scimType: string, detail: RegExp];

function malformedRequests(): Rejection[] {
  const add = { op: 'add', path: 'title', value: 'x' };
  return [
    ['a body that is not an object', [add], 400, 'invalidSyntax', /^a PatchOp request body must be a JSON object$/],
    ['schemas without the PatchOp URN', { schemas: ['urn:ietf:params:scim:schemas:core:2.0:User'], Operations: [add] }, 400, 'invalidSyntax', /schemas must hold 'urn:ietf:params:scim:api:messages:2.0:PatchOp'/],
    ['schemas that is not an array', { schemas: PATCH_OP, Operations: [add] }, 400, 'invalidSyntax', /schemas must be an array/],
    ['no Operations', { schemas: [PATCH_OP] }, 400, 'invalidSyntax', /^Operations is required$/],
    ['Operations that is not an array', { schemas: [PATCH_OP], Operations: add }, 400, 'invalidSyntax', /^Operations must be an array of operations$/],
    ['empty Operations', body(), 400, 'invalidSyntax', /^Operations must hold at least one operation$/],
    ['Operations given twice in different case', { Operations: [add], operations: [add] }, 400, 'invalidSyntax', /'operations' is given twice/],
    ['more than 100 operations (tooMany)', body(...Array.from({ length: 101 }, () => add)), 400, 'tooMany', /^a PatchOp holds at most 100 operations; this one has 101$/],
    ['an operation that is not an object', body(add, 'add'), 400, 'invalidSyntax', /^Operations\[1\]: an operation must be an object/],
    ['an unknown op, naming its index', body(add, add, { op: 'move', path: 'title' }), 400, 'invalidSyntax', /^Operations\[2\]: op must be add, replace or remove; got 'move'$/],
    ['a missing op', body({ path: 'title', value: 'x' }), 400, 'invalidSyntax', /^Operations\[0\]: op is required$/],
    ['an op that is not a string', body({ op: 1, path: 'title', value: 'x' }), 400, 'invalidSyntax', /^Operations\[0\]: op must be a string/],
    ['op given twice in different case', body({ op: 'add', Op: 'remove', path: 'title', value: 'x' }), 400, 'invalidSyntax', /^Operations\[0\]: 'op' is given twice$/],
    ['a path that is not a string', body({ op: 'add', path: 42, value: 'x' }), 400, 'invalidSyntax', /^Operations\[0\]: path must be a string$/],
    ['a malformed path (invalidPath)', body(add, { op: 'add', path: 'emails[type eq "work"', value: 'x' }), 400, 'invalidPath', /^Operations\[1\]: invalid path 'emails\[type eq "work"'/],
    ['an unknown attribute (invalidPath)', body({ op: 'add', path: 'shoeSize', value: '42' }), 400, 'invalidPath', /^Operations\[0\]: unknown attribute 'shoeSize' for resource type User$/],
    ['an unknown key in a path-less value (invalidPath)', body({ op: 'add', value: { shoeSize: '42' } }), 400, 'invalidPath', /^Operations\[0\]: unknown attribute 'shoeSize'/],
    ['a malformed key in a path-less value (invalidPath)', body({ op: 'add', value: { 'name..givenName': 'x' } }), 400, 'invalidPath', /^Operations\[0\]: invalid path 'name..givenName'/],
    ['a value filter the attribute cannot take (invalidPath)', body({ op: 'remove', path: 'emails[shade eq "x"]' }), 400, 'invalidPath', /unknown sub-attribute 'shade' of 'emails'/],
    ['add without a value', body({ op: 'Add', path: 'title' }), 400, 'invalidValue', /^Operations\[0\]: add needs a value$/],
    ['replace without a value', body({ op: 'replace', path: 'title' }), 400, 'invalidValue', /^Operations\[0\]: replace needs a value$/],
    ['remove without a path (noTarget)', body({ op: 'Remove', value: [{ value: alice }] }), 400, 'noTarget', /^Operations\[0\]: remove needs a path$/],
    ['a path-less add of a non-object', body({ op: 'add', value: ['title'] }), 400, 'invalidValue', /^Operations\[0\]: a path-less add needs an object value/],
  ];
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
