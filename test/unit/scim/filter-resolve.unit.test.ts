import fc from 'fast-check';
import { ScimError } from '../../../shared/scim/errors';
import {
  COMPARE_OPERATORS,
  parseFilter,
  printValue,
  resolveFilter,
  type ResolvedCompareFilter,
  type ResolvedFilter,
  type ResolvedValuePathFilter,
} from '../../../shared/scim/filter';
import { ENTERPRISE_USER_SCHEMA_ID, GROUP_SCHEMA_ID, USER_SCHEMA_ID, type ResourceTypeId } from '../../../shared/scim/schemas';

describe('resolveFilter', () => {
  describe('when the paths name known attributes', () => {
    it('annotates a comparison with its definitions', () => {
      const resolved = resolve('User', 'USERNAME eq "Bjensen"') as ResolvedCompareFilter;
      expect(resolved).toEqual({
        kind: 'compare',
        path: { attribute: 'USERNAME' },
        op: 'eq',
        value: 'Bjensen',
        target: {
          schemaId: USER_SCHEMA_ID,
          isExtension: false,
          attribute: expect.objectContaining({ name: 'userName' }),
          type: 'string',
          caseExact: false,
          multiValued: false,
        },
      });
    });

    it.each([
      ['User', 'userName eq "x"', { type: 'string', caseExact: false, multiValued: false }],
      ['User', 'displayName eq "x"', { type: 'string', caseExact: false }],
      ['User', 'externalId eq "x"', { type: 'string', caseExact: true }],
      ['User', 'id eq "x"', { type: 'string', caseExact: true }],
      ['User', 'name.givenName eq "x"', { type: 'string', caseExact: false, multiValued: false }],
      ['User', 'title co "x"', { type: 'string', caseExact: false }],
      ['User', 'emails.value eq "x"', { type: 'string', caseExact: false, multiValued: true }],
      ['User', 'emails.primary eq true', { type: 'boolean', multiValued: true }],
      ['User', 'groups.value eq "x"', { type: 'string', caseExact: true, multiValued: true }],
      ['User', 'groups.display eq "x"', { type: 'string', caseExact: false }],
      ['User', 'active eq true', { type: 'boolean' }],
      ['User', 'meta.created gt "2024-01-01T00:00:00Z"', { type: 'dateTime', schemaId: USER_SCHEMA_ID }],
      ['User', `${ENTERPRISE_USER_SCHEMA_ID}:employeeNumber eq "1"`, { schemaId: ENTERPRISE_USER_SCHEMA_ID, isExtension: true, caseExact: false }],
      ['User', `${ENTERPRISE_USER_SCHEMA_ID}:manager.value eq "1"`, { isExtension: true, type: 'string', caseExact: false }],
      ['User', `${USER_SCHEMA_ID.toUpperCase()}:NAME.FAMILYNAME eq "x"`, { schemaId: USER_SCHEMA_ID, isExtension: false }],
      ['Group', 'displayName eq "x"', { schemaId: GROUP_SCHEMA_ID, type: 'string', caseExact: false }],
      ['Group', 'members.value eq "x"', { type: 'string', caseExact: true, multiValued: true }],
      ['Group', 'members.display eq "x"', { caseExact: false }],
      ['Group', 'externalId eq "x"', { caseExact: true }],
    ] as const)('%s: %s compares %j', (resourceType, text, expected) => {
      expect((resolve(resourceType, text) as ResolvedCompareFilter).target).toMatchObject(expected);
    });

    it('resolves every node of a combined filter', () => {
      const resolved = resolve('User', 'userName eq "a" and not (active eq false or title pr)');
      expect(resolved).toMatchObject({
        kind: 'and',
        left: { kind: 'compare', target: { attribute: { name: 'userName' } } },
        right: {
          kind: 'not',
          filter: {
            kind: 'or',
            left: { kind: 'compare', value: false, target: { type: 'boolean' } },
            right: { kind: 'present', target: { attribute: { name: 'title' } } },
          },
        },
      });
    });
  });

  describe('when a multi-valued attribute is compared without a sub-attribute', () => {
    it('compares its value sub-attribute', () => {
      expect((resolve('User', 'emails eq "a@b.c"') as ResolvedCompareFilter).target).toMatchObject({
        attribute: { name: 'emails' },
        subAttribute: { name: 'value' },
        type: 'string',
        caseExact: false,
        multiValued: true,
      });
      expect((resolve('Group', 'members eq "id"') as ResolvedCompareFilter).target).toMatchObject({
        subAttribute: { name: 'value' },
        caseExact: true,
      });
    });

    it('orders by its value sub-attribute too (RFC 7643 §2.4)', () => {
      expect((resolve('User', 'emails gt "m"') as ResolvedCompareFilter).target.subAttribute?.name).toBe('value');
    });

    it('tests the attribute itself for presence', () => {
      const resolved = resolve('User', 'emails pr');
      expect(resolved).toMatchObject({ kind: 'present', target: { attribute: { name: 'emails' }, type: 'complex', multiValued: true } });
      expect((resolved as { target: object }).target).not.toHaveProperty('subAttribute');
    });

    it('rejects one that has no value sub-attribute', () => {
      expectInvalidFilter('User', 'addresses eq "x"', /'addresses' is a complex attribute; compare one of its sub-attributes/);
    });
  });

  describe('when a path names nothing', () => {
    it.each([
      ['User', 'nope eq "x"', /^unknown attribute 'nope' for resource type User$/],
      ['User', 'name.nope eq "x"', /^unknown attribute 'name.nope' for resource type User$/],
      ['User', 'userName.value eq "x"', /^unknown attribute 'userName.value'/],
      ['User', 'employeeNumber eq "1"', /^unknown attribute 'employeeNumber'/],
      ['User', 'urn:example:ext:employeeNumber eq "1"', /^unknown attribute 'urn:example:ext:employeeNumber'/],
      ['User', `${ENTERPRISE_USER_SCHEMA_ID}:userName eq "x"`, /^unknown attribute 'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:userName'/],
      ['User', 'members pr', /^unknown attribute 'members' for resource type User$/],
      ['Group', 'userName eq "x"', /^unknown attribute 'userName' for resource type Group$/],
      ['Group', `${ENTERPRISE_USER_SCHEMA_ID}:employeeNumber pr`, /^unknown attribute/],
      ['User', 'title pr and (nickName pr or bogus eq 1)', /^unknown attribute 'bogus'/],
      ['User', 'emails[bogus eq "x"]', /^unknown sub-attribute 'bogus' of 'emails'$/],
      ['User', 'bogus[value eq "x"]', /^unknown attribute 'bogus'/],
    ] as const)('%s: rejects %s, naming it', (resourceType, text, detail) => {
      expectInvalidFilter(resourceType, text, detail);
    });
  });

  describe('when an operator does not fit the attribute type', () => {
    it.each(['gt', 'ge', 'lt', 'le'])('rejects %s on a boolean', (op) => {
      expectInvalidFilter('User', `active ${op} true`, new RegExp(`^'${op}' cannot compare boolean attribute 'active'$`));
      expectInvalidFilter('User', `emails[primary ${op} true]`, /cannot compare boolean attribute 'emails.primary'/);
    });

    it.each(['gt', 'eq', 'co'])('rejects %s on a single-valued complex attribute', (op) => {
      expectInvalidFilter('User', `name ${op} "x"`, /^'name' is a complex attribute; compare one of its sub-attributes \(formatted, familyName/);
      expectInvalidFilter('User', `meta ${op} "x"`, /^'meta' is a complex attribute/);
      expectInvalidFilter('User', `${ENTERPRISE_USER_SCHEMA_ID}:manager ${op} "x"`, /manager' is a complex attribute/);
    });

    it('rejects ordering a binary attribute', () => {
      expectInvalidFilter('User', 'x509Certificates.value gt "x"', /^'gt' cannot compare binary attribute 'x509Certificates.value'$/);
    });

    it.each(['co', 'sw', 'ew'])('rejects %s on a non-string attribute', (op) => {
      expectInvalidFilter('User', `active ${op} "true"`, new RegExp(`^'${op}' needs a string attribute; 'active' is boolean$`));
      expectInvalidFilter('User', `meta.created ${op} "2024"`, /'meta.created' is dateTime$/);
      expectInvalidFilter('User', `x509Certificates.value ${op} "x"`, /is binary$/);
    });

    it.each(['co', 'sw', 'ew'])('accepts %s on string and reference attributes', (op) => {
      expect(() => resolve('User', `title ${op} "x"`)).not.toThrow();
      expect(() => resolve('User', `profileUrl ${op} "https://"`)).not.toThrow();
    });

    it.each(['gt', 'ge', 'lt', 'le'])('accepts %s on strings and dateTimes', (op) => {
      expect(() => resolve('User', `userName ${op} "m"`)).not.toThrow();
      expect(() => resolve('User', `meta.lastModified ${op} "2024-01-01T00:00:00Z"`)).not.toThrow();
    });
  });

  describe('when a value does not fit the attribute type', () => {
    it.each([
      ['active eq "yes"', /^'active' is boolean: expected true or false, got "yes"$/],
      ['active eq 1', /^'active' is boolean: expected true or false, got 1$/],
      ['emails[primary eq "y"]', /^'emails.primary' is boolean/],
      ['userName eq 1.5', /^'userName' is string: expected a quoted string, got 1.5$/],
      ['userName eq 1e300', /^'userName' is string/],
      ['userName eq null', /^'userName' cannot be compared with null; test presence with 'pr' instead$/],
      ['meta.created gt "yesterday"', /^'meta.created' is dateTime: expected an ISO 8601 date-time/],
      ['meta.created gt "2021-02-30T00:00:00Z"', /^'meta.created' is dateTime/],
      ['meta.created gt "2021-01-01T24:00:00Z"', /^'meta.created' is dateTime/],
      ['meta.created gt "2021-13-01"', /^'meta.created' is dateTime/],
      ['meta.created gt 1700000000', /^'meta.created' is dateTime/],
      ['meta.created gt true', /^'meta.created' is dateTime/],
    ])('rejects %s', (text, detail) => {
      expectInvalidFilter('User', text, detail);
    });

    // ISO 8601 text, Postgres's timestamptz input and the API's rendering agree on years 0001 to 9999 only.
    it.each([
      ['meta.created gt "0000-01-01"', '"0000-01-01"'],
      ['meta.lastModified lt "0000-12-31T23:59:59Z"', '"0000-12-31T23:59:59Z"'],
      ['meta.created lt "0001-01-01T00:30:00+01:00"', '"0001-01-01T00:30:00+01:00"'],
      ['meta.created gt "9999-12-31T23:30:00-01:00"', '"9999-12-31T23:30:00-01:00"'],
      ['meta.created gt "9999-12-31T23:59:59-23:59"', '"9999-12-31T23:59:59-23:59"'],
    ])('rejects %s: a date-time outside the years 0001 to 9999', (text, value) => {
      expectInvalidFilter('User', text, new RegExp(`^'meta\\.(created|lastModified)': ${value.replace(/[+]/g, '\\+')} is outside the date-times the service holds \\(years 0001 to 9999, UTC\\)$`));
      expectInvalidFilter('Group', text, /is outside the date-times the service holds/);
    });

    it.each([
      ['meta.created gt "0001-01-01"', '0001-01-01T00:00:00.000Z'],
      ['meta.created lt "9999-12-31T23:59:59.999Z"', '9999-12-31T23:59:59.999Z'],
      ['meta.created lt "9999-12-31T23:59:59+05:00"', '9999-12-31T18:59:59.000Z'],
    ])('accepts %s at the edge of the range', (text, value) => {
      expect(firstComparison(resolve('User', text)).value).toBe(value);
    });

    it.each([
      ['active eq true', true],
      ['active eq false', false],
      ['active eq "True"', true],
      ['active eq "FALSE"', false],
      ['active eq True', true],
      ['emails[primary eq "true"]', true],
      ['externalId eq abc', 'abc'],
      ['externalId eq 1234', '1234'],
      ['userName eq true', 'true'],
      ['meta.created ge "2024-01-31T09:30:00Z"', '2024-01-31T09:30:00.000Z'],
      ['meta.created ge "2024-01-31T09:30:00.123456z"', '2024-01-31T09:30:00.123Z'],
      ['meta.created ge "2024-01-31T09:30:00.5Z"', '2024-01-31T09:30:00.500Z'],
      ['meta.created ge "2024-01-31T09:30:00+02:00"', '2024-01-31T07:30:00.000Z'],
      ['meta.created ge "2024-01-31T01:30-0230"', '2024-01-31T04:00:00.000Z'],
      ['meta.created ge "2024-02-29"', '2024-02-29T00:00:00.000Z'],
      ['meta.created ge "2024-01-31T09:30:00"', '2024-01-31T09:30:00.000Z'],
    ])('converts the value of %s to %j', (text, value) => {
      expect(firstComparison(resolve('User', text)).value).toBe(value);
    });
  });

  describe('when the filter has a value path', () => {
    it('resolves the inner paths as sub-attributes of the multi-valued attribute', () => {
      const resolved = resolve('User', 'EMAILS[TYPE eq "work" and value co "@example.com"]') as ResolvedValuePathFilter;
      expect(resolved).toMatchObject({
        kind: 'valuePath',
        path: { attribute: 'EMAILS' },
        target: { schemaId: USER_SCHEMA_ID, attribute: { name: 'emails' }, type: 'complex', multiValued: true },
        filter: {
          kind: 'and',
          left: { path: { attribute: 'TYPE' }, target: { attribute: { name: 'emails' }, subAttribute: { name: 'type' }, caseExact: false } },
          right: { op: 'co', target: { attribute: { name: 'emails' }, subAttribute: { name: 'value' }, type: 'string' } },
        },
      });
      expect(resolved.target).not.toHaveProperty('subAttribute');
    });

    it('resolves the platform form emails[...].value eq as one condition on one email', () => {
      expect(resolve('User', 'emails[type eq "work"].value eq "a@b.c"')).toMatchObject({
        kind: 'valuePath',
        filter: { kind: 'and', right: { kind: 'compare', value: 'a@b.c', target: { subAttribute: { name: 'value' } } } },
      });
    });

    it('resolves group members case-exactly', () => {
      expect(resolve('Group', 'members[value eq "ABC"]')).toMatchObject({
        filter: { target: { schemaId: GROUP_SCHEMA_ID, subAttribute: { name: 'value' }, caseExact: true } },
      });
    });

    it('resolves a value path on an extension attribute', () => {
      expect(resolve('User', `${ENTERPRISE_USER_SCHEMA_ID}:manager[value eq "1"]`)).toMatchObject({
        target: { isExtension: true, attribute: { name: 'manager' } },
        filter: { target: { isExtension: true, subAttribute: { name: 'value' } } },
      });
    });

    it.each([
      ['userName[value eq "x"]', /^'userName' is not a complex attribute; only complex attributes take a value filter/],
      ['active[value eq "x"]', /^'active' is not a complex attribute/],
      ['emails[emails.value eq "x"]', /^'emails.value' inside 'emails\[...\]' must be a sub-attribute name of 'emails'$/],
      [`emails[${USER_SCHEMA_ID}:type eq "x"]`, /inside 'emails\[...\]' must be a sub-attribute name/],
      ['emails[type gt 1.5]', /^'emails.type' is string: expected a quoted string, got 1.5$/],
      ['emails[type co false or value eq 2.5]', /^'emails.value' is string/],
    ])('rejects %s', (text, detail) => {
      expectInvalidFilter('User', text, detail);
    });

    it('rejects a hand-built nested value path', () => {
      const nested = {
        kind: 'valuePath',
        path: { attribute: 'emails' },
        filter: { kind: 'valuePath', path: { attribute: 'emails' }, filter: { kind: 'present', path: { attribute: 'type' } } },
      } as const;
      expect(thrownBy(() => resolveFilter(nested, 'User'))).toMatchObject({ scimType: 'invalidFilter', detail: expect.stringMatching(/cannot be nested/) });
    });
  });

  describe('when the filter names a never-returned attribute', () => {
    it.each(['password eq "secret"', 'password sw "a"', 'password pr'])('rejects %s', (text) => {
      expectInvalidFilter('User', text, /^attribute 'password' cannot be used in a filter$/);
    });
  });

  it('either resolves a parsed filter or rejects it with 400 invalidFilter, never another error', () => {
    fc.assert(
      fc.property(schemaFilterText(), fc.constantFrom<ResourceTypeId>('User', 'Group'), (text, resourceType) => {
        try {
          resolveFilter(parseFilter(text), resourceType);
        } catch (error) {
          expect(error).toBeInstanceOf(ScimError);
          expect(error).toMatchObject({ status: 400, scimType: 'invalidFilter' });
        }
      }),
      { numRuns: 3_000 },
    );
  });
});

// ---------------------------------------------------------------------------------------------
// Test data

function resolve(resourceType: ResourceTypeId, text: string): ResolvedFilter {
  return resolveFilter(parseFilter(text), resourceType);
}

function expectInvalidFilter(resourceType: ResourceTypeId, text: string, detail: RegExp): void {
  const error = thrownBy(() => resolve(resourceType, text));
  expect(error).toBeInstanceOf(ScimError);
  expect(error).toMatchObject({ status: 400, scimType: 'invalidFilter' });
  expect((error as ScimError).detail).toMatch(detail);
}

function firstComparison(filter: ResolvedFilter): ResolvedCompareFilter {
  switch (filter.kind) {
    case 'compare':
      return filter;
    case 'present':
      throw new Error('no comparison');
    case 'and':
    case 'or':
      return firstComparison(filter.left);
    case 'not':
    case 'valuePath':
      return firstComparison(filter.filter);
  }
}

/** Filters over the real attribute names, with every operator and kind of value: many type errors. */
function schemaFilterText(): fc.Arbitrary<string> {
  const name = fc.constantFrom(
    'userName', 'USERNAME', 'id', 'externalId', 'active', 'title', 'displayName', 'password', 'emails', 'emails.value',
    'emails.primary', 'name', 'name.givenName', 'meta', 'meta.created', 'meta.lastModified', 'groups', 'groups.value',
    'members', 'members.value', 'addresses', 'x509Certificates.value', 'profileUrl', 'bogus', 'name.bogus',
    `${ENTERPRISE_USER_SCHEMA_ID}:manager.value`, `${ENTERPRISE_USER_SCHEMA_ID}:employeeNumber`, `${USER_SCHEMA_ID}:userName`,
  );
  const sub = fc.constantFrom('value', 'type', 'primary', 'display', '$ref', 'bogus', 'emails.value');
  const value = fc.oneof(
    fc.constantFrom('"x"', '"True"', '"2024-01-01T00:00:00Z"', '"2024-02-30"', 'abc', 'null', 'true', '1', '1.5', '-0', '1e300'),
    fc.oneof(fc.string(), fc.double({ noNaN: true, noDefaultInfinity: true }), fc.boolean()).map(printValue),
  );
  const condition = (path: fc.Arbitrary<string>) =>
    fc.oneof(
      fc.tuple(path, fc.constantFrom(...COMPARE_OPERATORS), value).map(([p, op, v]) => `${p} ${op} ${v}`),
      path.map((p) => `${p} pr`),
    );
  const inner = fc.array(condition(sub), { minLength: 1, maxLength: 3 }).map((conditions) => conditions.join(' or '));
  const term = fc.oneof(
    condition(name),
    fc.tuple(name, inner).map(([p, f]) => `${p}[${f}]`),
    fc.tuple(name, inner, sub, value).map(([p, f, s, v]) => `${p}[${f}].${s} eq ${v}`),
  );
  return fc
    .array(fc.tuple(term, fc.constantFrom(' and ', ' or ', ' and not (')), { minLength: 1, maxLength: 4 })
    .map((terms) => {
      const opened = terms.filter(([, joiner]) => joiner.endsWith('(')).length - (terms.at(-1)?.[1].endsWith('(') ? 1 : 0);
      const text = terms.map(([t, joiner], index) => (index === terms.length - 1 ? t : `${t}${joiner}`)).join('');
      return text + ')'.repeat(opened);
    });
}

function thrownBy(action: () => unknown): unknown {
  try {
    action();
  } catch (error) {
    return error;
  }
  throw new Error('expected an error');
}
