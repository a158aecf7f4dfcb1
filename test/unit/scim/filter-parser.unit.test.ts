import fc from 'fast-check';
import { isStorable } from '../../../shared/db/storable-text';
import { ScimError } from '../../../shared/scim/errors';
import {
  COMPARE_OPERATORS,
  DEFAULT_FILTER_LIMITS,
  parseFilter,
  printFilter,
  type AttrPath,
  type CompareOperator,
  type CompareValue,
  type FilterAst,
} from '../../../shared/scim/filter';
import { ENTERPRISE_USER_SCHEMA_ID, GROUP_SCHEMA_ID, USER_SCHEMA_ID } from '../../../shared/scim/schemas';

describe('parseFilter', () => {
  describe('given a valid filter', () => {
    it.each(validFilters())('parses %s', (text, expected) => {
      expect(parseFilter(text)).toEqual(expected);
    });
  });

  describe('given a malformed filter', () => {
    it.each(malformedFilters())('rejects %j as invalidFilter: %s', (text, detail) => {
      const error = thrownBy(() => parseFilter(text));
      expect(error).toBeInstanceOf(ScimError);
      expect(error).toMatchObject({ status: 400, scimType: 'invalidFilter' });
      expect((error as ScimError).detail).toMatch(detail);
    });
  });

  describe('limits', () => {
    it('has the documented defaults', () => {
      expect(DEFAULT_FILTER_LIMITS).toEqual({ maxLength: 4096, maxDepth: 10, maxClauses: 20 });
    });

    it('accepts a filter of exactly 4,096 characters', () => {
      const text = `userName eq "${'x'.repeat(4096 - 'userName eq ""'.length)}"`;
      expect(text).toHaveLength(4096);
      expect(parseFilter(text)).toEqual(compare(path('userName'), 'eq', 'x'.repeat(4082)));
    });

    it('rejects a longer filter', () => {
      expect(thrownBy(() => parseFilter(`userName eq "${'x'.repeat(4096)}"`))).toMatchObject({
        status: 400,
        scimType: 'invalidFilter',
        detail: 'filter is longer than 4096 characters',
      });
    });

    it('accepts 10 levels of nesting', () => {
      expect(parseFilter(`${'('.repeat(10)}title pr${')'.repeat(10)}`)).toEqual(present(path('title')));
      expect(parseFilter(`${'not ('.repeat(9)}emails[type pr]${')'.repeat(9)}`).kind).toBe('not');
    });

    it('rejects 11 levels of nesting, naming the offset', () => {
      const error = thrownBy(() => parseFilter(`${'('.repeat(11)}title pr${')'.repeat(11)}`));
      expect(error).toMatchObject({ scimType: 'invalidFilter', detail: 'filter nests deeper than 10 levels at offset 10' });
    });

    it('rejects deep nesting long before the stack runs out', () => {
      const error = thrownBy(() => parseFilter(`${'not ('.repeat(2_000)}title pr${')'.repeat(2_000)}`, { maxLength: 20_000 }));
      expect(error).toMatchObject({ scimType: 'invalidFilter' });
    });

    it('accepts 20 attribute expressions, those inside brackets and after them included', () => {
      const text = [...Array.from({ length: 17 }, (_, i) => `title eq "${i}"`), 'emails[type eq "work" and value pr].display pr'].join(' or ');
      expect(() => parseFilter(text)).not.toThrow();
    });

    it('rejects the 21st attribute expression, naming its offset', () => {
      const text = Array.from({ length: 21 }, (_, i) => `emails[value co "${i}x"]`).join(' or ');
      expect(thrownBy(() => parseFilter(text))).toMatchObject({
        status: 400,
        scimType: 'invalidFilter',
        detail: `filter has more than 20 attribute expressions; the one at offset ${text.lastIndexOf('value')} is one too many`,
      });
    });

    it('rejects the 10,000-character filter of 374 or-joined value filters that took seconds of database time', () => {
      const text = Array.from({ length: 374 }, (_, i) => `emails[value co "${i}x"]`).join(' or ');
      expect(text.length).toBeLessThanOrEqual(10_000);
      expect(thrownBy(() => parseFilter(text))).toMatchObject({ scimType: 'invalidFilter', detail: 'filter is longer than 4096 characters' });
      expect(thrownBy(() => parseFilter(text, { maxLength: 10_000 }))).toMatchObject({ scimType: 'invalidFilter', detail: expect.stringMatching(/^filter has more than 20 attribute expressions/) });
    });

    it('takes other limits when given them', () => {
      expect(thrownBy(() => parseFilter('((title pr))', { maxDepth: 1 }))).toMatchObject({ scimType: 'invalidFilter' });
      expect(thrownBy(() => parseFilter('title pr', { maxLength: 5 }))).toMatchObject({ scimType: 'invalidFilter' });
      expect(thrownBy(() => parseFilter('title pr or title pr', { maxClauses: 1 }))).toMatchObject({ scimType: 'invalidFilter' });
      expect(parseFilter(`${'('.repeat(50)}title pr${')'.repeat(50)}`, { maxDepth: 50 })).toEqual(present(path('title')));
    });
  });

  describe('given a value in quotes that are not JSON double quotes', () => {
    it.each([
      [`userName eq 'jdoe@example.com'`, 12, 'single quotes', `'`, '"jdoe@example.com"'],
      [`displayName eq 'Sales team'`, 15, 'single quotes', `'`, '"Sales team"'],
      [`emails[type eq 'work'].value eq "x"`, 15, 'single quotes', `'`, '"work"'],
      ['title eq `Engineer`', 9, 'backticks', '`', '"Engineer"'],
      ['userName eq \u201Cjdoe\u201D', 12, 'typographic quotes', '\u201C', '"jdoe"'],
      ['userName eq \u2018jdoe\u2019', 12, 'typographic quotes', '\u2018', '"jdoe"'],
    ])('rejects %s as invalidFilter naming the quote (RFC 7644 §3.4.2.2)', (text, offset, name, quote, instead) => {
      expect(thrownBy(() => parseFilter(text))).toMatchObject({
        status: 400,
        scimType: 'invalidFilter',
        detail: `the value at offset ${offset} is in ${name} (${quote}); RFC 7644 §3.4.2.2 values are JSON strings in double quotes: write it as ${instead}`,
      });
    });

    it('says to use double quotes when the quote is never closed', () => {
      expect(thrownBy(() => parseFilter(`userName eq 'jdoe`))).toMatchObject({ detail: expect.stringMatching(/write it in double quotes$/) });
    });

    it.each([
      ['userName eq "a\\u0000b"', 12],
      ['emails[type eq "\\ud800"]', 15],
      ['title sw "\\udfffx" or title pr', 9],
      ['userName eq a\u0000', 12],
    ])('rejects %j: a string Postgres cannot store (U+0000, a lone surrogate) could match nothing', (text, offset) => {
      expect(thrownBy(() => parseFilter(text))).toMatchObject({
        scimType: 'invalidFilter',
        detail: `the value at offset ${offset} holds U+0000 or an unpaired UTF-16 surrogate, which no attribute can store`,
      });
    });

    it("keeps Entra's bare values, an apostrophe inside one included", () => {
      expect(parseFilter('externalId eq abc')).toEqual(compare(path('externalId'), 'eq', 'abc'));
      expect(parseFilter(`displayName eq O'Brien`)).toEqual(compare(path('displayName'), 'eq', "O'Brien"));
    });
  });
});

