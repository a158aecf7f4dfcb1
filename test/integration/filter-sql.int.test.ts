import fc from 'fast-check';
import { SCIM_READ_MODEL } from '../../projections/scim/read-model-mapping';
import { scimTablesSql } from '../../projections/scim/tables';
import { ScimError } from '../../shared/scim/errors';
import { parseFilter, printFilter, resolveFilter, type AttrPath, type CompareOperator, type FilterAst } from '../../shared/scim/filter';
import { compileFilter, compileSort } from '../../shared/scim/filter/sql';
import { ENTERPRISE_USER_SCHEMA_ID, type ResourceTypeId } from '../../shared/scim/schemas';
import { createTestDatabase, type TestDatabase } from '../helpers/postgres';

const SCHEMA = 'filter_read';
const EXPLAIN_SCHEMA = 'filter_explain';
const ENT = ENTERPRISE_USER_SCHEMA_ID;

let db: TestDatabase;

beforeAll(async () => {
  db = await createTestDatabase('filter_sql', { migrate: true });
  await db.pool.query(`CREATE SCHEMA "${SCHEMA}"`);
  await db.pool.query(scimTablesSql(SCHEMA));
  await insertFixedData(SCHEMA);
});

afterAll(async () => {
  await db?.drop();
});

describe('compileFilter', () => {
  describe.each(filterCases().filter((c) => c.expected !== 'invalidFilter'))('on $on: $filter', ({ on, filter, expected }) => {
    it('matches exactly the expected resources', async () => {
      expect(await select(on, fill(filter))).toEqual(namesOf(on, expected as readonly string[]));
    });
  });

  describe.each(filterCases().filter((c) => c.expected === 'invalidFilter'))('on $on: $filter', ({ on, filter }) => {
    it('rejects it with 400 invalidFilter', () => {
      const error = catchError(() => compile(on, fill(filter), []));
      expect(error).toBeInstanceOf(ScimError);
      expect(error).toMatchObject({ status: 400, scimType: 'invalidFilter' });
      expect((error as ScimError).detail).not.toBe('');
    });
  });

  it('covers at least 80 filters, valid and invalid', () => {
    expect(filterCases().length).toBeGreaterThanOrEqual(80);
    expect(filterCases().filter((c) => c.expected === 'invalidFilter').length).toBeGreaterThanOrEqual(15);
  });

  describe('when the caller has parameters of its own', () => {
    it('numbers its placeholders after them', async () => {
      const params: unknown[] = ['keep'];
      const where = compile('User', 'userName eq "bob@example.com" or title eq "Admiral"', params);
      expect(params).toEqual(['keep', 'bob@example.com', 'Admiral']);
      expect(where).toContain('$2');
      expect(where).toContain('$3');
      const { rows } = await db.pool.query(`SELECT $1::text AS tag, user_name FROM "${SCHEMA}".users u WHERE ${where} ORDER BY user_name`, params);
      expect(rows).toEqual([
        { tag: 'keep', user_name: 'bob@example.com' },
        { tag: 'keep', user_name: 'grace%admin@example.com' },
      ]);
    });
  });

  describe('when it is given names that are not identifiers', () => {
    it.each([
      [{ readModel: SCIM_READ_MODEL, schema: 'scim"; drop table users; --', alias: 'u' }],
      [{ readModel: SCIM_READ_MODEL, schema: SCHEMA, alias: 'u; drop' }],
      [{ readModel: { ...SCIM_READ_MODEL, memberships: { ...SCIM_READ_MODEL.memberships, table: 'group_members; drop' } }, schema: SCHEMA, alias: 'u' }],
    ])('refuses %j as a programming error', (names) => {
      const filter = resolveFilter(parseFilter('userName eq "x"'), 'User');
      expect(() => compileFilter(filter, 'User', { ...names, params: [] })).toThrow(Error);
    });
  });

  describe('with the read model mapping it is handed', () => {
    it('names the tables and columns the mapping declares, and nothing else', () => {
      const renamed = {
        ...SCIM_READ_MODEL,
        User: { ...SCIM_READ_MODEL.User, table: 'people', columns: { ...SCIM_READ_MODEL.User.columns, userName: { column: 'login', sqlType: 'text', nullable: false } }, attributes: 'doc' },
        memberships: { table: 'memberships', group: 'team_id', member: 'person_id' },
      } as const;
      const params: unknown[] = [];
      const filter = resolveFilter(parseFilter('userName eq "a" and title pr and groups.display sw "x"'), 'User');

      const where = compileFilter(filter, 'User', { readModel: renamed, schema: SCHEMA, alias: 'u', params });

      expect(where).toContain('lower(u.login) = lower($1::text)');
      expect(where).toContain("(u.doc -> 'title')");
      expect(where).toContain(`"${SCHEMA}".memberships u_gm JOIN "${SCHEMA}".groups u_g ON u_g.id = u_gm.team_id`);
      expect(where).toContain('u_gm.person_id = u.id');
      expect(where).not.toMatch(/user_name|attributes|group_members|user_id|group_id/);
    });
  });

  describe('with any text as a filter (property)', () => {
    it('either rejects it with 400 invalidFilter or yields SQL that runs', async () => {
      let compiled = 0;
      const text = fc.constantFrom<ResourceTypeId>('User', 'Group').chain((on) => fc.tuple(fc.constant(on), filterLikeText(on)));
      await fc.assert(
        fc.asyncProperty(text, async ([on, filter]) => {
          let where: string;
          const params: unknown[] = [];
          try {
            where = compile(on, filter, params);
          } catch (error) {
            expect(error).toBeInstanceOf(ScimError);
            expect(error).toMatchObject({ status: 400, scimType: 'invalidFilter' });
            return;
          }
          compiled += 1;
          await db.pool.query(`SELECT count(*) FROM "${SCHEMA}".${TABLES[on]} ${ALIASES[on]} WHERE ${where}`, params);
        }),
        { numRuns: 1000 },
      );
      // The generator is worth something only if some of its texts get as far as the database.
      expect(compiled).toBeGreaterThan(40);
    });

    it('never puts a compared value into the SQL text, only into the parameters', async () => {
      await fc.assert(
        fc.asyncProperty(markedComparison(), async ({ on, path, op, inner }) => {
          const value = `zQx${inner}xQz`;
          const text = `${path} ${op} ${JSON.stringify(value)}`;
          const params: unknown[] = [];
          let where: string;
          try {
            where = compile(on, text, params);
          } catch (error) {
            // A NUL cannot be stored in Postgres text, so a value holding one is refused up front.
            expect(value).toContain('\u0000');
            expect(error).toMatchObject({ status: 400, scimType: 'invalidFilter' });
            return;
          }
          expect(where).not.toContain('zQx');
          expect(where).not.toContain('xQz');
          expect(params.some((param) => typeof param === 'string' && param.includes('zQx'))).toBe(true);
          await db.pool.query(`SELECT count(*) FROM "${SCHEMA}".${TABLES[on]} ${ALIASES[on]} WHERE ${where}`, params);
        }),
        { numRuns: 500 },
      );
    });
  });

  describe('with random valid filters over the schema attributes (property)', () => {
    it.each<ResourceTypeId>(['User', 'Group'])('on %s: runs without a database error, and not (F) is the complement of F', async (on) => {
      const all = await select(on, 'id pr');
      let partial = 0;
      await fc.assert(
        fc.asyncProperty(validFilter(on), async (ast) => {
          const text = printFilter(ast);
          const matching = await select(on, text);
          const rest = await select(on, `not (${text})`);
          expect([...matching, ...rest].sort()).toEqual(all);
          if (matching.length > 0 && rest.length > 0) partial += 1;
        }),
        { numRuns: 300 },
      );
      // Filters that match some resources and not others: the property is not about empty results only.
      expect(partial).toBeGreaterThan(30);
    });
  });
});

