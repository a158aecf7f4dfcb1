import type { NextFunction, Request, Response } from 'express';
import { ErrorSerializer, Linker, Metaizer, Paginator, Serializer } from 'ts-japi';
import { z } from 'zod';
import { findUnstorableString } from '../../../shared/db/storable-text';
import { ScimError, scimErrors } from '../../../shared/scim/errors';
import { logFailure, toScimError } from '../scim/error-middleware';
import { INVALID_UTF8 } from '../http/strict-utf8';
import type { Page } from './pagination';

/** JSON:API's media type; every admin response, errors included, carries it. */
export const JSON_API_CONTENT_TYPE = 'application/vnd.api+json';

/** One resource as the admin API shows it: dashed attribute names, as on the platform's pages. */
export interface JsonApiResource {
  readonly id: string;
  readonly type: string;
  readonly attributes: Readonly<Record<string, unknown>>;
}

export function jsonApiResource(type: string, id: string, attributes: Record<string, unknown>): JsonApiResource {
  return { id, type, attributes };
}

/**
 * An admin API error: a status, the JSON:API `source` it points at (`/data/attributes/paused`, or a
 * query parameter), and a detail. Rendered by {@link jsonApiErrorMiddleware}.
 */
export class AdminApiError extends ScimError {
  constructor(
    status: number,
    detail: string,
    readonly source?: { readonly pointer?: string; readonly parameter?: string },
  ) {
    super(status, undefined, detail);
    this.name = 'AdminApiError';
  }
}

/** JSON:API titles: the HTTP reason phrase in lower case, as the platform (and go-tfe's error strings) use them. */
const TITLES: Record<number, string> = {
  400: 'bad request',
  401: 'unauthorized',
  403: 'forbidden',
  404: 'not found',
  405: 'method not allowed',
  409: 'conflict',
  412: 'precondition failed',
  413: 'payload too large',
  415: 'unsupported media type',
  422: 'unprocessable entity',
  429: 'too many requests',
  500: 'internal error',
  503: 'service unavailable',
};

interface ErrorObject {
  readonly status: string;
  readonly title: string;
  readonly detail: string;
  readonly pointer?: string;
  readonly parameter?: string;
}

const errorSerializer = new ErrorSerializer<ErrorObject>({
  version: null,
  attributes: { status: 'status', title: 'title', detail: 'detail', source: { pointer: 'pointer', parameter: 'parameter' } },
});

/** The JSON:API error document of an error: `{ "errors": [{ status, title, detail, source? }] }`. */
export function jsonApiErrorDocument(error: ScimError): unknown {
  const source = error instanceof AdminApiError ? error.source : undefined;
  return errorSerializer.serialize({
    status: String(error.status),
    title: TITLES[error.status] ?? 'error',
    detail: error.detail,
    ...(source?.pointer ? { pointer: source.pointer } : {}),
    ...(source?.parameter ? { parameter: source.parameter } : {}),
  });
}

function send(res: Response, status: number, document: unknown): void {
  res.status(status).setHeader('Content-Type', JSON_API_CONTENT_TYPE).send(JSON.stringify(document));
}

type Flat = Record<string, unknown> & { id: string };
const serializers = new Map<string, Serializer<Flat>>();
function serializerFor(type: string): Serializer<Flat> {
  let serializer = serializers.get(type);
  if (!serializer) {
    serializer = new Serializer<Flat>(type, { version: null, projection: null });
    serializers.set(type, serializer);
  }
  return serializer;
}

const flat = (resource: JsonApiResource): Flat => ({ ...resource.attributes, id: resource.id });

/** `{ "data": { id, type, attributes } }` with `status`. */
export async function sendResource(res: Response, status: number, resource: JsonApiResource): Promise<void> {
  send(res, status, await serializerFor(resource.type).serialize(flat(resource)));
}

/**
 * `{ "data": [...] }` of one type; with `page`, also `links` (self, first, prev, next, last) and
 * `meta.pagination` as the platform's paginated lists carry them (api-docs/admin/scim-groups);
 * with `meta` (and no page), that document `meta`.
 */
export async function sendCollection(
  res: Response,
  type: string,
  resources: readonly JsonApiResource[],
  page?: { page: Page; link: (pageNumber: number) => string },
  meta?: Record<string, unknown>,
): Promise<void> {
  const serializer = serializerFor(type);
  const data = resources.map(flat);
  if (!page) return send(res, 200, await serializer.serialize(data, meta ? { metaizers: { document: new Metaizer(() => meta) } } : undefined));
  const { page: p, link } = page;
  send(
    res,
    200,
    await serializer.serialize(data, {
      linkers: {
        document: new Linker(() => link(p.currentPage)),
        paginator: new Paginator(() => ({
          first: link(1),
          prev: p.prevPage === null ? null : link(p.prevPage),
          next: p.nextPage === null ? null : link(p.nextPage),
          last: link(p.totalPages),
        })),
      },
      metaizers: {
        document: new Metaizer(() => ({
          pagination: {
            'current-page': p.currentPage,
            'page-size': p.pageSize,
            'prev-page': p.prevPage,
            'next-page': p.nextPage,
            'total-pages': p.totalPages,
            'total-count': p.totalCount,
          },
        })),
      },
    }),
  );
}

