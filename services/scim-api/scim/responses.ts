import type { Request, Response } from 'express';
import { ScimError, scimErrorBody } from '../../../shared/scim/errors';

export const SCIM_CONTENT_TYPE = 'application/scim+json; charset=utf-8';

export function sendScim(res: Response, status: number, body: unknown, headers: Record<string, string> = {}): void {
  res.status(status);
  for (const [name, value] of Object.entries(headers)) res.setHeader(name, value);
  res.setHeader('Content-Type', SCIM_CONTENT_TYPE);
  res.send(JSON.stringify(body));
}

export function sendScimError(res: Response, error: ScimError): void {
  const headers: Record<string, string> = {};
  if (error.status === 401) headers['WWW-Authenticate'] = 'Bearer realm="scim"';
  if (error.status === 503 || error.status === 429) headers['Retry-After'] = String(error.headers.retryAfterSeconds ?? 1);
  if (error.headers.allow) headers.Allow = error.headers.allow.join(', ');
  sendScim(res, error.status, scimErrorBody(error), headers);
}

/** A weak ETag of the stream revision (RFC 7644 §3.14). */
export function versionOf(revision: bigint): string {
  return `W/"${revision}"`;
}

/** If-Match → the stream revision it names; `*` and absent mean no precondition. */
export function expectedRevisionFrom(ifMatch: string | undefined): bigint | undefined {
  if (ifMatch === undefined || ifMatch.trim() === '*') return undefined;
  const match = /^\s*(?:W\/)?"(\d{1,19})"\s*$/.exec(ifMatch);
  if (!match) throw new ScimError(412, undefined, `If-Match ${JSON.stringify(ifMatch)} names no version of this resource`);
  return BigInt(match[1]!);
}

/** A body's attributes the schemas do not know are ignored, not rejected (scim-behaviour.md); the debug log names them. */
export function logIgnored(req: Request, ignored: readonly string[]): void {
  if (ignored.length > 0) req.log.debug({ ignored }, 'unknown attributes in the request body ignored');
}