describe('compileSort', () => {
  it.each([
    ['User', undefined, undefined, everyUser()],
    ['User', undefined, 'descending', everyUser().reverse()],
    ['User', 'userName', undefined, ['alice', 'bob', 'carol', 'dave', 'erin', 'frank', 'grace', 'heidi', 'ivan', 'judy', 'mallory', 'niaj', 'oscar', 'zoe']],
    ['User', 'USERNAME', 'DESCENDING', ['zoe', 'oscar', 'niaj', 'mallory', 'judy', 'ivan', 'heidi', 'grace', 'frank', 'erin', 'dave', 'carol', 'bob', 'alice']],
    // Case-exact, by code point: digits, then upper case, then lower case; missing last.
    ['User', 'externalId', 'ascending', ['erin', 'heidi', 'alice', 'judy', 'niaj', 'dave', 'grace', 'bob', 'frank', 'mallory', 'ivan', 'zoe', 'carol', 'oscar']],
    // Case-insensitive with ties broken by id; '' is a value (only `pr` calls it absent), missing last.
    ['User', 'title', undefined, ['dave', 'frank', 'grace', 'heidi', 'alice', 'judy', 'niaj', 'zoe', 'bob', 'ivan', 'erin', 'carol', 'mallory', 'oscar']],
    // Missing first when descending.
    ['User', 'title', 'descending', ['oscar', 'mallory', 'carol', 'erin', 'ivan', 'bob', 'zoe', 'niaj', 'judy', 'alice', 'heidi', 'grace', 'frank', 'dave']],
    // RFC 7644 §3.4.2.3: the primary email, else the first.
    ['User', 'emails', undefined, ['alice', 'bob', 'erin', 'frank', 'grace', 'ivan', 'mallory', 'niaj', 'zoe', 'carol', 'dave', 'heidi', 'judy', 'oscar']],
    ['User', 'emails.type', undefined, ['frank', 'ivan', 'niaj', 'erin', 'alice', 'bob', 'grace', 'zoe', 'mallory', 'carol', 'dave', 'heidi', 'judy', 'oscar']],
    ['User', 'active', undefined, ['bob', 'ivan', 'alice', 'carol', 'dave', 'erin', 'frank', 'grace', 'heidi', 'zoe', 'judy', 'mallory', 'niaj', 'oscar']],
    ['User', 'meta.created', 'descending', everyUser().reverse()],
    ['User', `${ENT}:employeeNumber`, undefined, ['alice', 'bob', 'carol', 'dave', 'erin', 'frank', 'grace', 'heidi', 'zoe', 'ivan', 'judy', 'mallory', 'niaj', 'oscar']],
    ['User', 'name.givenName', 'descending', ['oscar', 'niaj', 'mallory', 'judy', 'ivan', 'heidi', 'grace', 'frank', 'erin', 'dave', 'carol', 'bob', 'zoe', 'alice']],
    // The least group name: Admins < Engineering < Sales < Ünïcode Team.
    ['User', 'groups.display', undefined, ['alice', 'grace', 'erin', 'zoe', 'niaj', 'bob', 'ivan', 'carol', 'dave', 'frank', 'heidi', 'judy', 'mallory', 'oscar']],
    ['Group', 'displayName', undefined, ['admins', 'empty', 'eng', 'sales', 'unicode']],
    ['Group', 'displayName', 'descending', ['unicode', 'sales', 'eng', 'empty', 'admins']],
    ['Group', 'externalId', undefined, ['sales', 'empty', 'eng', 'unicode', 'admins']],
    ['Group', 'members.display', undefined, ['eng', 'admins', 'sales', 'unicode', 'empty']],
    ['Group', undefined, undefined, ['eng', 'sales', 'admins', 'empty', 'unicode']],
  ] as const)('on %s sortBy %s sortOrder %s orders %j', async (on, sortBy, sortOrder, expected) => {
    const params: unknown[] = [];
    const alias = ALIASES[on];
    const orderBy = compileSort(sortBy, sortOrder, on, { readModel: SCIM_READ_MODEL, schema: SCHEMA, alias, params });
    expect(orderBy).toMatch(new RegExp(`${alias}\\.id (ASC|DESC)$`));
    const column = on === 'User' ? 'user_name' : 'display_name';
    const { rows } = await db.pool.query(`SELECT ${column} AS name FROM "${SCHEMA}".${TABLES[on]} ${alias} WHERE NOT ${alias}.deleted ORDER BY ${orderBy}`, params);
    expect(rows.map((row: { name: string }) => row.name)).toEqual(expected.map((key) => nameOf(on, key)));
  });

  it('breaks ties by id, so every page boundary is stable', async () => {
    const orderBy = compileSort('active', 'ascending', 'User', { readModel: SCIM_READ_MODEL, schema: SCHEMA, alias: 'u', params: [] });
    const { rows } = await db.pool.query(`SELECT id FROM "${SCHEMA}".users u WHERE NOT u.deleted ORDER BY ${orderBy}`);
    const ids = rows.map((row: { id: string }) => row.id);
    const inactive = ids.slice(0, 2);
    expect(inactive).toEqual([...inactive].sort());
    expect(ids.slice(2)).toEqual([...ids.slice(2)].sort());
  });

  it.each([
    ['unknownAttribute', undefined, /unknown attribute 'unknownAttribute'/],
    ['name', undefined, /'name' is complex/],
    ['meta', undefined, /'meta' is complex/],
    ['password', undefined, /'password' cannot be used/],
    ['meta.location', undefined, /meta\.location/],
    ['userName eq "x"', undefined, /not an attribute path/],
    ['emails[type eq "work"].value', undefined, /not an attribute path/],
    ['userName', 'up', /sortOrder must be 'ascending' or 'descending'/],
    ['userName', 'asc', /sortOrder/],
  ])('rejects sortBy %s sortOrder %s with 400 invalidValue', (sortBy, sortOrder, detail) => {
    const error = catchError(() => compileSort(sortBy, sortOrder, 'User', { readModel: SCIM_READ_MODEL, schema: SCHEMA, alias: 'u', params: [] }));
    expect(error).toMatchObject({ status: 400, scimType: 'invalidValue' });
    expect((error as ScimError).detail).toMatch(detail);
  });

  it('rejects a User attribute on Groups', () => {
    const error = catchError(() => compileSort('userName', undefined, 'Group', { readModel: SCIM_READ_MODEL, schema: SCHEMA, alias: 'g', params: [] }));
    expect(error).toMatchObject({ status: 400, scimType: 'invalidValue' });
  });
});