describe('printFilter', () => {
  it.each([
    ['USERNAME EQ bjensen', 'USERNAME eq "bjensen"'],
    ['(a pr or b pr) and (c pr or d pr)', '(a pr or b pr) and (c pr or d pr)'],
    ['a pr and (b pr and c pr)', 'a pr and (b pr and c pr)'],
    ['(a pr and b pr) and c pr', 'a pr and b pr and c pr'],
    ['a pr or (b pr or c pr)', 'a pr or (b pr or c pr)'],
    ['(a pr and b pr) or c pr', 'a pr and b pr or c pr'],
    ['NOT(a pr)', 'not (a pr)'],
    ['emails[type eq "work"].value eq "x"', 'emails[type eq "work" and value eq "x"]'],
    ['emails[type eq "a" or type eq "b"].value pr', 'emails[(type eq "a" or type eq "b") and value pr]'],
    ['x eq -0', 'x eq -0'],
    ['x eq 1E3', 'x eq 1000'],
    ['userName eq "tab\\tquote\\"\\u00e9"', 'userName eq "tab\\tquote\\"é"'],
  ])('prints %s as %s', (text, canonical) => {
    expect(printFilter(parseFilter(text))).toBe(canonical);
  });
});

describe('properties', () => {
  it('parse(print(ast)) equals ast for any filter', () => {
    fc.assert(
      fc.property(filterArbitrary(), (ast) => {
        expect(parseFilter(printFilter(ast))).toEqual(ast);
      }),
      { numRuns: 1_000 },
    );
  });

  it('printing is canonical: a parsed filter prints to text that parses to the same filter', () => {
    fc.assert(
      fc.property(filterLikeText(), (text) => {
        const ast = parseOrUndefined(text);
        if (ast !== undefined) expect(parseFilter(printFilter(ast))).toEqual(ast);
      }),
      { numRuns: 2_000 },
    );
  });

  it('any text either parses or is rejected with 400 invalidFilter, never another error', () => {
    fc.assert(
      fc.property(
        fc.oneof(
          fc.string(),
          fc.string({ unit: 'binary' }),
          fc.string({ unit: 'binary', maxLength: 200 }),
          filterLikeText(),
          mutated(fc.constantFrom(...validFilters().map(([text]) => text))),
          mutated(filterArbitrary().map(printFilter)),
        ),
        (text) => {
          try {
            parseFilter(text);
          } catch (error) {
            expect(error).toBeInstanceOf(ScimError);
            expect(error).toMatchObject({ status: 400, scimType: 'invalidFilter' });
          }
        },
      ),
      { numRuns: 5_000 },
    );
  });
});

