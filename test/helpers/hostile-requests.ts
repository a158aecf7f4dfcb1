import zlib from 'node:zlib';
import fc from 'fast-check';

/**
 * Generated hostile requests for the whole /scim/v2 surface: every route and method (and wrong
 * ones), paths with malformed %-escapes, list parameters of every type and size, filters from the
 * grammar's pieces, resource and PatchOp bodies with wrong types, unstorable strings, huge and
 * out-of-range numbers and deep nesting, raw and invalid UTF-8 bytes, every Content-Type charset
 * and Content-Encoding (valid and not), odd If-Match values and Authorization headers.
 * Used by the HTTP fuzz test, and by hand against a running service.
 */

const ENT = 'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User';
const PATCH_OP = 'urn:ietf:params:scim:api:messages:2.0:PatchOp';

/** A request before the ids of real resources are filled in (`USER`, `OTHER_USER`, `GROUP` in paths and bodies). */
export interface HostileRequest {
  readonly method: string;
  readonly path: string;
  readonly query?: string;
  readonly body?: Buffer;
  readonly contentType: string;
  readonly encoding?: string;
  readonly ifMatch?: string;
  readonly ifNoneMatch?: string;
  readonly auth: 'valid' | 'none' | 'unknown' | 'basic' | 'odd-spacing';
}

/** A request ready to send: the path below /scim/v2 with its query, headers and raw body. */
export interface WireRequest {
  readonly method: string;
  readonly path: string;
  readonly headers: Readonly<Record<string, string>>;
  readonly body?: Buffer;
}

const awkward = fc.constantFrom('\u0000', '\ud800', '\udfff', 'a\ud83d', '\u2028', '\uffff', '\ufeff', '%', '%zz', '%E0%A4%A', '\\', '"', "'", '😀', 'Ǆ', 'ß', '\u0130');
const text = fc.oneof(
  fc.string({ maxLength: 20 }),
  fc.string({ maxLength: 12, unit: 'binary' }),
  fc.tuple(fc.string({ maxLength: 5 }), awkward, fc.string({ maxLength: 5 })).map(([a, b, c]) => a + b + c),
  fc.constantFrom('', ' ', 'x'.repeat(3000), 'null', 'True', 'False', '0000-01-01', '9999-12-31T23:59:59-23:59', '-1', '1e400', '9'.repeat(40)),
);
const number = fc.oneof(fc.integer(), fc.double(), fc.constantFrom(1e21, -1e21, 2 ** 63, -(2 ** 63), 1e308, Number.MAX_SAFE_INTEGER + 2, 0.5, -0));
const scalar = fc.oneof(text, number, fc.boolean(), fc.constant(null));
/** Keys that are methods on every object, and the names SCIM values are read by. */
const key = fc.oneof(text, fc.constantFrom('toString', 'valueOf', '__proto__', 'constructor', 'value', 'type', 'primary', 'display', '$ref'));
const anyValue = fc.oneof(
  { maxDepth: 3 },
  scalar,
  fc.jsonValue({ maxDepth: 3 }),
  fc.array(scalar, { maxLength: 3 }),
  fc.dictionary(key, scalar, { maxKeys: 3 }),
);