/** What a request document of one endpoint must look like. */
export interface DocumentSpec<A extends z.ZodType> {
  /**
   * The `data.type` values accepted besides none at all: go-tfe's encoder writes `"type":""` for
   * option structs without a primary tag (settings update, token create), and the platform's
   * pages and go-tfe disagree on `scim-group-mapping` vs `scim-group-mappings`.
   */
  readonly types: readonly string[];
  readonly attributes: A;
  /**
   * The status of an unusable attribute (missing, of the wrong type, out of range, unstorable):
   * 422 on most endpoints (api-docs/admin/scim-settings: "missing attributes and wrong types"),
   * 400 where the platform's page says so (api-docs/admin/scim-tokens: "another bad request").
   */
  readonly attributeStatus: 400 | 422;
}

/** findUnstorableString's location (`$.data.attributes["expired-at"]`) as an RFC 6901 JSON pointer. */
export function jsonPathToPointer(path: string): string {
  const tokens = [...path.slice(1).matchAll(/\.([^.[]+)|\[(\d+)\]|\[("(?:[^"\\]|\\.)*")\]/g)].map((m) => m[1] ?? m[2] ?? (JSON.parse(m[3]!) as string));
  return tokens.map((t) => `/${t.replace(/~/g, '~0').replace(/\//g, '~1')}`).join('');
}

/** zod's path as a JSON pointer into the request document: `/data/attributes/expired-at`. */
const pointerOf = (path: readonly PropertyKey[]) => ['/data/attributes', ...path.map(String)].join('/');

/**
 * Reads `data.attributes` of a JSON:API request document: the document's shape first (400 when
 * it is not `{ "data": { "type"?, "attributes"? } }` of an accepted type), then every string in it
 * must be storable (U+0000 and lone surrogates never reach a command), then the attributes must
 * satisfy `spec.attributes` (`spec.attributeStatus` otherwise, pointing at the attribute).
 * @throws AdminApiError as above.
 */
export function parseJsonApiDocument<A extends z.ZodType>(body: unknown, spec: DocumentSpec<A>): z.output<A> {
  const data = (body as { data?: unknown } | undefined)?.data;
  if (typeof body !== 'object' || body === null || typeof data !== 'object' || data === null || Array.isArray(data)) {
    throw new AdminApiError(400, 'the body must be a JSON:API document: {"data": {"type": ..., "attributes": {...}}}', { pointer: '/data' });
  }
  const { type, attributes = {} } = data as { type?: unknown; attributes?: unknown };
  if (!(type === undefined || type === '' || (typeof type === 'string' && spec.types.includes(type)))) {
    throw new AdminApiError(400, `data.type must be ${spec.types.map((t) => JSON.stringify(t)).join(' or ')}`, { pointer: '/data/type' });
  }
  if (typeof attributes !== 'object' || attributes === null || Array.isArray(attributes)) {
    throw new AdminApiError(400, 'data.attributes must be an object', { pointer: '/data/attributes' });
  }
  const unstorable = findUnstorableString(body);
  if (unstorable) {
    throw new AdminApiError(spec.attributeStatus, `${unstorable.replace(/^\$\.?/, '')} holds U+0000 or an unpaired surrogate, which cannot be stored`, {
      pointer: jsonPathToPointer(unstorable),
    });
  }
  const parsed = spec.attributes.safeParse(attributes);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    const name = issue.path.map(String).join('.');
    throw new AdminApiError(spec.attributeStatus, name ? `${name}: ${issue.message}` : issue.message, { pointer: pointerOf(issue.path) });
  }
  return parsed.data;
}

/** A single query parameter's value: repeated parameters and U+0000 are 400, naming the parameter. */
export function queryParameter(req: Request, name: string): string | undefined {
  const value = req.query[name];
  if (value === undefined) return undefined;
  if (typeof value !== 'string') throw new AdminApiError(400, `${name} must be given once, as a plain value`, { parameter: name });
  if (findUnstorableString(value)) throw new AdminApiError(400, `${name} holds U+0000, which cannot be searched for`, { parameter: name });
  return value;
}

/** Body-parser failures (bad JSON, too large, wrong charset) as JSON:API errors, the rest as toScimError does. */
function toAdminError(error: unknown): ScimError | undefined {
  const known = toScimError(error);
  if (!known) return undefined;
  const parser = error as { type?: string; limit?: number };
  if (parser.type === 'entity.parse.failed') return new AdminApiError(400, 'the request body is not valid JSON');
  if (parser.type === INVALID_UTF8) return new AdminApiError(400, 'the body is not valid UTF-8');
  if (parser.type === 'entity.too.large' && typeof parser.limit === 'number') return new AdminApiError(413, `the request body is larger than ${parser.limit} bytes`);
  return known;
}

/**
 * Every admin API error is a JSON:API error document with application/vnd.api+json; never an HTML
 * page, never a stack. A 503 or 429 carries Retry-After (a dependency down: see toScimError).
 */
export function jsonApiErrorMiddleware(error: unknown, req: Request, res: Response, _next: NextFunction): void {
  let known = toAdminError(error);
  if (!known) {
    req.log.error({ err: error }, 'unhandled error');
    known = new ScimError(500, undefined, `internal error; request id ${String(req.id)}`);
  } else logFailure(req, error, known);
  if (res.headersSent) return;
  if (known.status === 401) res.setHeader('WWW-Authenticate', 'Bearer realm="admin"');
  if ((known.status === 503 || known.status === 429) && !res.hasHeader('Retry-After')) res.setHeader('Retry-After', String(known.headers.retryAfterSeconds ?? 1));
  send(res, known.status, jsonApiErrorDocument(known));
}

/** 404 for a path the API does not have: a JSON:API error like every other. */
export function notFoundHandler(req: Request, _res: Response, next: NextFunction): void {
  next(scimErrors.notFound(`no API endpoint at ${req.method} ${req.originalUrl.split('?')[0]}`));
}