describe('with 20,000 users and groups, the filters Entra sends use an index', () => {
  beforeAll(async () => {
    await db.pool.query(`CREATE SCHEMA "${EXPLAIN_SCHEMA}"`);
    await db.pool.query(scimTablesSql(EXPLAIN_SCHEMA));
    await db.pool.query(`
      INSERT INTO "${EXPLAIN_SCHEMA}".users (id, revision, user_name, external_id, display_name, active, account_id, attributes, created, last_modified)
      SELECT gen_random_uuid(), 1, 'User' || i || '@example.com', 'ext-' || i, 'User ' || i, i % 7 <> 0, gen_random_uuid(),
             jsonb_build_object('title', 'Title ' || (i % 50)), now() - i * interval '1 minute', now()
      FROM generate_series(1, 20000) AS i`);
    await db.pool.query(`
      INSERT INTO "${EXPLAIN_SCHEMA}".groups (id, revision, display_name, external_id, created, last_modified)
      SELECT gen_random_uuid(), 1, 'Group ' || i, 'grp-' || i, now(), now() FROM generate_series(1, 20000) AS i`);
    await db.pool.query(`ANALYZE "${EXPLAIN_SCHEMA}".users; ANALYZE "${EXPLAIN_SCHEMA}".groups`);
  });

  it.each([
    ['User', 'userName eq "user123@EXAMPLE.com"', 'users_user_name_idx'],
    ['User', 'userName sw "USER1234"', 'users_user_name_idx'],
    ['User', 'externalId eq "ext-42"', 'users_external_id_idx'],
    ['User', 'externalId eq abc', 'users_external_id_idx'],
    ['User', 'displayName eq "user 77"', 'users_display_name_idx'],
    ['Group', 'displayName eq "group 7"', 'groups_display_name_idx'],
    ['Group', 'externalId eq "grp-7"', 'groups_external_id_idx'],
  ] as const)('on %s: %s', async (on, filter, index) => {
    const params: unknown[] = [];
    const alias = ALIASES[on];
    const where = compileFilter(resolveFilter(parseFilter(filter), on), on, { readModel: SCIM_READ_MODEL, schema: EXPLAIN_SCHEMA, alias, params });
    const { rows } = await db.pool.query(`EXPLAIN SELECT * FROM "${EXPLAIN_SCHEMA}".${TABLES[on]} ${alias} WHERE NOT ${alias}.deleted AND (${where})`, params);
    const plan = rows.map((row: { 'QUERY PLAN': string }) => row['QUERY PLAN']).join('\n');
    expect(plan).toMatch(/(Index Scan|Bitmap Index Scan|Index Only Scan)/);
    expect(plan).toContain(index);
    expect(plan).not.toContain('Seq Scan');
  });

  it('finds the user an eq names among them', async () => {
    const params: unknown[] = [];
    const where = compileFilter(resolveFilter(parseFilter('userName eq "USER19999@example.com"'), 'User'), 'User', {
      readModel: SCIM_READ_MODEL,
      schema: EXPLAIN_SCHEMA,
      alias: 'u',
      params,
    });
    const { rows } = await db.pool.query(`SELECT user_name FROM "${EXPLAIN_SCHEMA}".users u WHERE ${where}`, params);
    expect(rows).toEqual([{ user_name: 'User19999@example.com' }]);
  });
});

// ---------------------------------------------------------------------------------------------------

const TABLES: Readonly<Record<ResourceTypeId, string>> = { User: 'users', Group: 'groups' };
const ALIASES: Readonly<Record<ResourceTypeId, string>> = { User: 'u', Group: 'g' };

function compile(on: ResourceTypeId, text: string, params: unknown[]): string {
  return compileFilter(resolveFilter(parseFilter(text), on), on, { readModel: SCIM_READ_MODEL, schema: SCHEMA, alias: ALIASES[on], params });
}

/** The names (userName, group displayName) of the resources a filter matches, sorted. */
async function select(on: ResourceTypeId, text: string): Promise<string[]> {
  const params: unknown[] = [];
  const where = compile(on, text, params);
  const column = on === 'User' ? 'user_name' : 'display_name';
  const alias = ALIASES[on];
  // As the API queries: deleted resources are tombstones the caller leaves out.
  const { rows } = await db.pool.query(`SELECT ${column} AS name FROM "${SCHEMA}".${TABLES[on]} ${alias} WHERE NOT ${alias}.deleted AND (${where})`, params);
  return rows.map((row: { name: string }) => row.name).sort();
}

function catchError(work: () => unknown): unknown {
  try {
    work();
  } catch (error) {
    return error;
  }
  throw new Error('expected an error');
}

function nameOf(on: ResourceTypeId, key: string): string {
  const row = on === 'User' ? users().find((user) => user.key === key) : groups().find((group) => group.key === key);
  if (row === undefined) throw new Error(`no ${on} ${key} in the test data`);
  return 'userName' in row ? row.userName : row.displayName;
}

function namesOf(on: ResourceTypeId, keys: readonly string[]): string[] {
  return keys.map((key) => nameOf(on, key)).sort();
}

/** `{alice}` becomes alice's id, `{ALICE}` the same id in upper case, `{eng}` a group's id. */
function fill(filter: string): string {
  return filter.replace(/\{(\w+)\}/g, (whole, key: string) => {
    const row = [...users(), ...groups()].find((candidate) => candidate.key === key.toLowerCase());
    if (row === undefined) return whole;
    return key === key.toLowerCase() ? row.id : row.id.toUpperCase();
  });
}

/** Text from the filter grammar's pieces glued at random, and plain random text: mostly invalid, some valid. */
function filterLikeText(on: ResourceTypeId): fc.Arbitrary<string> {
  const valid =
    on === 'User'
      ? ['userName', 'externalId', 'displayName', 'title', 'emails', 'emails.value', 'emails.type', 'name.givenName', 'groups', 'groups.display', 'meta.version', 'id', 'USERNAME', `${ENT}:employeeNumber`, `${ENT}:manager.value`, 'phoneNumbers[type eq "work"].value', 'emails[type eq "work"].value']
      : ['displayName', 'externalId', 'id', 'members', 'members.value', 'members.display', 'members[type eq "User"].display', 'DisplayName'];
  const path = fc.oneof(
    { weight: 4, arbitrary: fc.constantFrom(...valid) },
    {
      weight: 1,
      arbitrary: fc.constantFrom(
        'active', 'emails.primary', 'name', 'meta.created', 'meta.location', 'groups.$ref', 'members.$ref', 'password',
        'emails[primary eq true]', 'addresses[', 'not', 'userName', 'members',
      ),
    },
  );
  const op = fc.oneof(
    { weight: 6, arbitrary: fc.constantFrom('eq', 'ne', 'co', 'sw', 'ew', 'gt', 'ge', 'lt', 'le', 'pr', 'EQ', 'Sw') },
    { weight: 1, arbitrary: fc.constantFrom('xx', '') },
  );
  const value = fc.oneof(
    fc.constantFrom('true', 'false', 'null', '1', '1.5', '"x"', '"%"', '"_"', '"\\\\"', "'", '"2024-01-01T00:00:00Z"', '"\\u0000"', 'abc', '"True"', ''),
    fc.string({ maxLength: 6, unit: 'binary' }).map((text) => JSON.stringify(text)),
  );
  const clause = fc.tuple(path, op, value).map(([p, o, v]) => (o.toLowerCase() === 'pr' ? `${p} ${o}` : `${p} ${o} ${v}`));
  const connector = fc.oneof(
    { weight: 4, arbitrary: fc.constantFrom(' and ', ' or ', ' AND ', ' Or ') },
    { weight: 1, arbitrary: fc.constantFrom(' and not (', ') or (', ' ', ')', ' or (') },
  );
  const structured = fc
    .tuple(fc.constantFrom('', '', '(', 'not ('), clause, fc.array(fc.tuple(connector, clause), { maxLength: 2 }), fc.constantFrom('', '', ')', ']'))
    .map(([open, first, rest, close]) => `${open}${first}${rest.map(([c, next]) => `${c}${next}`).join('')}${close}`);
  const soup = fc.array(fc.oneof(path, op, value, fc.constantFrom('(', ')', '[', ']', 'and', 'or', 'not', '.value')), { minLength: 1, maxLength: 9 });
  return fc.oneof(
    { weight: 4, arbitrary: structured },
    { weight: 1, arbitrary: soup.map((pieces) => pieces.join(' ')) },
    { weight: 1, arbitrary: fc.string({ maxLength: 40, unit: 'binary' }) },
  );
}

