import fc from 'fast-check';
import { ScimError } from '../../../shared/scim/errors';
import type { FilterAst } from '../../../shared/scim/filter';
import { parsePatchPath, type PatchPath } from '../../../shared/scim/patch-path';
import { ENTERPRISE_USER_SCHEMA_ID, USER_SCHEMA_ID } from '../../../shared/scim/schemas';

describe('parsePatchPath', () => {
  describe('given a valid path', () => {
    it.each(validPaths())('parses %s', (text, expected) => {
      expect(parsePatchPath(text)).toEqual(expected);
    });
  });

  describe('given a malformed path', () => {
    it.each(malformedPaths())('rejects %j as invalidPath: %s', (text, detail) => {
      const error = thrownBy(() => parsePatchPath(text));
      expect(error).toBeInstanceOf(ScimError);
      expect(error).toMatchObject({ status: 400, scimType: 'invalidPath' });
      expect((error as ScimError).detail).toMatch(detail);
    });
  });

  it('names the path in the error', () => {
    expect(thrownBy(() => parsePatchPath('emails[type eq'))).toMatchObject({
      detail: "invalid path 'emails[type eq': expected a value after 'eq' at offset 14, found the end",
    });
  });

  it('rejects a path longer than the limit', () => {
    expect(thrownBy(() => parsePatchPath(`a${'b'.repeat(10_000)}`))).toMatchObject({ scimType: 'invalidPath' });
  });

  it('rejects a filter nested deeper than the limit', () => {
    const text = `emails[${'('.repeat(10)}type pr${')'.repeat(10)}]`;
    expect(thrownBy(() => parsePatchPath(text))).toMatchObject({ scimType: 'invalidPath', detail: expect.stringMatching(/nests deeper than 10 levels/) });
  });

  it('rejects a value in single quotes as invalidPath naming the quote (RFC 7644 §3.4.2.2)', () => {
    expect(thrownBy(() => parsePatchPath(`emails[type eq 'work'].value`))).toMatchObject({
      status: 400,
      scimType: 'invalidPath',
      detail: `invalid path 'emails[type eq 'work'].value': the value at offset 15 is in single quotes ('); RFC 7644 §3.4.2.2 values are JSON strings in double quotes: write it as "work"`,
    });
  });

  it('rejects a string literal Postgres cannot store as invalidPath, before a replace could create a value from it', () => {
    expect(thrownBy(() => parsePatchPath('emails[type eq "home" and display eq "\\udfff"].value'))).toMatchObject({
      status: 400,
      scimType: 'invalidPath',
      detail: `invalid path 'emails[type eq "home" and display eq "\\udfff"].value': the value at offset 37 holds U+0000 or an unpaired UTF-16 surrogate, which no attribute can store`,
    });
  });

  it('any text either parses or is rejected with 400 invalidPath, never another error', () => {
    fc.assert(
      fc.property(
        fc.oneof(
          fc.string(),
          fc.string({ unit: 'binary' }),
          pathLikeText(),
          mutated(fc.constantFrom(...validPaths().map(([text]) => text))),
        ),
        (text) => {
          try {
            parsePatchPath(text);
          } catch (error) {
            expect(error).toBeInstanceOf(ScimError);
            expect(error).toMatchObject({ status: 400, scimType: 'invalidPath' });
          }
        },
      ),
      { numRuns: 5_000 },
    );
  });
});

// ---------------------------------------------------------------------------------------------
// Test data