// ---------------------------------------------------------------------------------------------
// Test data

function validFilters(): [string, FilterAst][] {
  const enterprise = ENTERPRISE_USER_SCHEMA_ID;
  return [
    // every operator (RFC 7644 §3.4.2.2 examples)
    ['userName eq "bjensen"', compare(path('userName'), 'eq', 'bjensen')],
    ['userName ne "bjensen"', compare(path('userName'), 'ne', 'bjensen')],
    ['name.familyName co "O\'Malley"', compare(path('name', 'familyName'), 'co', "O'Malley")],
    ['userName sw "J"', compare(path('userName'), 'sw', 'J')],
    ['userName ew "son"', compare(path('userName'), 'ew', 'son')],
    ['meta.lastModified gt "2011-05-13T04:42:34Z"', compare(path('meta', 'lastModified'), 'gt', '2011-05-13T04:42:34Z')],
    ['meta.lastModified ge "2011-05-13T04:42:34Z"', compare(path('meta', 'lastModified'), 'ge', '2011-05-13T04:42:34Z')],
    ['meta.lastModified lt "2011-05-13T04:42:34Z"', compare(path('meta', 'lastModified'), 'lt', '2011-05-13T04:42:34Z')],
    ['meta.lastModified le "2011-05-13T04:42:34Z"', compare(path('meta', 'lastModified'), 'le', '2011-05-13T04:42:34Z')],
    ['title pr', present(path('title'))],
    // case-insensitive operators and keywords; attribute names kept as written
    ['USERNAME EQ "x"', compare(path('USERNAME'), 'eq', 'x')],
    ['userName Sw "x"', compare(path('userName'), 'sw', 'x')],
    ['title PR', present(path('title'))],
    [
      'userName Eq "x" AND title Pr OR NOT (active EQ false)',
      or(and(compare(path('userName'), 'eq', 'x'), present(path('title'))), not(compare(path('active'), 'eq', false))),
    ],
    // URN-qualified attributes
    [`${USER_SCHEMA_ID}:userName sw "J"`, compare(path('userName', undefined, USER_SCHEMA_ID), 'sw', 'J')],
    [`${USER_SCHEMA_ID}:name.givenName eq "x"`, compare(path('name', 'givenName', USER_SCHEMA_ID), 'eq', 'x')],
    [`${enterprise}:employeeNumber eq "1"`, compare(path('employeeNumber', undefined, enterprise), 'eq', '1')],
    [`${enterprise}:manager.value eq "26118915"`, compare(path('manager', 'value', enterprise), 'eq', '26118915')],
    [`${enterprise}:department pr`, present(path('department', undefined, enterprise))],
    [`URN:IETF:params:scim:schemas:core:2.0:Group:displayName eq "x"`, compare(path('displayName', undefined, 'URN:IETF:params:scim:schemas:core:2.0:Group'), 'eq', 'x')],
    // precedence: not > and > or, both left-associative
    ['title pr and userType eq "Employee"', and(present(path('title')), compare(path('userType'), 'eq', 'Employee'))],
    ['title pr or userType eq "Intern"', or(present(path('title')), compare(path('userType'), 'eq', 'Intern'))],
    ['a pr or b pr and c pr', or(present(path('a')), and(present(path('b')), present(path('c'))))],
    ['a pr and b pr or c pr', or(and(present(path('a')), present(path('b'))), present(path('c')))],
    ['a pr and b pr and c pr', and(and(present(path('a')), present(path('b'))), present(path('c')))],
    ['a pr or b pr or c pr', or(or(present(path('a')), present(path('b'))), present(path('c')))],
    ['not (a pr) and b pr', and(not(present(path('a'))), present(path('b')))],
    ['a pr or not (b pr) and c pr', or(present(path('a')), and(not(present(path('b'))), present(path('c'))))],
    // grouping
    ['(a pr or b pr) and c pr', and(or(present(path('a')), present(path('b'))), present(path('c')))],
    ['a pr and (b pr or c pr)', and(present(path('a')), or(present(path('b')), present(path('c'))))],
    ['((a pr))', present(path('a'))],
    ['(a pr)or(b pr)', or(present(path('a')), present(path('b')))],
    ['not (a pr or b pr)', not(or(present(path('a')), present(path('b'))))],
    ['not(a pr)', not(present(path('a')))],
    ['not (not (a pr))', not(not(present(path('a'))))],
    [
      'userType eq "Employee" and (emails co "example.com" or emails.value co "example.org")',
      and(
        compare(path('userType'), 'eq', 'Employee'),
        or(compare(path('emails'), 'co', 'example.com'), compare(path('emails', 'value'), 'co', 'example.org')),
      ),
    ],
    [
      'userType ne "Employee" and not (emails co "example.com" or emails.value co "example.org")',
      and(
        compare(path('userType'), 'ne', 'Employee'),
        not(or(compare(path('emails'), 'co', 'example.com'), compare(path('emails', 'value'), 'co', 'example.org'))),
      ),
    ],
    // value paths
    ['emails[type eq "work"]', valuePath(path('emails'), compare(path('type'), 'eq', 'work'))],
    [
      'emails[type eq "work" and value co "@x"]',
      valuePath(path('emails'), and(compare(path('type'), 'eq', 'work'), compare(path('value'), 'co', '@x'))),
    ],
    [
      'userType eq "Employee" and emails[type eq "work" and value co "@example.com"]',
      and(
        compare(path('userType'), 'eq', 'Employee'),
        valuePath(path('emails'), and(compare(path('type'), 'eq', 'work'), compare(path('value'), 'co', '@example.com'))),
      ),
    ],
    [
      'emails[type eq "work" and value co "@example.com"] or ims[type eq "xmpp" and value co "@foo.com"]',
      or(
        valuePath(path('emails'), and(compare(path('type'), 'eq', 'work'), compare(path('value'), 'co', '@example.com'))),
        valuePath(path('ims'), and(compare(path('type'), 'eq', 'xmpp'), compare(path('value'), 'co', '@foo.com'))),
      ),
    ],
    [
      'emails[type eq "work"].value eq "a@b"',
      valuePath(path('emails'), and(compare(path('type'), 'eq', 'work'), compare(path('value'), 'eq', 'a@b'))),
    ],
    [
      'emails[type eq "work" or type eq "home"].value co "@x"',
      valuePath(
        path('emails'),
        and(or(compare(path('type'), 'eq', 'work'), compare(path('type'), 'eq', 'home')), compare(path('value'), 'co', '@x')),
      ),
    ],
    ['emails[type eq "work"].value pr', valuePath(path('emails'), and(compare(path('type'), 'eq', 'work'), present(path('value'))))],
    ['emails[not (type eq "work")]', valuePath(path('emails'), not(compare(path('type'), 'eq', 'work')))],
    ['emails[(primary eq true)]', valuePath(path('emails'), compare(path('primary'), 'eq', true))],
    ['members[value eq "2819c223-7f76"]', valuePath(path('members'), compare(path('value'), 'eq', '2819c223-7f76'))],
    [
      `${enterprise}:manager[value eq "1"]`,
      valuePath(path('manager', undefined, enterprise), compare(path('value'), 'eq', '1')),
    ],
    // unquoted values (Entra's documentation)
    ['externalId eq abc', compare(path('externalId'), 'eq', 'abc')],
    ['userName eq jdoe@contoso.com', compare(path('userName'), 'eq', 'jdoe@contoso.com')],
    ['externalId eq 00123', compare(path('externalId'), 'eq', '00123')],
    ['userName eq True', compare(path('userName'), 'eq', 'True')],
    ['(externalId eq abc)', compare(path('externalId'), 'eq', 'abc')],
    ['emails[value eq a@b.c]', valuePath(path('emails'), compare(path('value'), 'eq', 'a@b.c'))],
    ['externalId eq ab"c and active eq true', and(compare(path('externalId'), 'eq', 'ab"c'), compare(path('active'), 'eq', true))],
    // JSON literals and numbers
    ['active eq true', compare(path('active'), 'eq', true)],
    ['active eq false', compare(path('active'), 'eq', false)],
    ['externalId eq null', compare(path('externalId'), 'eq', null)],
    ['x eq 42', compare(path('x'), 'eq', 42)],
    ['x gt -1.5e3', compare(path('x'), 'gt', -1500)],
    ['x le 0.25', compare(path('x'), 'le', 0.25)],
    ['x eq 0', compare(path('x'), 'eq', 0)],
    // JSON string escapes
    ['userName eq "a\\"b"', compare(path('userName'), 'eq', 'a"b')],
    ['userName eq "back\\\\slash"', compare(path('userName'), 'eq', 'back\\slash')],
    ['userName eq "\\u00e9t\\u00E9"', compare(path('userName'), 'eq', 'été')],
    ['userName eq "\\t\\n\\r\\b\\f\\/"', compare(path('userName'), 'eq', '\t\n\r\b\f/')],
    ['userName eq "\\ud83d\\ude00 😀"', compare(path('userName'), 'eq', '😀 😀')],
    ['userName eq ""', compare(path('userName'), 'eq', '')],
    ['userName eq "with (parens) and [brackets] or not"', compare(path('userName'), 'eq', 'with (parens) and [brackets] or not')],
    // whitespace and names
    ['  userName   eq\t"x"\n', compare(path('userName'), 'eq', 'x')],
    ['userName eq "x"and title pr', and(compare(path('userName'), 'eq', 'x'), present(path('title')))],
    ['members.$ref pr', present(path('members', '$ref'))],
    ['x-y_z1 pr', present(path('x-y_z1'))],
    ['not eq "x"', compare(path('not'), 'eq', 'x')],
    ['title pr and or pr', and(present(path('title')), present(path('or')))],
  ];
}

