import zlib from 'node:zlib';
import express, { type Express } from 'express';
import request from 'supertest';
import { ScimError } from '../../../shared/scim/errors';
import { scimErrorMiddleware } from '../../../services/scim-api/scim/error-middleware';
import { MAX_BODY_DEPTH, jsonDepthExceeds, problemWithBody, scimJsonBody } from '../../../services/scim-api/scim/request-body';
import { bodyWith, everySchemaPath } from '../../helpers/schema-paths';

const ERROR = 'urn:ietf:params:scim:api:messages:2.0:Error';
const PATCH_OP = 'urn:ietf:params:scim:api:messages:2.0:PatchOp';

/** U+0000 (refused by Postgres text and jsonb) and unpaired UTF-16 surrogates (not UTF-8). */
const UNSTORABLE = [
  ['U+0000', 'a\u0000b'],
  ['a lone high surrogate', '\ud800'],
  ['a lone low surrogate', 'x\udfffy'],
  ['a reversed pair', '\ude00\ud83d'],
] as const;

describe('problemWithBody', () => {
  describe('every string attribute of every schema, holding a string Postgres cannot store', () => {
    const stringPaths = (['User', 'Group'] as const).flatMap((on) =>
      everySchemaPath(on)
        .filter(({ attribute, subAttribute }) => ['string', 'reference', 'binary'].includes((subAttribute ?? attribute).type))
        .map((schemaPath) => [on, schemaPath] as const),
    );

    it('covers every string attribute, extension attributes included', () => {
      const paths = stringPaths.map(([, { path }]) => path);
      expect(paths).toEqual(expect.arrayContaining(['userName', 'title', 'emails.value', 'name.givenName', 'displayName', 'members.value', 'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager.value']));
      expect(stringPaths.length).toBeGreaterThanOrEqual(50);
    });

    describe.each(UNSTORABLE)('with %s', (_name, text) => {
      it.each(stringPaths.map(([on, schemaPath]) => [on, schemaPath.path, schemaPath] as const))(
        'on %s %s: 400 invalidValue naming its location, as a resource and as a PATCH value',
        (_on, _path, schemaPath) => {
          const { body, location } = bodyWith(schemaPath, text);
          expect(problemWithBody(body)).toEqual(expectedError(location));

          const patch = { schemas: [PATCH_OP], Operations: [{ op: 'add', value: body }] };
          expect(problemWithBody(patch)).toEqual(expectedError(`$.Operations[0].value${location.slice(1)}`));
          const withPath = { schemas: [PATCH_OP], Operations: [{ op: 'replace', path: schemaPath.path, value: text }] };
          expect(problemWithBody(withPath)).toEqual(expectedError('$.Operations[0].value'));
        },
      );
    });

    it('finds such a string in a key and in a PATCH path too', () => {
      expect(problemWithBody({ 'ti\u0000tle': 'x' })).toEqual(expectedError('$["ti\\u0000tle"]'));
      expect(problemWithBody({ Operations: [{ op: 'remove', path: 'title\ud800' }] })).toEqual(expectedError('$.Operations[0].path'));
    });

    it('accepts what Postgres stores: other control characters, paired surrogates, U+FFFF', () => {
      expect(problemWithBody({ title: '\u0001\u001f\u007f 😀 \uffff \u2028', name: { givenName: 'Zoë' } })).toBeUndefined();
    });
  });

  describe('nesting', () => {
    it(`accepts ${MAX_BODY_DEPTH} levels and refuses ${MAX_BODY_DEPTH + 1} with 400 invalidSyntax`, () => {
      expect(problemWithBody(nested(MAX_BODY_DEPTH))).toBeUndefined();
      expect(problemWithBody(nested(MAX_BODY_DEPTH + 1))).toEqual(new ScimError(400, 'invalidSyntax', `the request body nests deeper than ${MAX_BODY_DEPTH} levels`));
    });

    it('measures half a million levels without running out of stack', () => {
      const deep = JSON.parse(`${'['.repeat(500_000)}${']'.repeat(500_000)}`) as unknown;
      expect(jsonDepthExceeds(deep, MAX_BODY_DEPTH)).toBe(true);
      expect(problemWithBody(deep)).toMatchObject({ status: 400, scimType: 'invalidSyntax' });
    });

    it('counts objects and arrays alike, scalars as depth 0', () => {
      expect(jsonDepthExceeds('x', 0)).toBe(false);
      expect(jsonDepthExceeds({}, 0)).toBe(true);
      expect(jsonDepthExceeds({ a: [{ b: 1 }] }, 3)).toBe(false);
      expect(jsonDepthExceeds({ a: [{ b: [] }] }, 3)).toBe(true);
    });
  });
});