/** A string comparison whose value carries a marker the SQL text must never contain. */
function markedComparison(): fc.Arbitrary<{ on: ResourceTypeId; path: string; op: CompareOperator; inner: string }> {
  const userPaths = ['userName', 'externalId', 'displayName', 'title', 'name.givenName', 'emails', 'emails.value', 'emails.type', 'groups.display', 'groups.value', 'id', 'meta.version', 'meta.resourceType', 'profileUrl', `${ENT}:department`, `${ENT}:manager.value`];
  const groupPaths = ['displayName', 'externalId', 'id', 'members', 'members.display', 'members.type'];
  const op = fc.constantFrom<CompareOperator>('eq', 'ne', 'co', 'sw', 'ew', 'gt', 'ge', 'lt', 'le');
  const inner = fc.string({ maxLength: 20, unit: 'binary' });
  return fc.oneof(
    fc.record({ on: fc.constant<ResourceTypeId>('User'), path: fc.constantFrom(...userPaths), op, inner }),
    fc.record({ on: fc.constant<ResourceTypeId>('Group'), path: fc.constantFrom(...groupPaths), op, inner }),
  );
}

type Kind = 'string' | 'boolean' | 'dateTime';

interface AttributeSpec {
  readonly path: AttrPath;
  readonly kind: Kind;
}

interface ValuePathSpec {
  readonly path: AttrPath;
  readonly subs: readonly { readonly name: string; readonly kind: Kind }[];
}

function s(attribute: string, subAttribute?: string, schema?: string): AttrPath {
  return { ...(schema === undefined ? {} : { schema }), attribute, ...(subAttribute === undefined ? {} : { subAttribute }) };
}

function attributeSpecs(on: ResourceTypeId): readonly AttributeSpec[] {
  if (on === 'Group') {
    return [
      { path: s('displayName'), kind: 'string' },
      { path: s('externalId'), kind: 'string' },
      { path: s('id'), kind: 'string' },
      { path: s('members'), kind: 'string' },
      { path: s('members', 'value'), kind: 'string' },
      { path: s('members', 'display'), kind: 'string' },
      { path: s('members', 'type'), kind: 'string' },
      { path: s('meta', 'created'), kind: 'dateTime' },
      { path: s('meta', 'lastModified'), kind: 'dateTime' },
      { path: s('meta', 'resourceType'), kind: 'string' },
    ];
  }
  return [
    { path: s('userName'), kind: 'string' },
    { path: s('externalId'), kind: 'string' },
    { path: s('displayName'), kind: 'string' },
    { path: s('title'), kind: 'string' },
    { path: s('nickName'), kind: 'string' },
    { path: s('profileUrl'), kind: 'string' },
    { path: s('name', 'givenName'), kind: 'string' },
    { path: s('name', 'familyName'), kind: 'string' },
    { path: s('active'), kind: 'boolean' },
    { path: s('emails'), kind: 'string' },
    { path: s('emails', 'type'), kind: 'string' },
    { path: s('emails', 'primary'), kind: 'boolean' },
    { path: s('phoneNumbers', 'value'), kind: 'string' },
    { path: s('addresses', 'locality'), kind: 'string' },
    { path: s('groups'), kind: 'string' },
    { path: s('groups', 'display'), kind: 'string' },
    { path: s('id'), kind: 'string' },
    { path: s('meta', 'created'), kind: 'dateTime' },
    { path: s('meta', 'lastModified'), kind: 'dateTime' },
    { path: s('meta', 'version'), kind: 'string' },
    { path: s('employeeNumber', undefined, ENT), kind: 'string' },
    { path: s('department', undefined, ENT), kind: 'string' },
    { path: s('manager', 'value', ENT), kind: 'string' },
  ];
}

function valuePathSpecs(on: ResourceTypeId): readonly ValuePathSpec[] {
  if (on === 'Group') {
    return [{ path: s('members'), subs: [{ name: 'value', kind: 'string' }, { name: 'display', kind: 'string' }, { name: 'type', kind: 'string' }] }];
  }
  return [
    { path: s('emails'), subs: [{ name: 'value', kind: 'string' }, { name: 'type', kind: 'string' }, { name: 'display', kind: 'string' }, { name: 'primary', kind: 'boolean' }] },
    { path: s('addresses'), subs: [{ name: 'locality', kind: 'string' }, { name: 'country', kind: 'string' }, { name: 'primary', kind: 'boolean' }] },
    { path: s('groups'), subs: [{ name: 'value', kind: 'string' }, { name: 'display', kind: 'string' }] },
    { path: s('name'), subs: [{ name: 'givenName', kind: 'string' }, { name: 'familyName', kind: 'string' }] },
    { path: s('manager', undefined, ENT), subs: [{ name: 'value', kind: 'string' }, { name: 'displayName', kind: 'string' }] },
  ];
}

/** A condition on one attribute with an operator and value that fit its type. */
function condition(path: AttrPath, kind: Kind): fc.Arbitrary<FilterAst> {
  const present = fc.constant<FilterAst>({ kind: 'present', path });
  switch (kind) {
    case 'boolean':
      return fc.oneof(present, fc.record({ kind: fc.constant('compare' as const), path: fc.constant(path), op: fc.constantFrom<CompareOperator>('eq', 'ne'), value: fc.boolean() }));
    case 'dateTime': {
      const instant = fc.date({ min: new Date('2022-01-01T00:00:00Z'), max: new Date('2026-01-01T00:00:00Z'), noInvalidDate: true }).map((date) => date.toISOString());
      const op = fc.constantFrom<CompareOperator>('eq', 'ne', 'gt', 'ge', 'lt', 'le');
      return fc.oneof(present, fc.record({ kind: fc.constant('compare' as const), path: fc.constant(path), op, value: instant }));
    }
    case 'string': {
      const value = fc.oneof(
        fc.constantFrom('alice', 'work', 'Engineer', 'EXT-001', '@example.com', 'Engineering', '%', '_', '\\', "'", 'ë', ''),
        fc.string({ maxLength: 8, unit: 'grapheme' }),
      );
      const op = fc.constantFrom<CompareOperator>('eq', 'ne', 'co', 'sw', 'ew', 'gt', 'ge', 'lt', 'le');
      return fc.oneof(present, fc.record({ kind: fc.constant('compare' as const), path: fc.constant(path), op, value }));
    }
    default: {
      const _never: never = kind;
      return _never;
    }
  }
}