const attributePath = fc.oneof(
  { weight: 4, arbitrary: fc.constantFrom(
    'userName', 'displayName', 'title', 'externalId', 'name', 'name.givenName', 'name.familyName', 'name.formatted', 'nickName', 'profileUrl',
    'userType', 'preferredLanguage', 'locale', 'timezone', 'active', 'password', 'emails', 'emails.value', 'emails.type', 'emails.primary',
    'phoneNumbers', 'phoneNumbers.value', 'ims', 'photos', 'addresses', 'addresses.locality', 'addresses.primary', 'groups', 'groups.value',
    'groups.display', 'groups.type', 'groups.$ref', 'entitlements', 'roles', 'x509Certificates', 'x509Certificates.value', 'id', 'meta', 'meta.created',
    'meta.lastModified', 'meta.resourceType', 'meta.location', 'meta.version', 'members', 'members.value', 'members.display', 'members.type',
    'members.$ref', `${ENT}:employeeNumber`, `${ENT}:manager`, `${ENT}:manager.value`, `${ENT}:manager.displayName`, `${ENT}:department`, ENT,
    'urn:ietf:params:scim:schemas:core:2.0:User:userName', 'urn:ietf:params:scim:schemas:core:2.0:Group:displayName', 'schemas',
  ) },
  { weight: 1, arbitrary: fc.string({ maxLength: 15 }) },
);
const operator = fc.constantFrom('eq', 'ne', 'co', 'sw', 'ew', 'gt', 'ge', 'lt', 'le', 'pr', 'EQ', 'xx');
const comparedValue = fc.oneof(
  text.map((value) => JSON.stringify(value)),
  fc.constantFrom('true', 'false', 'null', '42', '-1.5e3', '1e400', '"2024-01-01"', '"0000-01-01"', '"9999-12-31T23:59:59-23:59"', '"2024-02-30"', "'x'", 'bare', '"\\ud800"', '"\\u0000"', '"a\\', '""'),
);
/** Date-times at and past the edges of what ISO 8601 text and Postgres hold. */
const dateTime = fc.oneof(
  fc.constantFrom('0000-01-01', '0001-01-01T00:00:00+01:00', '9999-12-31T23:59:59-23:59', '9999-12-31', '2024-02-30', '2024-01-31T24:00:00Z', '1970-01-01T00:00:00.123456789Z'),
  fc.date({ min: new Date(-62198755200000), max: new Date(253402300799999), noInvalidDate: true }).map((d) => d.toISOString().replace(/^\+0*/, '')),
);
const clause = fc.oneof(
  fc.tuple(attributePath, operator, comparedValue).map(([path, op, value]) => (op === 'pr' ? `${path} pr` : `${path} ${op} ${value}`)),
  fc.tuple(fc.constantFrom('meta.created', 'meta.lastModified'), fc.constantFrom('gt', 'ge', 'lt', 'le', 'eq'), dateTime).map(([path, op, value]) => `${path} ${op} "${value}"`),
  fc
    .tuple(fc.constantFrom('emails', 'members', 'groups', 'addresses', `${ENT}:manager`, 'name'), attributePath, operator, comparedValue)
    .map(([attribute, path, op, value]) => `${attribute}[${path} ${op} ${value}]`),
);
/** Filters: grammar pieces joined every way, any text, and ones at the limits. */
export const filterText = fc.oneof(
  { weight: 2, arbitrary: clause },
  fc
    .array(fc.tuple(clause, fc.constantFrom(' and ', ' or ', ' and not (', ') or (')), { minLength: 2, maxLength: 4 })
    .map((parts) => parts.map(([c, joiner], i) => (i === parts.length - 1 ? c : c + joiner)).join('')),
  fc.string({ maxLength: 40 }),
  fc.constantFrom('(((((((((((title pr)))))))))))', 'not (title pr)', Array.from({ length: 21 }, (_, i) => `title eq "${i}"`).join(' or ')),
);

/** String literals (as written in a filter) that Postgres cannot store: U+0000 and unpaired surrogates, alone or inside text. */
const unstorableLiteral = fc
  .tuple(fc.constantFrom('', 'a', 'home'), fc.constantFrom('\\u0000', '\\ud800', '\\udfff', '\\uDBFF', '\\ud83d'), fc.constantFrom('', 'b', '@example.com'))
  .map(([before, escape, after]) => `"${before}${escape}${after}"`);
/**
 * PATCH paths whose value filter names a real sub-attribute, so that a `replace` matching nothing
 * creates the value from the filter's equalities (RFC 7644 §3.5.2.3): `emails[type eq "\ud800"].value`,
 * `members[value eq "OTHER_USER"].display`, `emails[type eq "home" and display eq "\u0000"]`.
 */