describe('scimJsonBody over HTTP: every Content-Encoding, charset and media type', () => {
  const app = echoApp(1024);
  const user = Buffer.from(JSON.stringify({ userName: 'jdoe@example.com', title: 'Zoë' }));
  const garbage = Buffer.from('{}');

  const encodings: readonly [string, (body: Buffer) => Buffer][] = [
    ['identity', (body) => body],
    ['gzip', (body) => zlib.gzipSync(body)],
    ['x-gzip', (body) => zlib.gzipSync(body)],
    ['deflate', (body) => zlib.deflateSync(body)],
    ['br', (body) => zlib.brotliCompressSync(body)],
    ['GZIP', (body) => zlib.gzipSync(body)],
  ];

  it.each(encodings)('decodes a %s body', async (encoding, encode) => {
    const res = await post(app, encode(user), { 'Content-Encoding': encoding });
    if (encoding === 'x-gzip') {
      // body-parser knows gzip, deflate and br only.
      expectScimError(res, 415, undefined, 'unsupported Content-Encoding; send the body as identity, gzip, deflate or br');
      return;
    }
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ userName: 'jdoe@example.com', title: 'Zoë' });
  });

  it.each(encodings.filter(([encoding]) => encoding !== 'identity' && encoding !== 'x-gzip'))(
    'answers 400 invalidSyntax for a %s body that does not decode, whole or cut short',
    async (encoding, encode) => {
      expectScimError(await post(app, garbage, { 'Content-Encoding': encoding }), 400, 'invalidSyntax', 'the request body does not decode as its Content-Encoding says');
      const truncated = encode(user).subarray(0, 12);
      const res = await post(app, truncated, { 'Content-Encoding': encoding });
      expect(res.status).toBe(400);
      expect(res.body).toMatchObject({ schemas: [ERROR], status: '400', scimType: 'invalidSyntax' });
    },
  );

  it.each(['compress', 'zstd', 'gzip, gzip', 'gzip, identity', 'bogus'])('answers 415 for Content-Encoding %j', async (encoding) => {
    expectScimError(await post(app, user, { 'Content-Encoding': encoding }), 415, undefined, 'unsupported Content-Encoding; send the body as identity, gzip, deflate or br');
  });

  it('answers 413 for a body that decodes past the limit (a compression bomb)', async () => {
    const bomb = zlib.gzipSync(Buffer.from(JSON.stringify({ title: 'x'.repeat(100_000) })));
    expect(bomb.length).toBeLessThan(1024);
    expectScimError(await post(app, bomb, { 'Content-Encoding': 'gzip' }), 413, undefined, 'the request body is larger than 1024 bytes');
  });

  it.each([
    ['utf-8', 'utf8'],
    ['UTF-8', 'utf8'],
    ['utf-16le', 'utf16le'],
  ] as const)('reads a body in charset=%s (RFC 8259 §8.1 allows the UTF encodings)', async (charset, encoding) => {
    const res = await post(app, Buffer.from(user.toString('utf8'), encoding), { 'Content-Type': `application/scim+json; charset=${charset}` });
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ userName: 'jdoe@example.com', title: 'Zoë' });
  });

  it.each(['latin1', 'iso-8859-1', 'utf8', 'us-ascii', 'foo'])('answers 415 for charset=%s', async (charset) => {
    expectScimError(await post(app, user, { 'Content-Type': `application/json; charset=${charset}` }), 415, undefined, 'unsupported charset; send the body as UTF-8');
  });

  it.each([
    ['a lone 0xff', [0xff]],
    ['an overlong NUL', [0xc0, 0x80]],
    ['an encoded surrogate', [0xed, 0xa0, 0x80]],
    ['a sequence cut short', [0xe2, 0x82]],
  ])('answers a body holding %s (not UTF-8) with 400 invalidSyntax, never reading it as U+FFFD', async (_name, bytes) => {
    const body = Buffer.concat([Buffer.from('{"title":"a'), Buffer.from(bytes), Buffer.from('b"}')]);
    expectScimError(await post(app, body), 400, 'invalidSyntax', 'the body is not valid UTF-8');
    expectScimError(await post(app, zlib.gzipSync(body), { 'Content-Encoding': 'gzip' }), 400, 'invalidSyntax', 'the body is not valid UTF-8');
  });

  it.each(['text/plain', 'application/x-www-form-urlencoded', 'multipart/form-data; boundary=x', 'application/xml'])(
    'answers 415 for a POST body of type %s',
    async (type) => {
      expectScimError(await post(app, user, { 'Content-Type': type }), 415, undefined, `Content-Type ${JSON.stringify(type)} is not JSON; send application/scim+json (RFC 7644 §3.1) or application/json`);
    },
  );

  it('answers 415 for a POST body without Content-Type', async () => {
    const res = await request(app).post('/echo').serialize((raw: unknown) => raw as string).send(user).unset('Content-Type');
    expectScimError(res, 415, undefined, 'a body without Content-Type is not JSON; send application/scim+json (RFC 7644 §3.1) or application/json');
  });

  it.each([
    ['malformed JSON', '{"userName":', 400, 'invalidSyntax', 'the request body is not valid JSON'],
    ['a JSON string', '"x"', 400, 'invalidSyntax', 'the request body is not valid JSON'],
    ['U+0000 in a value', '{"title":"\\u0000"}', 400, 'invalidValue', 'the string at $.title holds U+0000 or an unpaired UTF-16 surrogate, which no attribute can store'],
    ['a lone surrogate', '{"displayName":"\\ud800"}', 400, 'invalidValue', 'the string at $.displayName holds U+0000 or an unpaired UTF-16 surrogate, which no attribute can store'],
    ['deep nesting', `{"title":${'['.repeat(100_000)}${']'.repeat(100_000)}}`, 400, 'invalidSyntax', `the request body nests deeper than ${MAX_BODY_DEPTH} levels`],
  ])('answers %s with a SCIM error', async (_name, text, status, scimType, detail) => {
    const big = echoApp(1024 * 1024);
    expectScimError(await post(big, Buffer.from(text)), status, scimType, detail);
  });

  it('passes a GET and a DELETE without a body', async () => {
    expect((await request(app).get('/echo')).status).toBe(200);
    expect((await request(app).delete('/echo')).status).toBe(200);
  });

  it('answers 400 invalidSyntax for a path segment whose %-escape is malformed', async () => {
    for (const segment of ['%', '%zz', '%E0%A4%A', '%ED%A0%80', 'a%']) {
      expectScimError(await request(app).get(`/things/${segment}`), 400, 'invalidSyntax', 'the URL path holds a malformed %-escape (RFC 3986 §2.1)');
    }
    expect((await request(app).get('/things/%41')).body).toEqual({ id: 'A' });
  });
});

