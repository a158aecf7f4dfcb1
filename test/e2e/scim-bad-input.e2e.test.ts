import zlib from 'node:zlib';
import request from 'supertest';
import { ENTERPRISE, ERROR, GROUP_SCHEMA, SCIM_TOKEN, newUser, patchOp, startScimApi, type ScimApiUnderTest } from '../helpers/scim-api';
import { bodyWith, everySchemaPath, writableStringPaths } from '../helpers/schema-paths';

const LIST = 'urn:ietf:params:scim:api:messages:2.0:ListResponse';
const UNSTORABLE = 'holds U+0000 or an unpaired UTF-16 surrogate, which no attribute can store';

/** Bad input of every kind is a 4xx SCIM error and appends nothing; never a 500 (scim-behaviour.md). */
describe('SCIM bad input', () => {
  let api: ScimApiUnderTest;
  let userId: string;
  let groupId: string;
  beforeAll(async () => {
    api = await startScimApi('scim_bad_input');
    userId = (await api.scim('post', '/Users', newUser('target@example.com', { [ENTERPRISE]: { employeeNumber: 'E-1' } }))).body.id;
    await api.scim('post', '/Users', newUser('second@example.com'));
    groupId = (await api.scim('post', '/Groups', { schemas: [GROUP_SCHEMA], displayName: 'Targets', members: [{ value: userId }] })).body.id;
  });
  afterAll(async () => {
    await api.close();
  });

  /** Runs `work` and checks that no event was appended meanwhile. */
  async function appendsNothing(work: () => Promise<void>): Promise<void> {
    const before = await api.store.headPosition();
    await work();
    expect(await api.store.headPosition()).toEqual(before);
  }

  function expectError(res: request.Response, status: number, scimType: string | undefined, detail: string): void {
    expect(res.headers['content-type']).toBe('application/scim+json; charset=utf-8');
    expect({ status: res.status, body: res.body as unknown }).toEqual({
      status,
      body: { schemas: [ERROR], status: String(status), ...(scimType ? { scimType } : {}), detail },
    });
  }

  describe('a malformed %-escape in a path segment', () => {
    it.each([
      ['get', '/Users/%'],
      ['get', '/Users/%E0%A4%A'],
      ['put', '/Users/%zz'],
      ['patch', '/Groups/%'],
      ['delete', '/Groups/%ED%A0%'],
      ['get', '/Schemas/%'],
    ] as const)('%s %s: 400 invalidSyntax', async (method, path) => {
      await appendsNothing(async () => {
        expectError(await api.scim(method, path), 400, 'invalidSyntax', 'the URL path holds a malformed %-escape (RFC 3986 §2.1)');
      });
    });
  });

  describe('sortBy on every attribute path', () => {
    it('answers GET /Users?sortBy=meta.resourceType with the list (the same value for every user: unsorted is allowed)', async () => {
      const res = await api.scim('get', '/Users?sortBy=meta.resourceType&attributes=userName');
      expect(res.status).toBe(200);
      expect(res.body).toMatchObject({ schemas: [LIST], totalResults: 2, itemsPerPage: 2 });
      expect(res.body.Resources.map((u: { userName: string }) => u.userName).sort()).toEqual(['second@example.com', 'target@example.com']);
    });

    it.each(['Users', 'Groups'] as const)('on /%s answers 200 or 400 invalidValue for every path, in both orders', async (endpoint) => {
      const paths = everySchemaPath(endpoint === 'Users' ? 'User' : 'Group');
      const outcomes = new Map<number, number>();
      for (const { path } of paths) {
        for (const sortOrder of ['ascending', 'descending']) {
          const res = await api.scim('get', `/${endpoint}?sortBy=${encodeURIComponent(path)}&sortOrder=${sortOrder}&count=1`);
          outcomes.set(res.status, (outcomes.get(res.status) ?? 0) + 1);
          if (res.status === 200) expect(res.body).toMatchObject({ schemas: [LIST], totalResults: endpoint === 'Users' ? 2 : 1, itemsPerPage: 1 });
          else expect(res.body).toMatchObject({ schemas: [ERROR], status: '400', scimType: 'invalidValue', detail: expect.stringContaining(path) });
        }
      }
      expect([...outcomes.keys()].sort()).toEqual([200, 400]);
    });
  });

  describe('a date-time outside what the service holds', () => {
    it.each([
      ['meta.created gt "0000-01-01"', `'meta.created': "0000-01-01" is outside the date-times the service holds (years 0001 to 9999, UTC)`],
      ['meta.lastModified lt "9999-12-31T23:59:59-23:59"', `'meta.lastModified': "9999-12-31T23:59:59-23:59" is outside the date-times the service holds (years 0001 to 9999, UTC)`],
    ])('filter=%s: 400 invalidFilter', async (filter, detail) => {
      expectError(await api.scim('get', `/Users?filter=${encodeURIComponent(filter)}`), 400, 'invalidFilter', detail);
      expectError(await api.scim('get', `/Groups?filter=${encodeURIComponent(filter)}`), 400, 'invalidFilter', detail);
    });

    it('answers the edges of the range', async () => {
      const res = await api.scim('get', `/Users?filter=${encodeURIComponent('meta.created gt "0001-01-01" and meta.created lt "9999-12-31T23:59:59Z"')}`);
      expect(res.body).toMatchObject({ schemas: [LIST], totalResults: 2 });
    });
  });

  describe('Content-Encoding', () => {
    const raw = (method: 'post' | 'put', path: string, body: Buffer, headers: Record<string, string>) => {
      let test = request(api.app)[method](`/scim/v2${path}`).set('Authorization', `Bearer ${SCIM_TOKEN}`).set('Content-Type', 'application/scim+json');
      for (const [name, value] of Object.entries(headers)) test = test.set(name, value);
      return test.serialize((bytes: unknown) => bytes as string).send(body);
    };

    it('answers POST /Users with Content-Encoding: gzip and a body that is not gzip with 400 invalidSyntax', async () => {
      await appendsNothing(async () => {
        expectError(await raw('post', '/Users', Buffer.from('{}'), { 'Content-Encoding': 'gzip' }), 400, 'invalidSyntax', 'the request body does not decode as its Content-Encoding says');
      });
    });

    it.each([
      ['gzip', zlib.gzipSync],
      ['deflate', zlib.deflateSync],
      ['br', zlib.brotliCompressSync],
    ] as const)('creates a user from a %s body, and refuses one cut short', async (encoding, encode) => {
      const body = Buffer.from(JSON.stringify(newUser(`${encoding}@example.com`)));
      await appendsNothing(async () => {
        const cut = await raw('post', '/Users', encode(body).subarray(0, 10), { 'Content-Encoding': encoding });
        expect(cut.body).toMatchObject({ schemas: [ERROR], status: '400', scimType: 'invalidSyntax' });
      });
      const res = await raw('post', '/Users', encode(body), { 'Content-Encoding': encoding });
      expect(res.status).toBe(201);
      expect(res.body.userName).toBe(`${encoding}@example.com`);
      await api.scim('delete', `/Users/${res.body.id}`);
    });

    it('answers bodies whose userNames differ only in bytes that are not UTF-8 with 400 invalidSyntax, never creating one as U+FFFD', async () => {
      const named = (bytes: number[]) =>
        Buffer.concat([Buffer.from('{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"utf8-'), Buffer.from(bytes), Buffer.from('@example.com"}')]);
      await appendsNothing(async () => {
        for (const bytes of [[0xff], [0xfe], [0xc0, 0x80]]) {
          expectError(await raw('post', '/Users', named(bytes), {}), 400, 'invalidSyntax', 'the body is not valid UTF-8');
        }
        expectError(await raw('put', `/Users/${userId}`, named([0xed, 0xa0, 0x80]), {}), 400, 'invalidSyntax', 'the body is not valid UTF-8');
      });
    });

    it('answers an unknown encoding with 415', async () => {
      expectError(await raw('put', `/Users/${userId}`, Buffer.from('{}'), { 'Content-Encoding': 'compress' }), 415, undefined, 'unsupported Content-Encoding; send the body as identity, gzip, deflate or br');
    });
  });

  describe('U+0000 or a lone surrogate in any stored string', () => {
    it('answers "title":"\\u0000" and "displayName":"\\ud800" with 400 invalidValue naming the place', async () => {
      await appendsNothing(async () => {
        expectError(await api.scim('post', '/Users', JSON.stringify(newUser('nul@example.com')).replace(/}$/, ',"title":"\\u0000"}')), 400, 'invalidValue', `the string at $.title ${UNSTORABLE}`);
        expectError(await api.scim('post', '/Groups', '{"displayName":"\\ud800"}'), 400, 'invalidValue', `the string at $.displayName ${UNSTORABLE}`);
      });
    });

    describe.each([
      ['U+0000', 'x\u0000y'],
      ['a lone surrogate', '\ud800'],
    ])('with %s', (_name, bad) => {
      it('refuses it in every writable string attribute of a User, by POST, PUT and PATCH', async () => {
        const paths = writableStringPaths('User');
        expect(paths.length).toBeGreaterThanOrEqual(45);
        await appendsNothing(async () => {
          for (const [i, schemaPath] of paths.entries()) {
            const { body, location } = bodyWith(schemaPath, bad);
            const detail = `the string at ${location} ${UNSTORABLE}`;
            expectError(await api.scim('post', '/Users', { ...newUser(`p${i}@example.com`), ...body }), 400, 'invalidValue', detail);
            expectError(await api.scim('put', `/Users/${userId}`, { ...newUser('target@example.com'), ...body }), 400, 'invalidValue', detail);
            expectError(
              await api.scim('patch', `/Users/${userId}`, patchOp({ op: 'replace', path: schemaPath.path, value: bad })),
              400,
              'invalidValue',
              `the string at $.Operations[0].value ${UNSTORABLE}`,
            );
          }
        });
      });

      it('refuses it in every writable string attribute of a Group, by POST, PUT and PATCH', async () => {
        await appendsNothing(async () => {
          for (const schemaPath of writableStringPaths('Group')) {
            const { body, location } = bodyWith(schemaPath, bad);
            const detail = `the string at ${location} ${UNSTORABLE}`;
            expectError(await api.scim('post', '/Groups', { schemas: [GROUP_SCHEMA], displayName: 'New', ...body }), 400, 'invalidValue', detail);
            expectError(await api.scim('put', `/Groups/${groupId}`, { schemas: [GROUP_SCHEMA], displayName: 'Targets', ...body }), 400, 'invalidValue', detail);
            expectError(
              await api.scim('patch', `/Groups/${groupId}`, patchOp({ op: 'add', value: body })),
              400,
              'invalidValue',
              `the string at $.Operations[0].value${location.slice(1)} ${UNSTORABLE}`,
            );
          }
        });
      });
    });
  });

  describe('U+0000 or a lone surrogate in a filter\'s string literal', () => {
    it.each([
      'emails[type eq "\\ud800"].value',
      'emails[type eq "\\u0000"].value',
      'emails[type eq "home" and display eq "\\udfff"].value',
    ])('answers a replace of %s, which matches nothing, with 400 invalidPath and appends nothing', async (path) => {
      const offset = path.lastIndexOf('"\\u');
      await appendsNothing(async () => {
        expectError(
          await api.scim('patch', `/Users/${userId}`, patchOp({ op: 'replace', path, value: 'a@example.com' })),
          400,
          'invalidPath',
          `Operations[0]: invalid path '${path}': the value at offset ${offset} ${UNSTORABLE}`,
        );
      });
    });

    it('answers a list filter holding one with 400 invalidFilter', async () => {
      const res = await api.scim('get', `/Users?filter=${encodeURIComponent('emails[type eq "\\ud800"]')}`);
      expectError(res, 400, 'invalidFilter', `the value at offset 15 ${UNSTORABLE}`);
      const search = await api.scim('post', '/Groups/.search', { filter: 'displayName eq "a\\u0000"' });
      expectError(search, 400, 'invalidFilter', `the value at offset 15 ${UNSTORABLE}`);
    });
  });

  describe('list parameters of the wrong type or size', () => {
    it('answers POST /Users/.search {"count":{"toString":false}} with 400 invalidValue', async () => {
      expectError(await api.scim('post', '/Users/.search', { count: { toString: false } }), 400, 'invalidValue', 'count must be an integer');
    });

    it.each([
      ['/Users/.search', { startIndex: { valueOf: 3 } }, 'startIndex must be an integer'],
      ['/Groups/.search', { filter: ['displayName pr'] }, 'filter must be one string'],
      ['/Users/.search', { attributes: [{ toString: false }] }, 'attributes must be a comma-separated list of attribute names, or an array of them'],
      ['/Users/.search', { sortOrder: true }, 'sortOrder must be one string'],
    ])('POST %s %j: 400 invalidValue', async (path, body, detail) => {
      expectError(await api.scim('post', path, body), 400, 'invalidValue', detail);
    });

    it('answers a SearchRequest that is not an object with 400 invalidSyntax', async () => {
      expectError(await api.scim('post', '/Users/.search', '[1]'), 400, 'invalidSyntax', 'a SearchRequest body must be a JSON object (RFC 7644 §3.4.3)');
    });

    it('answers a repeated query parameter with 400 invalidValue', async () => {
      expectError(await api.scim('get', '/Users?count=1&count=2'), 400, 'invalidValue', 'count must be an integer');
    });

    it('clamps numbers of any size', async () => {
      const far = await api.scim('get', '/Users?startIndex=99999999999999999999&count=99999999999999999999');
      expect(far.body).toEqual({ schemas: [LIST], totalResults: 2, startIndex: Number.MAX_SAFE_INTEGER, itemsPerPage: 0, Resources: [] });
      const negative = await api.scim('post', '/Users/.search', { startIndex: -1e300, count: -1e300 });
      expect(negative.body).toEqual({ schemas: [LIST], totalResults: 2, startIndex: 1, itemsPerPage: 0 });
    });
  });

  describe('other bodies and headers', () => {
    it.each([
      ['a body nested 100,000 levels', `{"userName":"deep@example.com","title":${'['.repeat(100_000)}${']'.repeat(100_000)}}`, 'application/scim+json', 400, 'invalidSyntax', 'the request body nests deeper than 32 levels'],
      ['a text/plain body', '{"userName":"plain@example.com"}', 'text/plain', 415, undefined, 'Content-Type "text/plain" is not JSON; send application/scim+json (RFC 7644 §3.1) or application/json'],
      ['a latin1 body', '{"userName":"latin@example.com"}', 'application/json; charset=latin1', 415, undefined, 'unsupported charset; send the body as UTF-8'],
      ['malformed JSON', '{"userName":', 'application/scim+json', 400, 'invalidSyntax', 'the request body is not valid JSON'],
    ])('answers POST /Users with %s', async (_name, body, type, status, scimType, detail) => {
      await appendsNothing(async () => {
        const res = await request(api.app).post('/scim/v2/Users').set('Authorization', `Bearer ${SCIM_TOKEN}`).set('Content-Type', type).send(body);
        expectError(res, status, scimType, detail);
      });
    });

    it('answers an If-Match revision past what a stream can hold with 412', async () => {
      await appendsNothing(async () => {
        const res = await api.scim('patch', `/Users/${userId}`, patchOp({ op: 'replace', path: 'title', value: 'x' }), { 'If-Match': 'W/"9223372036854775808"' });
        expect(res.status).toBe(412);
        expect(res.body).toMatchObject({ schemas: [ERROR], status: '412' });
      });
    });
  });

  describe('a filter value in single quotes (RFC 7644 §3.4.2.2: values are JSON strings)', () => {
    it("answers filter=userName eq 'jdoe@example.com' with 400 invalidFilter naming the quote", async () => {
      const res = await api.scim('get', `/Users?filter=${encodeURIComponent("userName eq 'target@example.com'")}`);
      expectError(res, 400, 'invalidFilter', `the value at offset 12 is in single quotes ('); RFC 7644 §3.4.2.2 values are JSON strings in double quotes: write it as "target@example.com"`);
    });

    it("answers a PATCH on emails[type eq 'work'].value with 400 invalidPath, adding no email", async () => {
      await appendsNothing(async () => {
        const res = await api.scim('patch', `/Users/${userId}`, patchOp({ op: 'add', path: "emails[type eq 'work'].value", value: 'other@example.com' }));
        expectError(
          res,
          400,
          'invalidPath',
          `Operations[0]: invalid path 'emails[type eq 'work'].value': the value at offset 15 is in single quotes ('); RFC 7644 §3.4.2.2 values are JSON strings in double quotes: write it as "work"`,
        );
      });
    });

    it("keeps Entra's unquoted bare values", async () => {
      const res = await api.scim('get', `/Users?filter=${encodeURIComponent('userName eq target@example.com')}`);
      expect(res.body).toMatchObject({ totalResults: 1, Resources: [{ id: userId }] });
    });
  });

  describe('a costly filter', () => {
    const clauses = (n: number) => Array.from({ length: n }, (_, i) => `emails[value co "${i}x"]`).join(' or ');

    it('answers 20 attribute expressions', async () => {
      const res = await api.scim('post', '/Users/.search', { filter: clauses(20) });
      expect(res.body).toEqual({ schemas: [LIST], totalResults: 0, startIndex: 1, itemsPerPage: 0, Resources: [] });
    });

    it('answers the 21st with 400 invalidFilter', async () => {
      const filter = clauses(21);
      expectError(await api.scim('post', '/Users/.search', { filter }), 400, 'invalidFilter', `filter has more than 20 attribute expressions; the one at offset ${filter.lastIndexOf('value')} is one too many`);
    });

    it('answers the 10,000-character filter of 374 value filters with 400 invalidFilter', async () => {
      expectError(await api.scim('post', '/Users/.search', { filter: clauses(374) }), 400, 'invalidFilter', 'filter is longer than 4096 characters');
    });

    it('answers 11 levels of nesting with 400 invalidFilter', async () => {
      const res = await api.scim('get', `/Groups?filter=${encodeURIComponent(`${'('.repeat(11)}displayName pr${')'.repeat(11)}`)}`);
      expectError(res, 400, 'invalidFilter', 'filter nests deeper than 10 levels at offset 10');
    });
  });

  describe('a wrong method on a known path', () => {
    it.each([
      ['delete', '/Users', 'GET, POST, HEAD'],
      ['put', '/Groups', 'GET, POST, HEAD'],
      ['get', '/Users/.search', 'POST'],
      ['patch', '/Groups/.search', 'POST'],
      ['post', '/Users/ID', 'GET, PUT, PATCH, DELETE, HEAD'],
      ['post', '/Groups/6b1f3c7e-0000-4000-8000-00000000dead', 'GET, PUT, PATCH, DELETE, HEAD'],
      ['post', '/ServiceProviderConfig', 'GET, HEAD'],
      ['delete', '/Schemas/urn:ietf:params:scim:schemas:core:2.0:User', 'GET, HEAD'],
      ['patch', '/ResourceTypes', 'GET, HEAD'],
    ] as const)('%s %s: 405 with Allow %s', async (method, path, allow) => {
      const target = path.replace('ID', userId);
      await appendsNothing(async () => {
        const res = await api.scim(method, target, method === 'get' || method === 'delete' ? undefined : {});
        expectError(res, 405, undefined, `${method.toUpperCase()} is not allowed on /scim/v2${target}; use ${allow}`);
        expect(res.headers.allow).toBe(allow);
      });
    });

    it('answers OPTIONS with 204 and Allow', async () => {
      const res = await request(api.app).options('/scim/v2/Users').set('Authorization', `Bearer ${SCIM_TOKEN}`);
      expect(res.status).toBe(204);
      expect(res.headers.allow).toBe('GET, POST, HEAD, OPTIONS');
    });

    it('still answers 404 for an unknown path', async () => {
      expectError(await api.scim('delete', '/Bulks'), 404, undefined, 'no SCIM endpoint at /scim/v2/Bulks');
    });

    it.each([
      ['get', '/Me', '/Me is not supported: tokens belong to the service, not to a user (RFC 7644 §3.11)'],
      ['patch', '/Me', '/Me is not supported: tokens belong to the service, not to a user (RFC 7644 §3.11)'],
      ['delete', '/me/x', '/Me is not supported: tokens belong to the service, not to a user (RFC 7644 §3.11)'],
      ['post', '/Bulk', 'bulk operations are not supported (ServiceProviderConfig: bulk.supported is false)'],
      ['delete', '/Bulk', 'bulk operations are not supported (ServiceProviderConfig: bulk.supported is false)'],
      ['post', '/.search', 'a search across resource types is not supported; use POST /Users/.search or /Groups/.search'],
    ] as const)('answers %s %s with 501 Not Implemented before reading the body, appending nothing', async (method, path, detail) => {
      await appendsNothing(async () => {
        expectError(await api.scim(method, path, '{not json'), 501, undefined, detail);
      });
    });
  });
});

