import type { Request, Response } from 'express';
import type { RevisionPrecondition } from '../../../shared/commands/precondition';
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

/** RFC 7232 §2.3 `entity-tag = [ weak ] opaque-tag`, one element of a comma-separated list. */
const ENTITY_TAG = /\s*(?:W\/)?"([^"]*)"\s*(?:,|$)/gy;

/**
 * An If-Match or If-None-Match value as the stream revisions it names: `*`, or the revisions of its
 * entity-tags (RFC 7232 §3.1/§3.2 allow a list; compared weakly, as `W/"3"` and `"3"` name one
 * version). Tags that name no revision of this service (`"zz"`, past 2^63) can match nothing and are
 * left out; so is all of a value that is no list of entity-tags. Undefined when the field is absent.
 */
function revisionsNamed(field: string | undefined): readonly bigint[] | '*' | undefined {
  if (field === undefined) return undefined;
  if (field.trim() === '*') return '*';
  const revisions: bigint[] = [];
  ENTITY_TAG.lastIndex = 0;
  let end = 0;
  for (let match = ENTITY_TAG.exec(field); match !== null && match[0] !== ''; match = ENTITY_TAG.exec(field)) {
    const opaque = match[1] as string;
    if (/^\d{1,19}$/.test(opaque) && BigInt(opaque) < 2n ** 63n) revisions.push(BigInt(opaque));
    end = ENTITY_TAG.lastIndex;
  }
  return end === field.length ? revisions : [];
}

/**
 * A write's If-Match and If-None-Match (RFC 7232 §3.1, §3.2) as conditions on the stream revision
 * behind the resource's ETag; evaluated by the command handler against the current revision (412
 * when one fails). An If-Match naming no version at all fails at once.
 * @throws ScimError 412 for an If-Match that names no version of this resource (`garbage`, `W/"zz"`).
 */
export function preconditionFrom(req: Pick<Request, 'get'>): RevisionPrecondition | undefined {
  const ifMatchField = req.get('if-match');
  const ifMatch = revisionsNamed(ifMatchField);
  if (Array.isArray(ifMatch) && ifMatch.length === 0) {
    throw new ScimError(412, undefined, `If-Match ${JSON.stringify(ifMatchField)} names no version of this resource`);
  }
  const ifNoneMatch = revisionsNamed(req.get('if-none-match'));
  if (ifMatch === undefined && ifNoneMatch === undefined) return undefined;
  return { ...(ifMatch === undefined ? {} : { ifMatch }), ...(ifNoneMatch === undefined ? {} : { ifNoneMatch }) };
}

/** A body's attributes the schemas do not know are ignored, not rejected (scim-behaviour.md); the debug log names them. */
export function logIgnored(req: Request, ignored: readonly string[]): void {
  if (ignored.length > 0) req.log.debug({ ignored }, 'unknown attributes in the request body ignored');
}