function validFilter(on: ResourceTypeId): fc.Arbitrary<FilterAst> {
  const leaf = fc.constantFrom(...attributeSpecs(on)).chain((spec) => condition(spec.path, spec.kind));
  const valuePath = fc.constantFrom(...valuePathSpecs(on)).chain((spec) => {
    const inner = fc.constantFrom(...spec.subs).chain((sub) => condition({ attribute: sub.name }, sub.kind));
    const filter = fc.oneof(
      inner,
      fc.record({ kind: fc.constantFrom('and' as const, 'or' as const), left: inner, right: inner }),
      inner.map((operand): FilterAst => ({ kind: 'not', filter: operand })),
    );
    return filter.map((bracketed): FilterAst => ({ kind: 'valuePath', path: spec.path, filter: bracketed }));
  });
  const { tree } = fc.letrec<{ tree: FilterAst }>((tie) => ({
    tree: fc.oneof(
      { depthSize: 'small', withCrossShrink: true },
      leaf,
      valuePath,
      fc.record({ kind: fc.constantFrom('and' as const, 'or' as const), left: tie('tree'), right: tie('tree') }),
      tie('tree').map((operand): FilterAst => ({ kind: 'not', filter: operand })),
    ),
  }));
  return tree;
}

interface FilterCase {
  readonly on: ResourceTypeId;
  readonly filter: string;
  /** Keys of the matching users or groups, or the error the filter must be rejected with. */
  readonly expected: readonly string[] | 'invalidFilter';
}

/** Every user that is not deleted, in creation (and id) order. */
function everyUser(): string[] {
  return users().filter((user) => user.deleted !== true).map((user) => user.key);
}

function allUsersBut(...keys: string[]): string[] {
  return everyUser().filter((key) => !keys.includes(key));
}

