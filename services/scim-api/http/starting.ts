import type { IncomingMessage, ServerResponse } from 'node:http';
import { scimErrorBody, ScimError } from '../../../shared/scim/errors';
import { JSON_API_CONTENT_TYPE, jsonApiErrorDocument } from '../admin/json-api';
import { SCIM_CONTENT_TYPE } from '../scim/responses';

const DETAIL = 'the service is starting; retry in a moment';

/**
 * What the API answers between binding its port and being ready (migrations, the read model's
 * first catch-up, the bootstrap tokens): 503 with Retry-After, in each API's own error format
 * (RFC 7644 §3.12 on /scim/v2, a JSON:API error document on /api/v2/admin, JSON elsewhere,
 * /healthz included: the process is not serving yet). The port is bound first so that a taken
 * port fails the start before anything else runs.
 */
export function answerStarting(req: IncomingMessage, res: ServerResponse): void {
  const path = req.url ?? '/';
  let type = 'application/json; charset=utf-8';
  let body: unknown = { status: 'starting', detail: DETAIL };
  if (path === '/scim/v2' || path.startsWith('/scim/v2/') || path.startsWith('/scim/v2?')) {
    type = SCIM_CONTENT_TYPE;
    body = scimErrorBody(new ScimError(503, undefined, DETAIL));
  } else if (path.startsWith('/api/v2/admin')) {
    type = JSON_API_CONTENT_TYPE;
    body = jsonApiErrorDocument(new ScimError(503, undefined, DETAIL));
  }
  res.writeHead(503, { 'Content-Type': type, 'Retry-After': '1', 'Cache-Control': 'no-store' }).end(JSON.stringify(body));
}