function validPaths(): [string, PatchPath][] {
  const enterprise = ENTERPRISE_USER_SCHEMA_ID;
  const typeIsWork: FilterAst = { kind: 'compare', path: { attribute: 'type' }, op: 'eq', value: 'work' };
  return [
    ['active', { attribute: 'active' }],
    ['userName', { attribute: 'userName' }],
    ['externalId', { attribute: 'externalId' }],
    ['DisplayName', { attribute: 'DisplayName' }],
    ['members', { attribute: 'members' }],
    ['name.givenName', { attribute: 'name', subAttribute: 'givenName' }],
    [' name.familyName ', { attribute: 'name', subAttribute: 'familyName' }],
    [`${enterprise}:employeeNumber`, { schema: enterprise, attribute: 'employeeNumber' }],
    [`${enterprise}:manager.value`, { schema: enterprise, attribute: 'manager', subAttribute: 'value' }],
    [`${enterprise}:manager`, { schema: enterprise, attribute: 'manager' }],
    [`${USER_SCHEMA_ID}:userName`, { schema: USER_SCHEMA_ID, attribute: 'userName' }],
    [`${USER_SCHEMA_ID}:name.givenName`, { schema: USER_SCHEMA_ID, attribute: 'name', subAttribute: 'givenName' }],
    [
      'members[value eq "2819c223-7f76-453a-919d-413861904646"]',
      {
        attribute: 'members',
        filter: { kind: 'compare', path: { attribute: 'value' }, op: 'eq', value: '2819c223-7f76-453a-919d-413861904646' },
      },
    ],
    ['members[value eq 2819c223]', { attribute: 'members', filter: { kind: 'compare', path: { attribute: 'value' }, op: 'eq', value: '2819c223' } }],
    ['emails[type eq "work"]', { attribute: 'emails', filter: typeIsWork }],
    ['emails[type eq "work"].value', { attribute: 'emails', filter: typeIsWork, filterSubAttribute: 'value' }],
    ['EMAILS[TYPE EQ "work"].VALUE', { attribute: 'EMAILS', filter: { ...typeIsWork, path: { attribute: 'TYPE' } }, filterSubAttribute: 'VALUE' }],
    [
      'emails[type eq "work" and primary eq true].display',
      {
        attribute: 'emails',
        filter: {
          kind: 'and',
          left: typeIsWork,
          right: { kind: 'compare', path: { attribute: 'primary' }, op: 'eq', value: true },
        },
        filterSubAttribute: 'display',
      },
    ],
    ['addresses[type eq "work"].streetAddress', { attribute: 'addresses', filter: typeIsWork, filterSubAttribute: 'streetAddress' }],
    ['emails[not (type pr)]', { attribute: 'emails', filter: { kind: 'not', filter: { kind: 'present', path: { attribute: 'type' } } } }],
    [`${enterprise}:manager[value pr]`, { schema: enterprise, attribute: 'manager', filter: { kind: 'present', path: { attribute: 'value' } } }],
  ];
}

function malformedPaths(): [string, RegExp][] {
  return [
    ['', /path is empty$/],
    ['  ', /path is empty$/],
    ['name.', /invalid attribute path 'name.' at offset 0$/],
    ['name.givenName.x', /invalid attribute path 'name.givenName.x' at offset 0$/],
    ['1name', /invalid attribute path '1name' at offset 0$/],
    ['user name', /unexpected 'name' at offset 5; expected '\[' or the end of the path$/],
    ['foo:bar', /invalid schema URN 'foo' at offset 0$/],
    ['(name)', /unexpected '\(' at offset 0; expected an attribute path$/],
    ['"name"', /unexpected '"name"' at offset 0; expected an attribute path$/],
    ['members[value eq "x"', /unexpected end of path at offset 20; expected 'and', 'or' or '\]'$/],
    ['members[value eq "x"]]', /unexpected '\]' at offset 21; expected '\.' and a sub-attribute, or the end of the path$/],
    ['members[]', /unexpected '\]' at offset 8/],
    ['members[value]', /unexpected '\]' at offset 13; expected an operator/],
    ['members[value eq "x"] .display', /invalid sub-attribute '.display' at offset 22$/],
    ['emails[type eq "work"].value.x', /invalid sub-attribute '.value.x' at offset 22$/],
    ['emails[type eq "work"].value eq "x"', /unexpected 'eq' at offset 29; expected the end of the path$/],
    ['name.givenName[value eq "x"]', /a value filter must follow an attribute, not a sub-attribute: 'name.givenName' at offset 0$/],
    ['emails[type[value eq "x"] eq "y"]', /value filters cannot be nested/],
    ['members[value eq "x\\q"]', /invalid escape '\\q' at offset 19$/],
    ['members[value eq "x]', /unterminated string starting at offset 17$/],
    ['members [value eq "x"] and', /unexpected 'and' at offset 23/],
  ];
}

function pathLikeText(): fc.Arbitrary<string> {
  const piece = fc.constantFrom(
    ' ', '(', ')', '[', ']', '"', '\\', '.', ':', 'members', 'emails', 'type', 'value', 'urn:ietf:params:scim:schemas:core:2.0:User:',
    ' eq ', ' pr', ' and ', ' or ', 'not (', '"x"', '"\\u00e9"', 'true', '.value',
  );
  return fc.array(piece, { maxLength: 16 }).map((pieces) => pieces.join(''));
}

function mutated(texts: fc.Arbitrary<string>): fc.Arbitrary<string> {
  const edit = fc.record({
    at: fc.nat(),
    remove: fc.nat({ max: 3 }),
    insert: fc.oneof(fc.string({ maxLength: 3 }), fc.constantFrom('(', ')', '[', ']', '"', '\\', ' ', '.', ':', ' and ', 'eq')),
  });
  return fc.tuple(texts, fc.array(edit, { minLength: 1, maxLength: 4 })).map(([text, edits]) =>
    edits.reduce((result, { at, remove, insert }) => {
      const position = at % (result.length + 1);
      return result.slice(0, position) + insert + result.slice(position + remove);
    }, text),
  );
}

function thrownBy(action: () => unknown): unknown {
  try {
    action();
  } catch (error) {
    return error;
  }
  throw new Error('expected an error');
}