function filterCases(): readonly FilterCase[] {
  const user = (filter: string, expected: readonly string[] | 'invalidFilter'): FilterCase => ({ on: 'User', filter, expected });
  const group = (filter: string, expected: readonly string[] | 'invalidFilter'): FilterCase => ({ on: 'Group', filter, expected });
  return [
    // userName: a column, case-insensitive.
    user('userName eq "alice@example.com"', ['alice']),
    user('userName eq "ALICE@EXAMPLE.COM"', ['alice']),
    user('USERNAME EQ "carol@example.com"', ['carol']),
    user('urn:ietf:params:scim:schemas:core:2.0:User:userName eq "Bob@Example.Com"', ['bob']),
    user('userName ne "alice@example.com"', allUsersBut('alice')),
    user('userName co "EXAMPLE"', everyUser()),
    user('userName sw "A"', ['alice']),
    user('userName ew "@EXAMPLE.COM"', everyUser()),
    user('userName co "%"', ['grace']),
    user('userName co "_"', ['frank']),
    user('userName sw "frank_"', ['frank']),
    user('userName sw "f_ank"', []),
    user('userName co "\\\\"', ['heidi']),
    user('userName eq "heidi\\\\backslash@example.com"', ['heidi']),
    user('userName gt "m"', ['mallory', 'niaj', 'oscar', 'zoe']),
    user('userName le "bob@example.com"', ['alice', 'bob']),
    user('userName lt "B"', ['alice']),
    user('userName ge "zoë@example.com"', ['zoe']),
    user('userName eq "ZOË@EXAMPLE.COM"', ['zoe']),
    user('userName eq "Zo\\u00eb@example.com"', ['zoe']),
    user('userName sw "zo"', ['zoe']),
    user('userName pr', everyUser()),
    // externalId: a nullable column, case-exact; unquoted values as Entra sends them.
    user('externalId eq "EXT-001"', ['alice']),
    user('externalId eq "ext-001"', ['bob']),
    user('externalId eq "Ext-001"', []),
    user('externalId eq abc', ['dave']),
    user('externalId eq 1234', ['erin']),
    user('externalId eq true', ['ivan']),
    user('externalId ne "EXT-001"', allUsersBut('alice')),
    user('externalId pr', allUsersBut('carol', 'oscar')),
    user('not (externalId pr)', ['carol', 'oscar']),
    user('externalId sw "EXT"', ['alice', 'judy']),
    user('externalId co "%"', ['grace']),
    user('externalId co "_"', ['frank']),
    user('externalId eq "C:\\\\path"', ['heidi']),
    user('externalId gt "a"', ['dave', 'bob', 'frank', 'grace', 'mallory', 'ivan', 'zoe']),
    user('externalId ew "ë-ext"', ['zoe']),
    user('externalId le "1234"', ['erin']),
    user('externalId ew "ext"', ['mallory', 'zoe']),
    user('externalId ew "EXT"', []),
    // displayName: a nullable column, case-insensitive; quotes in values.
    user('displayName eq "alice anderson"', ['alice']),
    user('displayName co "\\"The Quote\\""', ['erin']),
    user('displayName pr', allUsersBut('dave', 'heidi', 'oscar')),
    user('displayName ne "judy"', allUsersBut('judy')),
    user('displayName sw "g"', ['grace']),
    user('displayName ew "ANDERSON"', ['alice']),
    user('displayName lt "b"', ['alice']),
    // active: a boolean column.
    user('active eq true', allUsersBut('bob', 'ivan')),
    user('active eq false', ['bob', 'ivan']),
    user('active ne true', ['bob', 'ivan']),
    user('active eq "False"', ['bob', 'ivan']),
    user('active pr', everyUser()),
    // meta: timestamp columns and the version.
    user('meta.created gt "2024-12-31T23:59:59Z"', ['ivan', 'judy', 'mallory', 'niaj', 'oscar']),
    user('meta.created lt "2023-06-30T23:59:59.999Z"', ['alice', 'bob']),
    user('meta.created le "2023-06-30T23:59:59.999Z"', ['alice', 'bob', 'carol']),
    user('meta.created eq "2024-02-29T12:00:00Z"', ['erin']),
    user('meta.created ge "2025-02-01"', ['judy', 'mallory', 'niaj', 'oscar']),
    user('meta.created gt "2024-02-29T13:00:00+02:00"', allUsersBut('alice', 'bob', 'carol', 'dave')),
    user('meta.lastModified lt "2023-03-01T00:00:00Z"', ['alice']),
    user('meta.created gt "2024-01-01T00:00:00Z" and meta.created lt "2024-06-01T00:00:00Z"', ['erin', 'frank']),
    user('meta.version eq "W/\\"3\\""', ['alice']),
    user('meta.resourceType eq "User"', everyUser()),
    user('meta pr', everyUser()),
    user('meta.created ne "2024-02-29T12:00:00Z"', allUsersBut('erin')),
    user('meta.lastModified ge "2025-05-31T00:00:00Z"', ['oscar']),
    // Singular attributes in the JSON document.
    user('title eq "engineer"', ['alice', 'judy', 'niaj']),
    user('title ne "Engineer"', allUsersBut('alice', 'judy', 'niaj')),
    user('not (title eq "Engineer")', allUsersBut('alice', 'judy', 'niaj')),
    user('title pr', allUsersBut('carol', 'dave', 'mallory', 'oscar')),
    user('title co "%"', ['frank']),
    user('title co "\'"', ['ivan']),
    user('title eq "Back\\\\slash"', ['heidi']),
    user('title sw "ingé"', ['zoe']),
    user('title sw "INGÉ"', ['zoe']),
    user('title gt "m"', ['bob', 'erin', 'ivan']),
    user('title ew "ENGINEER"', ['alice', 'erin', 'judy', 'niaj']),
    user('nickName eq "mal" and userType eq "contractor"', ['mallory']),
    // An empty title is a value for comparisons; only `pr` treats it as absent.
    user('title lt "b"', ['dave', 'frank', 'grace']),
    user('title le "ADMIRAL"', ['dave', 'frank', 'grace']),
    user('title eq ""', ['dave']),
    user('title ge "senior engineer"', ['erin']),
    user('profileUrl pr', []),
    // Sub-attributes of a singular complex attribute.
    user('name.givenName eq "alice"', ['alice']),
    user('name.familyName pr', ['alice']),
    user('name.givenName sw "Z"', ['zoe']),
    user('name pr', ['alice', 'zoe']),
    user('name[givenName eq "Alice" and familyName eq "Anderson"]', ['alice']),
    user('name.givenName co "LIC"', ['alice']),
    user('name.givenName ew "Ë"', ['zoe']),
    user('name.givenName ne "alice"', allUsersBut('alice')),
    user('name.givenName gt "b"', ['zoe']),
    // The enterprise extension, URN-qualified.
    user(`${ENT}:employeeNumber eq "1001"`, ['alice']),
    user(`${ENT}:department eq "r&d"`, ['alice']),
    user(`${ENT}:department ne "Sales"`, allUsersBut('bob')),
    user(`${ENT}:manager.value eq "M-1"`, ['alice']),
    user(`${ENT}:manager.value pr`, ['alice', 'mallory']),
    user(`${ENT}:manager pr`, ['alice', 'mallory']),
    user(`${ENT}:manager[value eq "m-1"]`, ['alice']),
    user(`${ENT}:organization pr or ${ENT}:division eq "eng"`, ['grace']),
    user(`${ENT.toUpperCase()}:EMPLOYEENUMBER sw "100"`, ['alice', 'bob']),
    user(`${ENT}:department co "&"`, ['alice']),
    user(`${ENT}:employeeNumber ew "2"`, ['bob']),
    user(`${ENT}:employeeNumber lt "1002"`, ['alice']),
    user(`${ENT}:employeeNumber ge "1002"`, ['bob']),
    // Multi-valued attributes: any one value; a value path: one and the same value.
    user('emails eq "alice@work.example"', ['alice']),
    user('emails.value eq "bob@work.example"', ['bob']),
    user('emails.value co "@work."', ['alice', 'bob', 'erin', 'frank', 'zoe', 'ivan', 'mallory', 'niaj']),
    user('emails.type eq "work"', ['alice', 'bob', 'erin', 'grace', 'zoe', 'ivan', 'mallory', 'niaj']),
    user('emails[type eq "work" and value co "home"]', []),
    user('emails.type eq "work" and emails.value co "home"', ['alice', 'ivan', 'niaj']),
    user('emails[type eq "work"].value eq "frank@work.example"', []),
    user('emails[type eq "home"].value eq "frank@work.example"', ['frank']),
    user('emails[primary eq true]', ['alice', 'erin', 'grace', 'ivan']),
    user('emails[primary eq true and type eq "other"]', ['erin']),
    user('emails[type eq "work" and primary eq true]', ['alice', 'grace']),
    user('emails.primary eq false', ['erin']),
    user('emails.primary ne true', allUsersBut('alice', 'erin', 'grace', 'ivan')),
    user('emails ne "alice@work.example"', allUsersBut('alice')),
    user('emails pr', ['alice', 'bob', 'erin', 'frank', 'grace', 'zoe', 'ivan', 'mallory', 'niaj']),
    user('not (emails pr)', ['carol', 'dave', 'heidi', 'judy', 'oscar']),
    user('emails.display pr', ['mallory']),
    user('emails[not (type eq "work")]', ['alice', 'erin', 'frank', 'ivan', 'niaj']),
    user('emails[type eq "work" or type eq "other"].value ew ".EXAMPLE"', ['alice', 'bob', 'erin', 'grace', 'zoe', 'ivan', 'mallory', 'niaj']),
    user('emails.value eq "ZOË@WORK.EXAMPLE"', ['zoe']),
    user('emails.value sw "IVAN@"', ['ivan']),
    user('emails.value ew "@NAVY.EXAMPLE"', ['grace']),
    user('emails.value lt "b"', ['alice']),
    user('emails.value gt "n"', ['niaj', 'zoe']),
    user('emails[type ne "work"]', ['alice', 'erin', 'frank', 'ivan', 'niaj']),
    user('emails[value ge "m" and type eq "work"]', ['mallory', 'niaj', 'zoe']),
    user('active eq true and not (emails pr)', ['carol', 'dave', 'heidi', 'judy', 'oscar']),
    user('phoneNumbers[type eq "mobile"]', ['bob']),
    user('phoneNumbers.value co " 555 "', ['bob']),
    user('addresses[locality eq "berlin" and country eq "DE"]', ['mallory']),
    user('addresses[locality eq "berlin" and country eq "FR"]', []),
    // groups: derived from memberships.
    user('groups eq "{eng}"', ['alice', 'erin', 'zoe', 'niaj']),
    user('groups.value eq "{ENG}"', []),
    user('groups.value sw "{eng}"', ['alice', 'erin', 'zoe', 'niaj']),
    user('groups.display eq "engineering"', ['alice', 'erin', 'zoe', 'niaj']),
    user('groups[display sw "Adm"]', ['alice', 'grace']),
    user('groups[value eq "{admins}" and display eq "Admins"]', ['alice', 'grace']),
    user('groups[value eq "{admins}" and display eq "Sales"]', []),
    user('groups pr', ['alice', 'bob', 'erin', 'grace', 'zoe', 'ivan', 'niaj']),
    user('not (groups pr)', ['carol', 'dave', 'frank', 'heidi', 'judy', 'mallory', 'oscar']),
    user('groups.display ne "Engineering"', allUsersBut('alice', 'erin', 'zoe', 'niaj')),
    user('groups.display eq "ÜNÏCODE TEAM"', ['zoe', 'ivan']),
    user('groups.type eq "direct"', ['alice', 'bob', 'erin', 'grace', 'zoe', 'ivan', 'niaj']),
    user('groups.display ew "TEAM"', ['zoe', 'ivan']),
    user('groups.display gt "f"', ['bob', 'zoe', 'ivan']),
    user('groups.display co "_"', []),
    user('groups.display eq "Old Team"', []),
    user('groups eq "{old}"', []),
    // id: case-exact.
    user('id eq "{alice}"', ['alice']),
    user('id eq "{ALICE}"', []),
    user('id ne "{alice}"', allUsersBut('alice')),
    user('id pr', everyUser()),
    user('id sw "abcdef00"', everyUser()),
    user('id co "ABCDEF"', []),
    // Precedence: not, then and, then or; parentheses group.
    user('title eq "Engineer" or active eq false and userName sw "bob"', ['alice', 'judy', 'niaj', 'bob']),
    user('(title eq "Engineer" or active eq false) and userName sw "bob"', ['bob']),
    user('not (active eq true) and title pr', ['bob', 'ivan']),
    user('not (active eq true and title pr)', ['bob', 'ivan', 'carol', 'dave', 'mallory', 'oscar']),
    user('not (not (userName eq "bob@example.com"))', ['bob']),
    user('userName eq "alice@example.com" or userName eq "bob@example.com" or userName eq "carol@example.com"', ['alice', 'bob', 'carol']),
    user('title pr and not (title co "engineer") and active eq true', ['frank', 'grace', 'heidi', 'zoe']),
    user('((userName sw "a"))', ['alice']),
    user('userName sw "a" OR userName sw "b" AND active eq true', ['alice']),
    user('not (title ne "Admiral")', ['grace']),

    // Groups.
    group('displayName eq "engineering"', ['eng']),
    group('DISPLAYNAME eq "ENGINEERING"', ['eng']),
    group('displayName eq "ünïcode team"', ['unicode']),
    group('displayName sw "Ü"', ['unicode']),
    group('displayName gt "E"', ['eng', 'sales', 'empty', 'unicode']),
    group('displayName ne "Sales"', ['eng', 'admins', 'empty', 'unicode']),
    group('externalId eq "grp-sales"', []),
    group('externalId eq "GRP-SALES"', ['sales']),
    group('externalId eq grp-eng', ['eng']),
    group('externalId pr', ['eng', 'sales', 'empty', 'unicode']),
    group('externalId ne "grp-eng"', ['sales', 'admins', 'empty', 'unicode']),
    group('externalId co "_"', ['unicode']),
    group('members eq "{alice}"', ['eng', 'admins']),
    group('members.value eq "{bob}"', ['sales']),
    group('members.value eq "{BOB}"', []),
    group('members.display eq "ALICE@example.com"', ['eng', 'admins']),
    group('members.display co "%"', ['admins']),
    group('members[value eq "{zoe}"]', ['eng', 'unicode']),
    group('members[display sw "zo" and value eq "{zoe}"]', ['eng', 'unicode']),
    group('members[display sw "bob" and value eq "{zoe}"]', []),
    group('members pr', ['eng', 'sales', 'admins', 'unicode']),
    group('not (members pr)', ['empty']),
    group('members.value ne "{alice}"', ['sales', 'empty', 'unicode']),
    group('members.type eq "User"', ['eng', 'sales', 'admins', 'unicode']),
    group('meta.created gt "2024-01-01T00:00:00Z"', ['admins', 'empty', 'unicode']),
    group('id eq "{eng}" or id eq "{sales}"', ['eng', 'sales']),
    group('meta.resourceType eq "User"', []),
    group('displayName lt "b"', ['admins']),
    group('displayName le "Admins"', ['admins']),
    group('displayName co "GROUP"', ['empty']),
    group('displayName ew "team"', ['unicode']),
    group('externalId sw "grp"', ['eng', 'empty', 'unicode']),
    group('externalId gt "grp-f"', ['unicode']),
    group('members.display ew "@EXAMPLE.COM"', ['eng', 'sales', 'admins', 'unicode']),
    group('members.display lt "b"', ['eng', 'admins']),
    group('members.value co "-"', ['eng', 'sales', 'admins', 'unicode']),
    group('members[type eq "user" and display eq "bob@example.com"]', ['sales']),
    group('members.display eq "ghost@example.com"', []),
    group('members.value eq "{ghost}"', []),
    group('displayName eq "Old Team"', []),

    // Rejected by the parser or the resolver.
    user('', 'invalidFilter'),
    user('userName', 'invalidFilter'),
    user('userName eq', 'invalidFilter'),
    user('userName xx "a"', 'invalidFilter'),
    user('userName eq "a" and', 'invalidFilter'),
    user('(userName eq "a"', 'invalidFilter'),
    user('userName eq "a")', 'invalidFilter'),
    user('userName eq "unterminated', 'invalidFilter'),
    user('userName eq "\\q"', 'invalidFilter'),
    user('not userName eq "x"', 'invalidFilter'),
    user('unknownAttr eq "x"', 'invalidFilter'),
    user('name.unknown eq "x"', 'invalidFilter'),
    user('name eq "x"', 'invalidFilter'),
    user('employeeNumber eq "1001"', 'invalidFilter'),
    user('urn:ietf:params:scim:schemas:extension:other:2.0:User:x eq "1"', 'invalidFilter'),
    user('password eq "secret"', 'invalidFilter'),
    user('active gt true', 'invalidFilter'),
    user('active co "t"', 'invalidFilter'),
    user('active eq "yes"', 'invalidFilter'),
    user('meta.created gt "yesterday"', 'invalidFilter'),
    user('meta.created eq "2024-13-01"', 'invalidFilter'),
    user('meta.created co "2024"', 'invalidFilter'),
    user('userName eq null', 'invalidFilter'),
    user('title eq 1.5', 'invalidFilter'),
    user('emails[type eq "work"', 'invalidFilter'),
    user('emails[type eq "work" and emails[value pr]]', 'invalidFilter'),
    user('emails.value[type eq "work"]', 'invalidFilter'),
    user('userName[value eq "x"]', 'invalidFilter'),
    // Rejected by the compiler: the read model has no such value.
    user('meta.location pr', 'invalidFilter'),
    user('groups.$ref eq "x"', 'invalidFilter'),
    user('userName eq "a\\u0000b"', 'invalidFilter'),
    group('userName eq "x"', 'invalidFilter'),
    group('members.$ref pr', 'invalidFilter'),
    group('members[value eq "x"', 'invalidFilter'),
  ];
}

