import type { NextFunction, Request, Response } from 'express';
import { ScimError, scimErrors } from '../../../shared/scim/errors';
import { toScimError } from '../scim/error-middleware';

export const JSON_API_CONTENT_TYPE = 'application/vnd.api+json';

export interface JsonApiResource {
  readonly id: string;
  readonly type: string;
  readonly attributes: Record<string, unknown>;
}

export function jsonApiResource(type: string, id: string, attributes: Record<string, unknown>): JsonApiResource {
  return { id, type, attributes };
}

export function sendJsonApi(res: Response, status: number, document: { data: JsonApiResource | JsonApiResource[] | null }): void {
  res.status(status).setHeader('Content-Type', JSON_API_CONTENT_TYPE).send(JSON.stringify(document));
}

/**
 * `data.attributes` of a JSON:API request document. `data.type`, when present, must be the
 * expected one; go-tfe's settings update sends attributes without a type, so that one may omit it.
 */
export function readJsonApiAttributes(body: unknown, expectedType: string, options: { typeOptional?: boolean } = {}): Record<string, unknown> {
  const data = (body as { data?: unknown } | undefined)?.data;
  if (typeof data !== 'object' || data === null || Array.isArray(data)) throw scimErrors.invalidSyntax('the body must be a JSON:API document with a data object');
  const { type, attributes } = data as { type?: unknown; attributes?: unknown };
  if (type === undefined ? !options.typeOptional : type !== expectedType) {
    throw scimErrors.invalidSyntax(`data.type must be "${expectedType}"`);
  }
  if (attributes === undefined) return {};
  if (typeof attributes !== 'object' || attributes === null || Array.isArray(attributes)) throw scimErrors.invalidSyntax('data.attributes must be an object');
  return attributes as Record<string, unknown>;
}

const TITLES: Record<number, string> = {
  400: 'bad request',
  401: 'unauthorized',
  403: 'forbidden',
  404: 'not found',
  409: 'conflict',
  412: 'precondition failed',
  413: 'payload too large',
  415: 'unsupported media type',
  422: 'unprocessable entity',
  429: 'too many requests',
  500: 'internal error',
  503: 'service unavailable',
};

/** Every admin API error is a JSON:API error document; never an HTML page, never a stack. */
export function jsonApiErrorMiddleware(error: unknown, req: Request, res: Response, _next: NextFunction): void {
  let known = toScimError(error);
  if (!known) {
    req.log.error({ err: error }, 'unhandled error');
    known = new ScimError(500, undefined, `internal error; request id ${String(req.id)}`);
  } else if (known.status >= 500) req.log.error({ err: error }, 'request failed');
  if (known.status === 401) res.setHeader('WWW-Authenticate', 'Bearer realm="admin"');
  res
    .status(known.status)
    .setHeader('Content-Type', JSON_API_CONTENT_TYPE)
    .send(JSON.stringify({ errors: [{ status: String(known.status), title: TITLES[known.status] ?? 'error', detail: known.detail }] }));
}