describe('SCIM reads under a statement timeout and configured filter limits', () => {
  let api: ScimApiUnderTest;
  beforeAll(async () => {
    api = await startScimApi('scim_read_timeout', { SCIM_READ_STATEMENT_TIMEOUT_MS: '300', SCIM_FILTER_MAX_CLAUSES: '2', SCIM_FILTER_MAX_LENGTH: '40' });
    await api.scim('post', '/Users', newUser('slow@example.com'));
  });
  afterAll(async () => {
    await api.close();
  });

  it('answers 503 with Retry-After when a read runs past the timeout', async () => {
    const locker = await api.db.pool.connect();
    try {
      // A read that waits on a lock counts against the statement timeout like one that computes.
      await locker.query('BEGIN');
      await locker.query('LOCK TABLE scim_read.users IN ACCESS EXCLUSIVE MODE');
      const res = await api.scim('get', '/Users?filter=userName%20pr');
      expect(res.status).toBe(503);
      expect(res.headers['retry-after']).toBe('1');
      expect(res.body).toEqual({
        schemas: [ERROR],
        status: '503',
        detail: 'the query ran longer than the 300 ms the service allows a read and was cancelled; narrow the filter, or retry later',
      });
    } finally {
      await locker.query('ROLLBACK');
      locker.release();
    }
    expect((await api.scim('get', '/Users?filter=userName%20pr')).body).toMatchObject({ totalResults: 1 });
  });

  it('takes the filter limits from the configuration', async () => {
    expect((await api.scim('get', `/Users?filter=${encodeURIComponent('userName pr or title pr')}`)).status).toBe(200);
    const three = await api.scim('get', `/Users?filter=${encodeURIComponent('userName pr or title pr or id pr')}`);
    expect(three.body).toMatchObject({ status: '400', scimType: 'invalidFilter', detail: 'filter has more than 2 attribute expressions; the one at offset 27 is one too many' });
    const long = await api.scim('get', `/Users?filter=${encodeURIComponent(`userName eq "${'x'.repeat(30)}"`)}`);
    expect(long.body).toMatchObject({ status: '400', scimType: 'invalidFilter', detail: 'filter is longer than 40 characters' });
  });
});