interface UserRow {
  readonly key: string;
  readonly id: string;
  readonly revision: number;
  readonly userName: string;
  readonly externalId: string | null;
  readonly displayName: string | null;
  readonly active: boolean;
  readonly created: string;
  readonly attributes: Record<string, unknown>;
  readonly deleted?: boolean;
}

interface GroupRow {
  readonly key: string;
  readonly id: string;
  readonly displayName: string;
  readonly externalId: string | null;
  readonly created: string;
  readonly members: readonly string[];
  readonly deleted?: boolean;
}

/** Fixed ids in the order of `n`, so ties in a sort break predictably. */
function id(n: number): string {
  return `abcdef00-0000-4000-8000-${n.toString(16).padStart(12, '0')}`;
}

async function insertFixedData(schema: string): Promise<void> {
  for (const user of users()) {
    const lastModified = new Date(Date.parse(user.created) + 30 * 24 * 3600 * 1000).toISOString();
    await db.pool.query(
      `INSERT INTO "${schema}".users (id, revision, user_name, external_id, display_name, active, account_id, attributes, created, last_modified, deleted)
       VALUES ($1, $2, $3, $4, $5, $6, $1, $7, $8, $9, $10)`,
      [user.id, user.revision, user.userName, user.externalId, user.displayName, user.active, JSON.stringify(user.attributes), user.created, lastModified, user.deleted === true],
    );
  }
  for (const group of groups()) {
    await db.pool.query(
      `INSERT INTO "${schema}".groups (id, revision, display_name, external_id, created, last_modified, deleted) VALUES ($1, 1, $2, $3, $4, $4, $5)`,
      [group.id, group.displayName, group.externalId, group.created, group.deleted === true],
    );
    for (const member of group.members) {
      await db.pool.query(`INSERT INTO "${schema}".group_members (group_id, user_id) VALUES ($1, $2)`, [group.id, nameToId(member)]);
    }
  }
}