function malformedFilters(): [string, RegExp][] {
  return [
    ['', /^filter is empty$/],
    ['   ', /^filter is empty$/],
    ['userName', /^unexpected end of filter at offset 8; expected an operator .* after 'userName'$/],
    ['userName eq', /^expected a value after 'eq' at offset 11, found the end$/],
    ['userName eq ', /^expected a value after 'eq' at offset 12, found the end$/],
    ['userName xx "x"', /^unexpected 'xx' at offset 9; expected an operator/],
    ['userName equals "x"', /^unexpected 'equals' at offset 9/],
    ['userName eq "x" and', /^unexpected end of filter at offset 19; expected an attribute path/],
    ['userName eq "x" or', /^unexpected end of filter at offset 18/],
    ['userName eq "x" userName eq "y"', /^unexpected 'userName' at offset 16; expected 'and', 'or' or the end of the filter$/],
    ['(userName eq "x"', /^unexpected end of filter at offset 16; expected 'and', 'or' or '\)'$/],
    ['userName eq "x")', /^unexpected '\)' at offset 15/],
    ['()', /^unexpected '\)' at offset 1/],
    ['not ()', /^unexpected '\)' at offset 5/],
    ['not userName eq "x"', /^'not' at offset 0 must be followed by a parenthesised filter/],
    ['userName eq "abc', /^unterminated string starting at offset 12$/],
    ['userName eq "abc\\', /^unterminated string starting at offset 12$/],
    ['userName eq "a\\qb"', /^invalid escape '\\q' at offset 14$/],
    ['userName eq "\\u12"', /^invalid unicode escape at offset 13$/],
    ['userName eq "a\nb"', /^unescaped control character U\+000a in string at offset 14$/],
    ['"userName" eq "x"', /^unexpected '"userName"' at offset 0/],
    ['userName eq (', /^expected a value after 'eq' at offset 12, found '\('$/],
    ['userName eq )', /^expected a value after 'eq' at offset 12, found '\)'$/],
    ['userName eq [x]', /^expected a value after 'eq' at offset 12, found '\['$/],
    ['userName pr "x"', /^unexpected '"x"' at offset 12; expected 'and', 'or' or the end of the filter$/],
    ['x eq 1e400', /^number 1e400 at offset 5 is out of range$/],
    ['emails[type eq "work"', /^unexpected end of filter at offset 21; expected 'and', 'or' or '\]'$/],
    ['emails[type eq "work"]]', /^unexpected '\]' at offset 22/],
    ['emails[]', /^unexpected '\]' at offset 7/],
    ['[type eq "x"]', /^unexpected '\[' at offset 0/],
    ['emails[type[value eq "x"] eq "y"]', /^value filters cannot be nested: '\[' at offset 11$/],
    ['name.givenName[value eq "x"]', /^a value filter must follow an attribute, not a sub-attribute: 'name.givenName' at offset 0$/],
    ['emails[type eq "work"] .value eq "x"', /^invalid sub-attribute '.value' at offset 23$/],
    ['emails[type eq "work"].value.x eq "x"', /^invalid sub-attribute '.value.x' at offset 22$/],
    ['emails[type eq "work"].value', /^unexpected end of filter at offset 28; expected an operator/],
    ['a.b.c eq "x"', /^invalid attribute path 'a.b.c' at offset 0$/],
    ['1abc eq "x"', /^invalid attribute path '1abc' at offset 0$/],
    ['name. eq "x"', /^invalid attribute path 'name.' at offset 0$/],
    ['user@name eq "x"', /^invalid attribute path 'user@name' at offset 0$/],
    ['foo:userName eq "x"', /^invalid schema URN 'foo' at offset 0$/],
    ['urn::x:userName eq "x"', /^invalid schema URN 'urn::x' at offset 0$/],
    [`${USER_SCHEMA_ID}: eq "x"`, /^invalid attribute path/],
    ['userName eq "x" and and', /^unexpected end of filter at offset 23; expected an operator/],
  ];
}

