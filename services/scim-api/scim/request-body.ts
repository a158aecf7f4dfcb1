import express, { type NextFunction, type Request, type RequestHandler, type Response } from 'express';
import { findUnstorableString } from '../../../shared/db/storable-text';
import { type ScimError, scimErrors } from '../../../shared/scim/errors';
import { verifyUtf8 } from '../http/strict-utf8';

/**
 * How deeply a SCIM request body may nest arrays and objects. The deepest document SCIM defines is
 * a PatchOp whose value is an extension holding a complex attribute
 * (`Operations[].value.<urn>.manager.value`: 5 levels); the bound leaves room for what clients add
 * and keeps every later walk of the body (validation, patching, logging) far from the stack's end.
 */
export const MAX_BODY_DEPTH = 32;

const WITH_BODY: ReadonlySet<string> = new Set(['POST', 'PUT', 'PATCH']);

/**
 * Whether a POST, PUT or PATCH carries a body that the JSON parser left unread, because its
 * Content-Type is not one it parses (or there is none): such a body must be refused (415), never
 * read as "no body".
 */
export function hasUnparsedBody(req: Request): boolean {
  return req.body === undefined && WITH_BODY.has(req.method) && hasBody(req);
}

/** RFC 9112 §6.3: a request has a body when it says how long it is (and that is not 0) or is chunked. */
function hasBody(req: Request): boolean {
  const length = req.headers['content-length'];
  return req.headers['transfer-encoding'] !== undefined || (length !== undefined && length !== '0');
}

/**
 * The depth of a parsed JSON value, counted without recursion (a 1 MB body can nest 500,000
 * levels), stopping as soon as it passes `limit`. A scalar is depth 0, `{}` and `[]` depth 1.
 */
export function jsonDepthExceeds(value: unknown, limit: number): boolean {
  const stack: { value: unknown; depth: number }[] = [{ value, depth: 0 }];
  while (stack.length > 0) {
    const { value: current, depth } = stack.pop()!;
    if (current === null || typeof current !== 'object') continue;
    if (depth + 1 > limit) return true;
    for (const child of Object.values(current)) stack.push({ value: child, depth: depth + 1 });
  }
  return false;
}

/**
 * The JSON body of a SCIM request, checked before any route reads it:
 * - parsed as `application/scim+json` or `application/json` (Entra and common tools send both),
 *   gzip/deflate/br bodies decoded, at most `maxBytes` after decoding (413 past it); a POST, PUT
 *   or PATCH body of another type is 415; bytes that are not UTF-8 are 400 `invalidSyntax`;
 * - nested at most {@link MAX_BODY_DEPTH} levels (400 `invalidSyntax`);
 * - every string, and every key, storable in Postgres: no U+0000 and no unpaired surrogate
 *   (400 `invalidValue` naming the first such place, e.g. `$.name.givenName`), so such input is
 *   refused before it becomes a command, never a failed append.
 * Errors of the parser itself are rendered by the SCIM error middleware (error-middleware.ts).
 */
export function scimJsonBody(maxBytes: number): RequestHandler[] {
  const parse = express.json({ limit: maxBytes, type: ['application/json', 'application/scim+json', 'application/*+json'], verify: verifyUtf8 });
  const check = (req: Request, _res: Response, next: NextFunction): void => {
    const body: unknown = req.body;
    if (body === undefined) {
      // A body the parser left alone is not JSON; reading it as "no body" would drop what was sent.
      if (hasUnparsedBody(req)) {
        const type = req.get('content-type');
        const what = type === undefined ? 'a body without Content-Type' : `Content-Type ${JSON.stringify(type)}`;
        return next(scimErrors.unsupportedMediaType(`${what} is not JSON; send application/scim+json (RFC 7644 §3.1) or application/json`));
      }
      return next();
    }
    next(problemWithBody(body));
  };
  return [parse, check];
}

/**
 * What is wrong with a parsed JSON body before any SCIM rule is applied, or undefined:
 * 400 `invalidSyntax` when it nests deeper than {@link MAX_BODY_DEPTH}; 400 `invalidValue` naming
 * the first string (or key) Postgres cannot store, e.g. `$.emails[0].value`.
 */
export function problemWithBody(body: unknown): ScimError | undefined {
  if (jsonDepthExceeds(body, MAX_BODY_DEPTH)) return scimErrors.invalidSyntax(`the request body nests deeper than ${MAX_BODY_DEPTH} levels`);
  const unstorable = findUnstorableString(body);
  if (unstorable !== undefined) {
    return scimErrors.invalidValue(`the string at ${unstorable} holds U+0000 or an unpaired UTF-16 surrogate, which no attribute can store`);
  }
  return undefined;
}