function expectedError(location: string): ScimError {
  return new ScimError(400, 'invalidValue', `the string at ${location} holds U+0000 or an unpaired UTF-16 surrogate, which no attribute can store`);
}

function nested(depth: number): unknown {
  let value: unknown = 'leaf';
  for (let i = 0; i < depth; i++) value = i % 2 ? [value] : { a: value };
  return value;
}

/** The SCIM router's body handling and error rendering, echoing what a route would read. */
function echoApp(limit: number): Express {
  const app = express();
  app.use(scimJsonBody(limit));
  app.all('/echo', (req, res) => void res.json(req.body ?? null));
  app.get('/things/:id', (req, res) => void res.json({ id: req.params.id }));
  app.use(scimErrorMiddleware);
  return app;
}

function post(app: Express, body: Buffer, headers: Record<string, string> = {}): request.Test {
  let test = request(app).post('/echo').set('Content-Type', 'application/scim+json');
  for (const [name, value] of Object.entries(headers)) test = test.set(name, value);
  // Raw bytes: superagent would serialise a Buffer as JSON for a JSON media type.
  return test.serialize((raw: unknown) => raw as string).send(body);
}

function expectScimError(res: request.Response, status: number, scimType: string | undefined, detail: string): void {
  expect(res.headers['content-type']).toBe('application/scim+json; charset=utf-8');
  expect({ status: res.status, body: JSON.parse(res.text) as unknown }).toEqual({
    status,
    body: { schemas: [ERROR], status: String(status), ...(scimType ? { scimType } : {}), detail },
  });
}