function nameToId(key: string): string {
  const user = users().find((candidate) => candidate.key === key);
  if (user === undefined) throw new Error(`no user ${key}`);
  return user.id;
}

/** Ids in key order, so ties in a sort break by creation order of this list. */
function users(): readonly UserRow[] {
  const row = (n: number, key: string, fields: Omit<UserRow, 'key' | 'id' | 'revision'> & { revision?: number }): UserRow => ({
    key,
    id: id(n),
    revision: 1,
    ...fields,
  });
  return [
    row(1, 'alice', {
      userName: 'Alice@Example.com', externalId: 'EXT-001', displayName: 'Alice Anderson', active: true, revision: 3, created: '2023-01-15T10:00:00.000Z',
      attributes: {
        title: 'Engineer',
        name: { givenName: 'Alice', familyName: 'Anderson', formatted: 'Alice Anderson' },
        emails: [{ value: 'alice@work.example', type: 'work', primary: true }, { value: 'alice@home.example', type: 'home' }],
        [ENT]: { employeeNumber: '1001', department: 'R&D', costCenter: 'CC-1', manager: { value: 'm-1', displayName: 'Boss' } },
      },
    }),
    row(2, 'bob', {
      userName: 'bob@example.com', externalId: 'ext-001', displayName: 'Bob Brown', active: false, created: '2023-03-01T08:30:00.000Z',
      attributes: {
        title: 'Manager',
        emails: [{ value: 'BOB@Work.Example', type: 'work' }],
        phoneNumbers: [{ value: '+1 555 0100', type: 'mobile' }],
        [ENT]: { employeeNumber: '1002', department: 'Sales' },
      },
    }),
    row(3, 'carol', { userName: 'CAROL@EXAMPLE.COM', externalId: null, displayName: 'Carol Clark', active: true, created: '2023-06-30T23:59:59.999Z', attributes: { emails: [] } }),
    row(4, 'dave', { userName: 'dave@example.com', externalId: 'abc', displayName: null, active: true, created: '2024-01-01T00:00:00.000Z', attributes: { title: '' } }),
    row(5, 'erin', {
      userName: 'erin@example.com', externalId: '1234', displayName: 'Erin "The Quote" Evans', active: true, created: '2024-02-29T12:00:00.000Z',
      attributes: {
        title: 'Senior Engineer',
        emails: [{ value: 'erin@work.example', type: 'work', primary: false }, { value: 'erin@other.example', type: 'other', primary: true }],
      },
    }),
    row(6, 'frank', {
      userName: 'frank_ops@example.com', externalId: 'ext_underscore', displayName: 'Frank Ops', active: true, created: '2024-05-05T05:05:05.000Z',
      attributes: { title: '100% Remote', emails: [{ value: 'frank@work.example', type: 'home' }] },
    }),
    row(7, 'grace', {
      userName: 'grace%admin@example.com', externalId: 'ext%percent', displayName: 'Grace Hopper', active: true, created: '2024-07-07T07:07:07.000Z',
      attributes: { title: 'Admiral', emails: [{ value: 'grace@navy.example', type: 'work', primary: true }], [ENT]: { organization: 'Navy', division: 'Eng' } },
    }),
    row(8, 'heidi', {
      userName: 'heidi\\backslash@example.com', externalId: 'C:\\path', displayName: null, active: true, created: '2024-09-09T09:09:09.000Z',
      attributes: { title: 'Back\\slash' },
    }),
    row(9, 'zoe', {
      userName: 'Zoë@example.com', externalId: 'zoë-ext', displayName: 'Zoë Zimmermann', active: true, created: '2024-10-10T10:10:10.000Z',
      attributes: { title: 'Ingénieure', name: { givenName: 'Zoë' }, emails: [{ value: 'zoë@work.example', type: 'work' }] },
    }),
    row(10, 'ivan', {
      userName: 'ivan@example.com', externalId: 'true', displayName: 'Ivan', active: false, created: '2025-01-01T00:00:00.000Z',
      attributes: {
        title: "O'Brien's aide",
        emails: [{ value: 'ivan@work.example', type: 'work' }, { value: 'ivan@home.example', type: 'home', primary: true }],
      },
    }),
    // Bad data the projection might hold: emails that are not an array match nothing and never fail.
    row(11, 'judy', { userName: 'judy@example.com', externalId: 'EXT-011', displayName: 'judy', active: true, created: '2025-02-01T00:00:00.000Z', attributes: { title: 'engineer', emails: 'not-an-array' } }),
    row(12, 'mallory', {
      userName: 'mallory@example.com', externalId: 'mal-ext', displayName: 'Mallory', active: true, created: '2025-03-01T00:00:00.000Z',
      attributes: {
        nickName: 'Mal',
        userType: 'Contractor',
        addresses: [{ locality: 'Berlin', country: 'DE', type: 'work' }],
        emails: [{ value: 'mallory@work.example', type: 'work', display: 'Mallory W' }],
        [ENT]: { manager: { value: 'alice-id' } },
      },
    }),
    row(13, 'niaj', {
      userName: 'NIAJ@example.com', externalId: 'Ext-013', displayName: 'Niaj', active: true, created: '2025-04-01T00:00:00.000Z',
      attributes: { title: 'Engineer', emails: [{ value: 'niaj@home.example', type: 'home' }, { value: 'niaj@work.example', type: 'work' }] },
    }),
    row(14, 'oscar', { userName: 'oscar@example.com', externalId: null, displayName: null, active: true, created: '2025-05-01T00:00:00.000Z', attributes: {} }),
    // A tombstone, with a membership the projection has not removed yet: no query may see either.
    row(15, 'ghost', {
      userName: 'ghost@example.com', externalId: 'EXT-GHOST', displayName: 'Ghost', active: false, created: '2025-06-01T00:00:00.000Z', deleted: true,
      attributes: { title: 'Engineer', emails: [{ value: 'ghost@work.example', type: 'work' }] },
    }),
  ];
}

function groups(): readonly GroupRow[] {
  return [
    { key: 'eng', id: id(101), displayName: 'Engineering', externalId: 'grp-eng', created: '2023-02-01T00:00:00.000Z', members: ['alice', 'erin', 'zoe', 'niaj'] },
    { key: 'sales', id: id(102), displayName: 'Sales', externalId: 'GRP-SALES', created: '2023-04-01T00:00:00.000Z', members: ['bob', 'ghost'] },
    { key: 'admins', id: id(103), displayName: 'Admins', externalId: null, created: '2024-01-15T00:00:00.000Z', members: ['alice', 'grace'] },
    { key: 'empty', id: id(104), displayName: 'Empty Group', externalId: 'grp-empty', created: '2024-06-01T00:00:00.000Z', members: [] },
    { key: 'unicode', id: id(105), displayName: 'Ünïcode Team', externalId: 'grp_under', created: '2025-01-10T00:00:00.000Z', members: ['zoe', 'ivan'] },
    { key: 'old', id: id(106), displayName: 'Old Team', externalId: 'grp-old', created: '2022-01-01T00:00:00.000Z', members: ['alice', 'ghost'], deleted: true },
  ];
}