function filterArbitrary(): fc.Arbitrary<FilterAst> {
  const name = fc.oneof(
    fc.stringMatching(/^[A-Za-z][A-Za-z0-9_-]{0,8}$/),
    fc.constantFrom('userName', 'emails', '$ref', 'not', 'and', 'or', 'pr', 'eq', 'true', 'null'),
  );
  const schema = fc.oneof(
    fc.constantFrom(USER_SCHEMA_ID, GROUP_SCHEMA_ID, ENTERPRISE_USER_SCHEMA_ID),
    fc.stringMatching(/^urn(:[A-Za-z0-9._-]{1,6}){1,4}$/),
  );
  const attrPath: fc.Arbitrary<AttrPath> = fc.record({ schema, attribute: name, subAttribute: name }, { requiredKeys: ['attribute'] });
  const parentPath: fc.Arbitrary<AttrPath> = fc.record({ schema, attribute: name }, { requiredKeys: ['attribute'] });
  // Strings Postgres cannot store (U+0000) are refused by the parser, so they have no round trip.
  const value: fc.Arbitrary<CompareValue> = fc.oneof(
    fc.string().filter(isStorable),
    fc.string({ unit: 'binary' }).filter(isStorable),
    fc.double({ noNaN: true, noDefaultInfinity: true }),
    fc.integer(),
    fc.boolean(),
    fc.constant(null),
  );
  const leaf: fc.Arbitrary<FilterAst> = fc.oneof(
    fc.record({ kind: fc.constant('compare' as const), path: attrPath, op: fc.constantFrom(...COMPARE_OPERATORS), value }),
    fc.record({ kind: fc.constant('present' as const), path: attrPath }),
  );
  const combined = (operand: fc.Arbitrary<FilterAst>): fc.Arbitrary<FilterAst> =>
    fc.oneof(
      fc.record({ kind: fc.constant('and' as const), left: operand, right: operand }),
      fc.record({ kind: fc.constant('or' as const), left: operand, right: operand }),
      fc.record({ kind: fc.constant('not' as const), filter: operand }),
    );
  const { filter } = fc.letrec<{ filter: FilterAst; inner: FilterAst }>((tie) => ({
    filter: fc.oneof(
      { maxDepth: 5, depthIdentifier: 'filter' },
      leaf,
      combined(tie('filter')),
      fc.record({ kind: fc.constant('valuePath' as const), path: parentPath, filter: tie('inner') }),
    ),
    // A value path's filter holds no value path (RFC 7644 §3.4.2.2 `valFilter`).
    inner: fc.oneof({ maxDepth: 3, depthIdentifier: 'inner' }, leaf, combined(tie('inner'))),
  }));
  return filter;
}

