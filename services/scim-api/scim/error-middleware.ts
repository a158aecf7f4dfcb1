import type { NextFunction, Request, Response } from 'express';
import { ScimError, scimErrors } from '../../../shared/scim/errors';
import { sendScimError } from './responses';

interface BodyParserError {
  readonly type?: string;
  readonly status?: number;
}

/** Bad input of any kind becomes a SCIM error body (RFC 7644 §3.12); only our own faults are 500s. */
export function toScimError(error: unknown): ScimError | undefined {
  if (error instanceof ScimError) return error;
  const parser = error as BodyParserError;
  switch (parser?.type) {
    case 'entity.too.large':
      return scimErrors.payloadTooLarge('the request body is larger than 1 MB');
    case 'entity.parse.failed':
      return scimErrors.invalidSyntax('the request body is not valid JSON');
    case 'encoding.unsupported':
    case 'charset.unsupported':
      return scimErrors.unsupportedMediaType('unsupported body encoding or charset');
    case 'request.aborted':
    case 'request.size.invalid':
      return scimErrors.invalidSyntax('the request body was incomplete');
    default:
      return undefined;
  }
}

export function scimErrorMiddleware(error: unknown, req: Request, res: Response, _next: NextFunction): void {
  const scimError = toScimError(error);
  if (scimError) {
    if (scimError.status >= 500) req.log.error({ err: error }, 'request failed');
    sendScimError(res, scimError);
    return;
  }
  req.log.error({ err: error }, 'unhandled error');
  sendScimError(res, new ScimError(500, undefined, `internal error; request id ${String(req.id)}`));
}
