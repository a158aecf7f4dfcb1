import type { NextFunction, Request, Response } from 'express';
import { unavailableError } from '../../../shared/infrastructure/unavailable';
import { ScimError, scimErrors } from '../../../shared/scim/errors';
import { INVALID_UTF8 } from '../http/strict-utf8';
import { sendScimError } from './responses';

/**
 * The shape of the errors Express's own layers raise (http-errors): body-parser for bodies, the
 * router for path parameters. `status` is the HTTP status the client caused; `type` names
 * body-parser's known failures.
 */
interface HttpLayerError {
  readonly status?: unknown;
  readonly type?: unknown;
  readonly limit?: unknown;
}

/**
 * Bad input of any kind becomes a SCIM error (RFC 7644 §3.12); only our own faults are 500s.
 * Beside our ScimErrors: every error Express's layers mark with a 4xx status is the request's
 * fault, whatever its kind (a body that does not parse or decode, a path segment whose
 * %-escape is malformed), so it keeps its status; and a backing service that cannot be reached
 * (Postgres or EventStoreDB down, restarting, full) is a 503 with Retry-After
 * (shared/infrastructure/unavailable.ts), not a bug. Returns undefined for anything else.
 */
export function toScimError(error: unknown): ScimError | undefined {
  if (error instanceof ScimError) return error;
  if (typeof error !== 'object' || error === null) return undefined;
  const unavailable = unavailableError(error);
  if (unavailable) return unavailable;
  const { status, type, limit } = error as HttpLayerError;
  switch (type) {
    case 'entity.too.large':
      return scimErrors.payloadTooLarge(`the request body is larger than ${typeof limit === 'number' ? `${limit} bytes` : 'the limit'}`);
    case 'entity.parse.failed':
      return scimErrors.invalidSyntax('the request body is not valid JSON');
    case INVALID_UTF8:
      return scimErrors.invalidSyntax('the body is not valid UTF-8');
    case 'encoding.unsupported':
      return scimErrors.unsupportedMediaType('unsupported Content-Encoding; send the body as identity, gzip, deflate or br');
    case 'charset.unsupported':
      return scimErrors.unsupportedMediaType('unsupported charset; send the body as UTF-8');
    case 'request.aborted':
    case 'request.size.invalid':
      return scimErrors.invalidSyntax('the request body was incomplete');
    default:
      break;
  }
  if (typeof status !== 'number' || status < 400 || status > 499) return undefined;
  // The router's decodeURIComponent of a path parameter (`/Users/%`, `/Users/%E0%A4%A`).
  if (error instanceof URIError) return scimErrors.invalidSyntax('the URL path holds a malformed %-escape (RFC 3986 §2.1)');
  // body-parser reports a body its Content-Encoding cannot decode as a 400 without a type.
  if (status === 400 && type === undefined) return scimErrors.invalidSyntax('the request body does not decode as its Content-Encoding says');
  return new ScimError(status, status === 400 ? 'invalidSyntax' : undefined, 'the request is malformed');
}

/**
 * How a failed request is logged: a 503 (a dependency down, a read model behind, too many
 * concurrent changes) is the service's condition, not a fault, so `warn`; 501 (an endpoint the
 * service leaves out: /Me, /Bulk) is the client's choice, not logged; any other 5xx is `error`.
 */
export function logFailure(req: Request, error: unknown, known: ScimError): void {
  if (known.status === 501) return;
  if (known.status === 503) req.log.warn({ err: error }, 'request failed: service unavailable');
  else if (known.status >= 500) req.log.error({ err: error }, 'request failed');
}

export function scimErrorMiddleware(error: unknown, req: Request, res: Response, _next: NextFunction): void {
  const scimError = toScimError(error);
  if (scimError) {
    logFailure(req, error, scimError);
    sendScimError(res, scimError);
    return;
  }
  req.log.error({ err: error }, 'unhandled error');
  sendScimError(res, new ScimError(500, undefined, `internal error; request id ${String(req.id)}`));
}