/** Text made of filter tokens: mostly nonsense, sometimes a filter. */
function filterLikeText(): fc.Arbitrary<string> {
  const piece = fc.constantFrom(
    ' ', '(', ')', '[', ']', '"', '\\', '.', ':', 'userName', 'emails', 'type', 'value', 'urn:ietf:params:scim:schemas:core:2.0:User:',
    ' eq ', ' pr', ' co ', ' gt ', ' and ', ' or ', 'not ', 'not (', '"x"', '"a\\"b"', '"\\u00e9"', '"\\u12"', 'true', 'null', '-1.5e3', 'abc', '$ref',
  );
  return fc.array(piece, { maxLength: 20 }).map((pieces) => pieces.join(''));
}

/** A text with characters inserted, deleted or replaced. */
function mutated(texts: fc.Arbitrary<string>): fc.Arbitrary<string> {
  const edit = fc.record({
    at: fc.nat(),
    remove: fc.nat({ max: 3 }),
    insert: fc.oneof(fc.string({ maxLength: 3 }), fc.constantFrom('(', ')', '[', ']', '"', '\\', ' ', '.', ':', 'not (', ' and ', 'eq')),
  });
  return fc.tuple(texts, fc.array(edit, { minLength: 1, maxLength: 4 })).map(([text, edits]) =>
    edits.reduce((result, { at, remove, insert }) => {
      const position = result.length === 0 ? 0 : at % (result.length + 1);
      return result.slice(0, position) + insert + result.slice(position + remove);
    }, text),
  );
}

function parseOrUndefined(text: string): FilterAst | undefined {
  try {
    return parseFilter(text);
  } catch {
    return undefined;
  }
}

function thrownBy(action: () => unknown): unknown {
  try {
    action();
  } catch (error) {
    return error;
  }
  throw new Error('expected an error');
}

function path(attribute: string, subAttribute?: string, schema?: string): AttrPath {
  return {
    ...(schema === undefined ? {} : { schema }),
    attribute,
    ...(subAttribute === undefined ? {} : { subAttribute }),
  };
}

function compare(attrPath: AttrPath, op: CompareOperator, value: CompareValue): FilterAst {
  return { kind: 'compare', path: attrPath, op, value };
}

function present(attrPath: AttrPath): FilterAst {
  return { kind: 'present', path: attrPath };
}

function and(left: FilterAst, right: FilterAst): FilterAst {
  return { kind: 'and', left, right };
}

function or(left: FilterAst, right: FilterAst): FilterAst {
  return { kind: 'or', left, right };
}

function not(filter: FilterAst): FilterAst {
  return { kind: 'not', filter };
}

function valuePath(attrPath: AttrPath, filter: FilterAst): FilterAst {
  return { kind: 'valuePath', path: attrPath, filter };
}