export const valueFilterPath = fc
  .tuple(
    fc.constantFrom('emails', 'phoneNumbers', 'addresses', 'members'),
    fc.constantFrom('type', 'display', 'value'),
    fc.oneof(unstorableLiteral, fc.constantFrom('"home"', '"work"', '"OTHER_USER"', '"USER"')),
    fc.option(fc.tuple(fc.constantFrom('type', 'display', 'primary'), fc.oneof(unstorableLiteral, fc.constantFrom('"x"', 'true'))), { nil: undefined }),
    fc.constantFrom('', '.value', '.display', '.type', '.primary'),
  )
  .map(([attribute, sub, literal, second, tail]) => `${attribute}[${sub} eq ${literal}${second === undefined ? '' : ` and ${second[0]} eq ${second[1]}`}]${tail}`);

const wellFormed = (s: string) => (s.isWellFormed() ? s : s.toWellFormed());
/** Escapes what a request line cannot carry; half the time keeps a '%' raw, so malformed escapes reach the server. */
const escapeForUrl = (s: string, keepPercent: boolean) =>
  s.includes('%') && keepPercent ? wellFormed(s).replace(/[^\x21-\x7e]|[#&=]/gu, (c) => encodeURIComponent(c)) : encodeURIComponent(wellFormed(s));

const oddParameterText = fc.constantFrom('ascending', 'descending', 'UP', '0', '-5', '99999999999999999999', '2147483648', '1.5', '', '%', '%ZZ', '%E0%A4%A', '%00', '%ED%A0%80', '%FF');
/** A list parameter with a value of its own kind (usually), or any name with any value. */
const parameter = fc.oneof(
  { weight: 3, arbitrary: fc.tuple(fc.constant('filter'), fc.oneof(filterText, text)) },
  { weight: 2, arbitrary: fc.tuple(fc.constantFrom('sortBy', 'attributes', 'excludedAttributes'), attributePath) },
  { weight: 1, arbitrary: fc.tuple(fc.constant('sortOrder'), fc.oneof(fc.constantFrom('ascending', 'descending'), text)) },
  { weight: 2, arbitrary: fc.tuple(fc.constantFrom('startIndex', 'count'), fc.oneof(number.map(String), oddParameterText)) },
  {
    weight: 1,
    arbitrary: fc.tuple(
      fc.oneof(fc.constantFrom('filter', 'sortBy', 'startIndex', 'count', 'attributes', 'count[x]', 'filter[]', '__proto__'), fc.string({ maxLength: 8 })),
      fc.oneof(text, number.map(String), filterText, attributePath, oddParameterText),
    ),
  },
);
const query = fc
  .array(fc.tuple(parameter, fc.boolean()), { maxLength: 4 })
  .map((pairs) => pairs.map(([[name, value], raw]) => `${escapeForUrl(name, raw)}=${escapeForUrl(value, raw)}`).join('&'));

const segment = fc.oneof(
  fc.constant('USER'),
  fc.constantFrom('.search', '%', '%zz', '%E0%A4%A', '%00', '%ED%A0%80', '..', '.', 'Me', '%2F', 'urn:ietf:params:scim:schemas:core:2.0:User', 'User', 'x'.repeat(300), '00000000-0000-4000-8000-000000000000'),
  fc.string({ maxLength: 10 }).map((s) => encodeURIComponent(wellFormed(s))),
);
const anyPath = fc.oneof(
  fc
    .tuple(fc.constantFrom('/Users', '/Groups', '/users', '/GROUPS'), fc.option(segment, { nil: undefined }), fc.option(fc.constantFrom('/', '/x', '/.search', '//'), { nil: undefined }))
    .map(([resource, id, tail]) => resource + (id === undefined ? '' : `/${id}`) + (tail ?? '')),
  fc
    .tuple(fc.constantFrom('/Schemas', '/ResourceTypes', '/ServiceProviderConfig', '/Bulk', '/Me', '', '/'), fc.option(segment, { nil: undefined }))
    .map(([root, id]) => root + (id === undefined ? '' : `/${id}`)),
);

const userBody = fc.record(
  {
    schemas: fc.oneof({ weight: 4, arbitrary: fc.constant(['urn:ietf:params:scim:schemas:core:2.0:User', ENT]) }, anyValue),
    userName: fc.oneof({ weight: 4, arbitrary: fc.uuid().map((u) => `${u}@example.com`) }, text, anyValue),
    emails: fc.oneof(
      { weight: 4, arbitrary: fc.uuid().map((u) => [{ value: `${u}@example.com`, primary: true, type: 'work' }]) },
      anyValue,
      fc.array(fc.record({ value: text, type: text, primary: scalar }, { requiredKeys: [] }), { maxLength: 2 }),
    ),
    name: fc.oneof(fc.record({ givenName: text, familyName: anyValue }, { requiredKeys: [] }), anyValue),
    active: fc.oneof(fc.boolean(), fc.constantFrom('True', 'False', 'yes'), anyValue),
    title: fc.oneof(text, anyValue),
    externalId: fc.oneof(text, anyValue),
    [ENT]: fc.oneof(fc.record({ employeeNumber: text, manager: fc.oneof(fc.record({ value: text }), anyValue) }, { requiredKeys: [] }), anyValue),
    id: fc.oneof(fc.constant('USER'), text),
    meta: anyValue,
    phoneNumbers: anyValue,
    addresses: anyValue,
    x509Certificates: anyValue,
  },
  { requiredKeys: ['userName', 'emails'] },
);
const groupBody = fc.record(
  {
    schemas: fc.oneof({ weight: 4, arbitrary: fc.constant(['urn:ietf:params:scim:schemas:core:2.0:Group']) }, anyValue),
    displayName: fc.oneof({ weight: 4, arbitrary: fc.uuid() }, text, anyValue),
    externalId: fc.oneof(text, anyValue),
    members: fc.oneof(
      fc.array(fc.record({ value: fc.oneof(fc.constant('OTHER_USER'), text, anyValue), $ref: fc.oneof(fc.constant(null), text), display: text }, { requiredKeys: [] }), { maxLength: 3 }),
      anyValue,
    ),
  },
  { requiredKeys: [] },
);
const patchBody = fc.record(
  {
    schemas: fc.oneof(fc.constant([PATCH_OP]), anyValue),
    Operations: fc.oneof(
      fc.array(
        fc.record(
          {
            op: fc.oneof(fc.constantFrom('add', 'replace', 'remove', 'Add', 'Replace', 'Remove', 'move', ''), text),
            path: fc.oneof(
              attributePath,
              filterText.map((f) => `emails[${f}]`),
              valueFilterPath,
              fc.constantFrom("emails[type eq 'work'].value", 'members[value eq "OTHER_USER"]', 'emails[type eq "work"].value', `${ENT}:manager.value`),
            ),
            value: anyValue,
          },
          { requiredKeys: [] },
        ),
        { maxLength: 4 },
      ),
      anyValue,
    ),
  },
  { requiredKeys: [] },
);
const searchBody = fc.record(
  {
    schemas: fc.oneof(fc.constant(['urn:ietf:params:scim:api:messages:2.0:SearchRequest']), anyValue),
    filter: fc.oneof({ weight: 3, arbitrary: filterText }, anyValue),
    sortBy: fc.oneof({ weight: 3, arbitrary: attributePath }, anyValue),
    sortOrder: fc.oneof(fc.constantFrom('ascending', 'descending'), anyValue),
    startIndex: fc.oneof(number, anyValue),
    count: fc.oneof(number, anyValue),
    attributes: fc.oneof(fc.array(attributePath, { maxLength: 3 }), anyValue),
    excludedAttributes: fc.oneof(attributePath, anyValue),
  },
  { requiredKeys: [] },
);

const deeplyNested = fc.integer({ min: 20, max: 200_000 }).map((depth) => `{"userName":"deep@example.com","emails":[{"value":"d@example.com"}],"title":${'['.repeat(depth)}${']'.repeat(depth)}}`);
const jsonText = fc.oneof(
  { weight: 6, arbitrary: fc.oneof(userBody, groupBody, patchBody, searchBody, fc.jsonValue({ maxDepth: 3 })).map((body) => JSON.stringify(body)) },
  { weight: 1, arbitrary: deeplyNested },
  {
    weight: 1,
    arbitrary: fc.constantFrom(
      '', '{', '{"a":1}x', 'null', '"x"', '[]', '1e400', '{"userName":1e400}', '\ufeff{}', '{"userName":"a\\u0000b"}', '{"displayName":"\\udc00"}',
      '{"__proto__":{"x":1},"userName":"proto@example.com","emails":[{"value":"proto@example.com"}]}',
    ),
  },
);
const anyBody = fc.oneof(
  { weight: 8, arbitrary: jsonText.map((t) => Buffer.from(t, 'utf8')) },
  { weight: 1, arbitrary: fc.uint8Array({ maxLength: 64 }).map((bytes) => Buffer.from(bytes)) },
  {
    weight: 1,
    // Invalid UTF-8 (a lone continuation byte, an overlong NUL, an encoded surrogate) in the middle of JSON.
    arbitrary: jsonText.map((t) => {
      const half = Math.floor(t.length / 2);
      return Buffer.concat([Buffer.from(t.slice(0, half), 'utf8'), Buffer.from([0xff, 0xfe, 0xc0, 0x80, 0xed, 0xa0, 0x80]), Buffer.from(t.slice(half), 'utf8')]);
    }),
  },
);
const json = (body: fc.Arbitrary<unknown>) => body.map((value) => Buffer.from(JSON.stringify(value), 'utf8'));

type Target = Pick<HostileRequest, 'method' | 'path' | 'query' | 'body'>;
const target = (method: fc.Arbitrary<string>, path: fc.Arbitrary<string>, body: fc.Arbitrary<Buffer | undefined>, withQuery = true): fc.Arbitrary<Target> =>
  fc.record({ method, path, query: withQuery ? fc.option(query, { nil: undefined }) : fc.constant(undefined), body }).map(({ method: m, path: p, query: q, body: b }) => ({
    method: m,
    path: p,
    ...(q === undefined ? {} : { query: q }),
    ...(b === undefined ? {} : { body: b }),
  }));
const none = fc.constant(undefined);

/** A route the service answers, with a body of the kind it expects (and sometimes any body). */
const knownRoute = fc.oneof(
  target(fc.constant('GET'), fc.constantFrom('/Users', '/Groups'), none),
  target(fc.constant('POST'), fc.constantFrom('/Users/.search', '/Groups/.search'), fc.oneof(json(searchBody), anyBody), false),
  target(fc.constantFrom('GET', 'DELETE'), fc.constantFrom('/Users/USER', '/Groups/GROUP', '/Users/00000000-0000-4000-8000-000000000000'), none),
  target(fc.constant('POST'), fc.constant('/Users'), fc.oneof(json(userBody), anyBody)),
  target(fc.constant('POST'), fc.constant('/Groups'), fc.oneof(json(groupBody), anyBody)),
  target(fc.constant('PUT'), fc.constant('/Users/USER'), fc.oneof(json(userBody), anyBody)),
  target(fc.constant('PUT'), fc.constant('/Groups/GROUP'), fc.oneof(json(groupBody), anyBody)),
  target(fc.constant('PATCH'), fc.constantFrom('/Users/USER', '/Groups/GROUP'), fc.oneof(json(patchBody), anyBody)),
  target(fc.constant('GET'), fc.constantFrom('/ServiceProviderConfig', '/Schemas', '/ResourceTypes', '/Schemas/urn:ietf:params:scim:schemas:core:2.0:User', '/ResourceTypes/User'), none),
);
const anyRoute = target(
  fc.oneof(fc.constantFrom('GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'HEAD', 'OPTIONS'), fc.constantFrom('TRACE', 'PROPFIND', 'SEARCH', 'M-SEARCH')),
  anyPath,
  fc.option(anyBody, { nil: undefined }),
);

const contentType = fc.oneof(
  { weight: 6, arbitrary: fc.constantFrom('application/scim+json', 'application/json') },
  {
    weight: 1,
    arbitrary: fc.constantFrom(
      'application/json; charset=utf-8', 'application/scim+json; charset=UTF-8', 'application/json; charset=latin1', 'application/json; charset=utf-16',
      'application/json; charset=utf-16le', 'application/json; charset=foo', 'application/json; charset', 'application/json;;', 'text/plain',
      'application/x-www-form-urlencoded', 'multipart/form-data; boundary=x', 'application/merge-patch+json', 'application/json-patch+json', '', 'a/b/c', '*/*',
    ),
  },
);
/** `*-garbage`: the header names an encoding the body is not in. */
const encoding = fc.oneof(
  { weight: 6, arbitrary: fc.constant(undefined) },
  { weight: 1, arbitrary: fc.constantFrom('identity', 'gzip', 'gzip-garbage', 'deflate', 'deflate-garbage', 'br', 'br-garbage', 'gzip, gzip', 'compress', 'x-gzip', 'GZIP', 'zstd') },
);

export const hostileRequest: fc.Arbitrary<HostileRequest> = fc
  .record({
    target: fc.oneof({ weight: 5, arbitrary: knownRoute }, { weight: 1, arbitrary: anyRoute }),
    contentType,
    encoding,
    ifMatch: fc.option(fc.constantFrom('*', 'W/"1"', '"1"', 'W/"9999999999999999999"', 'W/"99999999999999999999"', 'W/"-1"', 'garbage', 'W/"1", W/"2"', ''), { nil: undefined }),
    ifNoneMatch: fc.option(fc.constantFrom('*', 'W/"1"', 'x', ''), { nil: undefined }),
    auth: fc.oneof({ weight: 12, arbitrary: fc.constant('valid' as const) }, { weight: 1, arbitrary: fc.constantFrom('none' as const, 'unknown' as const, 'basic' as const, 'odd-spacing' as const) }),
  })
  .map(({ target: t, encoding: e, ifMatch, ifNoneMatch, ...rest }) => ({
    ...t,
    ...rest,
    ...(e === undefined ? {} : { encoding: e }),
    ...(ifMatch === undefined ? {} : { ifMatch }),
    ...(ifNoneMatch === undefined ? {} : { ifNoneMatch }),
  }));

function encodeBody(body: Buffer, how: string | undefined): { body: Buffer; header?: string } {
  switch (how) {
    case undefined:
      return { body };
    case 'gzip':
    case 'GZIP':
      return { body: zlib.gzipSync(body), header: how };
    case 'deflate':
      return { body: zlib.deflateSync(body), header: how };
    case 'br':
      return { body: zlib.brotliCompressSync(body), header: how };
    case 'gzip-garbage':
    case 'deflate-garbage':
    case 'br-garbage':
      return { body, header: how.replace('-garbage', '') };
    default:
      return { body, header: how };
  }
}

/** Fills in real ids and a token, escapes what a request line cannot carry, encodes the body. */
export function toWire(request: HostileRequest, ids: { user: string; otherUser: string; group: string }, token: string): WireRequest {
  const fill = (s: string) => s.replaceAll('OTHER_USER', ids.otherUser).replaceAll('USER', ids.user).replaceAll('GROUP', ids.group);
  const path = fill(request.path).replace(/[^\x21-\x7e]/gu, (c) => encodeURIComponent(wellFormed(c)));
  const headers: Record<string, string> = {};
  if (request.auth === 'valid') headers.Authorization = `Bearer ${token}`;
  if (request.auth === 'odd-spacing') headers.Authorization = `bearer  ${token} `;
  if (request.auth === 'unknown') headers.Authorization = 'Bearer not-a-token';
  if (request.auth === 'basic') headers.Authorization = 'Basic YTpi';
  let body: Buffer | undefined;
  if (request.body !== undefined) {
    const encoded = encodeBody(Buffer.from(fill(request.body.toString('latin1')), 'latin1'), request.encoding);
    body = encoded.body;
    if (encoded.header) headers['Content-Encoding'] = encoded.header;
    if (request.contentType) headers['Content-Type'] = request.contentType;
  }
  if (request.ifMatch !== undefined) headers['If-Match'] = request.ifMatch;
  if (request.ifNoneMatch !== undefined) headers['If-None-Match'] = request.ifNoneMatch;
  return { method: request.method, path: path + (request.query ? `?${fill(request.query)}` : ''), headers, ...(body ? { body } : {}) };
}
