import { isUtf8 } from 'node:buffer';
import type { IncomingMessage } from 'node:http';

/** The `type` body-parser gives the error {@link verifyUtf8} raises; the error middlewares render it. */
export const INVALID_UTF8 = 'entity.encoding.invalid';

/**
 * body-parser's `verify` hook: refuses a UTF-8 body (after Content-Encoding is undone, before it is
 * decoded) holding bytes that are not UTF-8. Decoding them would turn each into U+FFFD, so two
 * different byte strings would become one value (a second user "colliding" with the first).
 * Bodies in another Unicode charset (`charset=utf-16le`) are left to their decoder.
 * @throws an error with status 400 and type {@link INVALID_UTF8}.
 */
export function verifyUtf8(_req: IncomingMessage, _res: unknown, body: Buffer, encoding: string): void {
  if (!/^utf-?8$/i.test(encoding) || isUtf8(body)) return;
  throw Object.assign(new Error('the body is not valid UTF-8'), { status: 400, type: INVALID_UTF8 });
}
