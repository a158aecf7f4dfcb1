import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';

const ACCEPTABLE = /^[A-Za-z0-9._:-]{1,128}$/;

/**
 * A caller-supplied X-Request-Id is kept when it is short and plain (so a proxy's id follows the
 * request into our logs and events); anything else is replaced, since it ends up in every log line.
 */
export function requestIdFor(req: IncomingMessage, res: ServerResponse): string {
  const supplied = req.headers['x-request-id'];
  const id = typeof supplied === 'string' && ACCEPTABLE.test(supplied) ? supplied : randomUUID();
  res.setHeader('X-Request-Id', id);
  return id;
}
