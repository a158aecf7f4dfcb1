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

/** The ids of real resources that `USER`, `OTHER_USER`, `GROUP` (and `TEAM`, an admin team) stand for. */
export interface TargetIds {
  readonly user: string;
  readonly otherUser: string;
  readonly group: string;
  readonly team?: string;
}

/** Fills in real ids and a token, escapes what a request line cannot carry, encodes the body. */
export function toWire(request: HostileRequest, ids: TargetIds, token: string): WireRequest {
  const fill = (s: string) => {
    const filled = s.replaceAll('OTHER_USER', ids.otherUser).replaceAll('USER', ids.user).replaceAll('GROUP', ids.group);
    return ids.team === undefined ? filled : filled.replaceAll('TEAM', ids.team);
  };
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

/**
 * Which API a request is for: its path prefix, the token `auth: 'valid'` means, and the error body
 * it must get (RFC 7644 §3.12 on /scim/v2, a JSON:API error document on /api/v2, JSON elsewhere).
 */
export type Surface = 'scim' | 'admin' | 'other';

/** The path prefix of each surface: a HostileRequest's path is below it. */
export const SURFACE_ROOT: Readonly<Record<Surface, string>> = { scim: '/scim/v2', admin: '/api/v2', other: '' };

/** A generated request and the surface its path is below. */
export interface SurfaceRequest {
  readonly surface: Surface;
  readonly request: HostileRequest;
}

const jsonApiDocument = (type: fc.Arbitrary<unknown>, attributes: fc.Arbitrary<unknown>) =>
  json(
    fc.oneof(
      { weight: 4, arbitrary: fc.record({ data: fc.record({ type, attributes, id: fc.oneof(text, fc.constant('TEAM')) }, { requiredKeys: ['type'] }) }) },
      fc.record({ data: anyValue, errors: anyValue, included: anyValue }, { requiredKeys: [] }),
    ),
  );
const teamName = fc.oneof({ weight: 3, arbitrary: fc.uuid().map((u) => `fuzz-${u.slice(0, 8)}`) }, text, anyValue);
const teamDocument = jsonApiDocument(
  fc.oneof({ weight: 4, arbitrary: fc.constant('teams') }, text),
  fc.record({ name: teamName, 'service-accounts': fc.oneof(fc.array(fc.oneof(text, fc.record({ name: text, id: text }, { requiredKeys: [] })), { maxLength: 2 }), anyValue) }, { requiredKeys: [] }),
);
const mappingDocument = jsonApiDocument(
  fc.oneof({ weight: 4, arbitrary: fc.constantFrom('scim-group-mapping', 'scim-group-mappings') }, text),
  fc.record({ 'scim-group-id': fc.oneof(fc.constant('GROUP'), text, anyValue), 'scim-sync-paused': fc.oneof(fc.boolean(), anyValue) }, { requiredKeys: [] }),
);
/** Never `paused: true` nor `enabled: false` that a valid token could apply: the run would stop provisioning and test only 403s. */
const settingsDocument = jsonApiDocument(
  fc.oneof({ weight: 4, arbitrary: fc.constant('scim-settings') }, text),
  fc.record(
    {
      enabled: fc.oneof(fc.constant(true), text, number, fc.constant(null)),
      paused: fc.oneof(fc.constant(false), text, number, fc.constant(null)),
      'site-admin-group-scim-id': fc.oneof(fc.constant('GROUP'), fc.constant(null), text),
    },
    { requiredKeys: [] },
  ),
);
const tokenDocument = jsonApiDocument(
  fc.oneof({ weight: 4, arbitrary: fc.constantFrom('scim-tokens', 'authentication-tokens') }, text),
  fc.record({ description: fc.oneof(text, anyValue), 'expired-at': fc.oneof(dateTime, text, anyValue) }, { requiredKeys: [] }),
);
const adminParameter = fc.tuple(
  fc.oneof(fc.constantFrom('q', 'page[number]', 'page[size]', 'limit', 'at', 'page', 'page[]', 'filter[x]'), fc.string({ maxLength: 8 })),
  fc.oneof(text, number.map(String), dateTime, oddParameterText),
);
const adminQuery = fc
  .array(fc.tuple(adminParameter, fc.boolean()), { maxLength: 3 })
  .map((pairs) => pairs.map(([[name, value], raw]) => `${escapeForUrl(name, raw)}=${escapeForUrl(value, raw)}`).join('&'));
const adminTarget = (method: fc.Arbitrary<string>, path: fc.Arbitrary<string>, body: fc.Arbitrary<Buffer | undefined>): fc.Arbitrary<Target> =>
  fc.record({ method, path, query: fc.option(adminQuery, { nil: undefined }), body }).map(({ method: m, path: p, query: q, body: b }) => ({
    method: m,
    path: p,
    ...(q === undefined ? {} : { query: q }),
    ...(b === undefined ? {} : { body: b }),
  }));
const auditPath = fc
  .tuple(fc.constantFrom('users', 'groups', 'teams', 'Users', 'x'), fc.oneof(fc.constantFrom('USER', 'GROUP', 'TEAM'), segment), fc.constantFrom('history', 'as-of', 'x', ''))
  .map(([kind, id, view]) => `/admin/audit/${kind}/${id}/${view}`);
/** The administration API's routes (api-docs/admin) with bodies of their kind, and any method on any path below /api/v2. */
const adminRoute = fc.oneof(
  adminTarget(fc.constant('GET'), fc.oneof(fc.constantFrom('/admin/scim-settings', '/admin/scim-cleanup', '/admin/scim-tokens', '/admin/scim-groups', '/admin/teams', '/admin/teams/TEAM', '/admin/scim-activity', '/admin/audit/subjects', '/teams/TEAM', '/ping'), auditPath), none),
  adminTarget(fc.constant('PATCH'), fc.constant('/admin/scim-settings'), fc.oneof(settingsDocument, anyBody)),
  adminTarget(fc.constant('POST'), fc.constant('/admin/teams'), fc.oneof(teamDocument, anyBody)),
  adminTarget(fc.constantFrom('POST', 'PATCH', 'DELETE'), fc.constant('/admin/teams/TEAM/scim-group-mapping'), fc.oneof(mappingDocument, anyBody)),
  adminTarget(fc.constant('POST'), fc.constant('/admin/scim-tokens'), fc.oneof(tokenDocument, anyBody)),
  adminTarget(fc.constantFrom('GET', 'DELETE'), fc.oneof(fc.constantFrom('/admin/scim-tokens/', '/authentication-tokens/'), fc.constant('/admin/teams/')).chain((root) => segment.map((id) => root + id)), none),
  adminTarget(
    fc.oneof(fc.constantFrom('GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'HEAD', 'OPTIONS'), fc.constantFrom('TRACE', 'PROPFIND')),
    fc.oneof(fc.constantFrom('', '/', '/admin', '/admin/', '/admin/x', '/admin/scim-settings/x', '/admin//teams', '/organizations', '/admin/audit'), segment.map((s) => `/admin/${s}`)),
    fc.option(anyBody, { nil: undefined }),
  ),
);
const adminContentType = fc.oneof({ weight: 6, arbitrary: fc.constant('application/vnd.api+json') }, contentType);
/** A request to /api/v2; a DELETE of the SCIM settings (which disables SCIM) never carries the valid token. */
export const hostileAdminRequest: fc.Arbitrary<HostileRequest> = fc
  .record({
    target: adminRoute,
    contentType: adminContentType,
    encoding,
    auth: fc.oneof({ weight: 12, arbitrary: fc.constant('valid' as const) }, { weight: 1, arbitrary: fc.constantFrom('none' as const, 'unknown' as const, 'basic' as const, 'odd-spacing' as const) }),
  })
  .map(({ target: t, encoding: e, auth, ...rest }) => ({
    ...t,
    ...rest,
    auth: t.method === 'DELETE' && t.path === '/admin/scim-settings' && auth === 'valid' ? ('unknown' as const) : auth,
    ...(e === undefined ? {} : { encoding: e }),
  }));

/** Health, metrics, the settings page and paths outside every API. */
export const hostileOtherRequest: fc.Arbitrary<HostileRequest> = fc
  .record({
    target: target(
      fc.oneof({ weight: 3, arbitrary: fc.constantFrom('GET', 'HEAD') }, fc.constantFrom('POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS', 'TRACE')),
      fc.oneof(
        fc.constantFrom('/healthz', '/readyz', '/metrics', '/admin/scim', '/admin/scim/', '/admin/scim/app.js', '/admin/scim/styles.css', '/admin/scim/favicon.svg', '/', '/scim', '/scim/v1/Users', '/api/v1', '/api', '/favicon.ico'),
        segment.map((s) => `/${s}`),
      ),
      fc.option(anyBody, { nil: undefined }),
    ),
    contentType,
    auth: fc.constantFrom('valid' as const, 'none' as const, 'unknown' as const),
  })
  .map(({ target: t, ...rest }) => ({ ...t, ...rest }));

/** Requests across the whole service: mostly SCIM (the write path), then the admin API, then the rest. */
export const hostileServiceRequest: fc.Arbitrary<SurfaceRequest> = fc.oneof(
  { weight: 6, arbitrary: hostileRequest.map((request) => ({ surface: 'scim' as const, request })) },
  { weight: 2, arbitrary: hostileAdminRequest.map((request) => ({ surface: 'admin' as const, request })) },
  { weight: 1, arbitrary: hostileOtherRequest.map((request) => ({ surface: 'other' as const, request })) },
);

/**
 * What a raw socket changes in a well-formed request, below what an HTTP client library lets
 * through: framing (Content-Length against the body, chunked, both), request-target and header
 * bytes (invalid UTF-8, controls, NUL), the protocol version, oversized headers, Accept and
 * Authorization forms, Expect.
 */
export type RawTwist =
  | { readonly kind: 'exact' }
  | { readonly kind: 'content-length-over'; readonly by: number }
  | { readonly kind: 'content-length-under'; readonly by: number }
  | { readonly kind: 'chunked' }
  | { readonly kind: 'chunked-malformed'; readonly size: string }
  | { readonly kind: 'content-length-and-chunked' }
  | { readonly kind: 'content-length-twice' }
  | { readonly kind: 'target-bytes'; readonly bytes: readonly number[] }
  | { readonly kind: 'header-bytes'; readonly name: string; readonly bytes: readonly number[] }
  | { readonly kind: 'version'; readonly version: string }
  | { readonly kind: 'huge-header'; readonly size: number }
  | { readonly kind: 'header'; readonly name: string; readonly value: string }
  | { readonly kind: 'authorization'; readonly form: string };

const hostileBytes = fc.oneof(
  fc.constantFrom([0xff], [0xc0, 0x80], [0xed, 0xa0, 0x80], [0xe0, 0xa4], [0x00], [0x7f], [0x0b], [0x1b, 0x5b], [0xf0, 0x9f, 0x98, 0x80]),
  fc.uint8Array({ minLength: 1, maxLength: 6 }).map((bytes) => [...bytes]),
);
export const rawTwist: fc.Arbitrary<RawTwist> = fc.oneof(
  fc.constant({ kind: 'exact' as const }),
  fc.integer({ min: 1, max: 100 }).map((by) => ({ kind: 'content-length-over' as const, by })),
  fc.integer({ min: 1, max: 100 }).map((by) => ({ kind: 'content-length-under' as const, by })),
  fc.constant({ kind: 'chunked' as const }),
  fc.constantFrom('zz', '-1', 'ffffffffffffffffff', '', '1;ext=\u0000', '0x10').map((size) => ({ kind: 'chunked-malformed' as const, size })),
  fc.constant({ kind: 'content-length-and-chunked' as const }),
  fc.constant({ kind: 'content-length-twice' as const }),
  hostileBytes.map((bytes) => ({ kind: 'target-bytes' as const, bytes })),
  fc.tuple(fc.constantFrom('Content-Type', 'Authorization', 'Accept', 'If-Match', 'X-Correlation-Id', 'X-Forwarded-For', 'Host', 'User-Agent'), hostileBytes).map(([name, bytes]) => ({ kind: 'header-bytes' as const, name, bytes })),
  fc.constantFrom('HTTP/1.0', 'HTTP/0.9', 'HTTP/2.0', 'HTTP/1.2', 'HTTP/1.1x', 'http/1.1', 'HTTP/11').map((version) => ({ kind: 'version' as const, version })),
  fc.integer({ min: 8_000, max: 70_000 }).map((size) => ({ kind: 'huge-header' as const, size })),
  fc
    .tuple(
      fc.constantFrom('Accept', 'Accept-Charset', 'Content-Type', 'Expect', 'Transfer-Encoding', 'Accept-Encoding', 'Host', 'X-HTTP-Method-Override', 'Range', 'Content-Range', 'Connection'),
      fc.constantFrom(
        'text/html', 'application/xml', '*/*;q=0', 'application/scim+json;q=0', 'application/scim+json; charset=utf-16', 'utf-16', 'application/json; charset="utf-8"; charset=latin1',
        '100-continue', 'garbage', 'gzip, chunked', 'identity', '*', 'DELETE', 'bytes=0-1', 'keep-alive, Upgrade', '', ' ', 'a'.repeat(2000),
      ),
    )
    .map(([name, value]) => ({ kind: 'header' as const, name, value })),
  fc
    .constantFrom('Bearer', 'Bearer ', 'Bearer\tTOKEN', 'Bearer TOKEN, Bearer TOKEN', 'Bearer "TOKEN"', 'BEARER TOKEN', 'Bearer TOKEN=', 'Bearer TOKEN\u00e9', 'Token TOKEN', 'Bearer ' + 'x'.repeat(5000), 'Basic', 'Negotiate abc', 'Bearer TOKEN TOKEN')
    .map((form) => ({ kind: 'authorization' as const, form })),
);

/** One request as the bytes a raw socket sends, and whether the server is expected to answer it (not when it waits for promised body bytes that never come). */
export interface RawWire {
  readonly bytes: Buffer;
  readonly expectsAnswer: boolean;
}

/**
 * `request` (already through toWire, `root` its surface's prefix) with `twist` applied, as bytes,
 * with `Connection: close` so that the answer ends with the connection.
 */
export function toRawWire(request: WireRequest, root: string, twist: RawTwist, token: string): RawWire {
  const body = request.body ?? Buffer.alloc(0);
  const headers: [string, Buffer][] = Object.entries(request.headers).map(([name, value]) => [name, Buffer.from(value, 'latin1')]);
  let target = Buffer.from(root + request.path, 'latin1');
  let version = 'HTTP/1.1';
  let payload = body;
  let expectsAnswer = true;
  const setHeader = (name: string, value: Buffer) => {
    const kept = headers.filter(([n]) => n.toLowerCase() !== name.toLowerCase());
    headers.length = 0;
    headers.push(...kept, [name, value]);
  };
  headers.push(['Host', Buffer.from('127.0.0.1')]);
  switch (twist.kind) {
    case 'exact':
      headers.push(['Content-Length', Buffer.from(String(body.length))]);
      break;
    case 'content-length-over':
      // The server waits for bytes that never come; the client's half-close ends the wait.
      headers.push(['Content-Length', Buffer.from(String(body.length + twist.by))]);
      expectsAnswer = false;
      break;
    case 'content-length-under':
      headers.push(['Content-Length', Buffer.from(String(Math.max(0, body.length - twist.by)))]);
      break;
    case 'chunked':
      headers.push(['Transfer-Encoding', Buffer.from('chunked')]);
      payload = Buffer.concat([...(body.length ? [Buffer.from(`${body.length.toString(16)}\r\n`), body, Buffer.from('\r\n')] : []), Buffer.from('0\r\n\r\n')]);
      break;
    case 'chunked-malformed':
      headers.push(['Transfer-Encoding', Buffer.from('chunked')]);
      payload = Buffer.concat([Buffer.from(`${twist.size}\r\n`), body, Buffer.from('\r\n0\r\n\r\n')]);
      break;
    case 'content-length-and-chunked':
      headers.push(['Content-Length', Buffer.from(String(body.length))], ['Transfer-Encoding', Buffer.from('chunked')]);
      break;
    case 'content-length-twice':
      headers.push(['Content-Length', Buffer.from(String(body.length))], ['Content-Length', Buffer.from(String(body.length + 1))]);
      break;
    case 'target-bytes': {
      // Inside the path below the surface's prefix: the request stays the surface's to answer.
      const at = root.length + Math.floor((target.length - root.length) / 2);
      target = Buffer.concat([target.subarray(0, at), Buffer.from(twist.bytes), target.subarray(at)]);
      headers.push(['Content-Length', Buffer.from(String(body.length))]);
      break;
    }
    case 'header-bytes':
      setHeader(twist.name, Buffer.concat([Buffer.from('x'), Buffer.from(twist.bytes), Buffer.from('y')]));
      headers.push(['Content-Length', Buffer.from(String(body.length))]);
      break;
    case 'version':
      version = twist.version;
      headers.push(['Content-Length', Buffer.from(String(body.length))]);
      break;
    case 'huge-header':
      headers.push(['X-Padding', Buffer.alloc(twist.size, 'a')], ['Content-Length', Buffer.from(String(body.length))]);
      break;
    case 'header':
      setHeader(twist.name, Buffer.from(twist.value, 'utf8'));
      if (twist.name.toLowerCase() !== 'transfer-encoding') headers.push(['Content-Length', Buffer.from(String(body.length))]);
      break;
    case 'authorization':
      setHeader('Authorization', Buffer.from(twist.form.replaceAll('TOKEN', token), 'utf8'));
      headers.push(['Content-Length', Buffer.from(String(body.length))]);
      break;
  }
  setHeader('Connection', Buffer.from('close'));
  const head = Buffer.concat([
    Buffer.from(`${request.method} `, 'latin1'),
    target,
    Buffer.from(` ${version}\r\n`, 'latin1'),
    ...headers.flatMap(([name, value]) => [Buffer.from(`${name}: `, 'latin1'), value, Buffer.from('\r\n')]),
    Buffer.from('\r\n'),
  ]);
  return { bytes: Buffer.concat([head, payload]), expectsAnswer };
}
