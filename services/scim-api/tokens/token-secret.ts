import { createHmac, randomBytes } from 'node:crypto';

/** Only this is stored: HMAC-SHA512 of the token under the server secret. */
export function tokenHmac(secret: string, token: string): Buffer {
  return createHmac('sha512', secret).update(token, 'utf8').digest();
}

/** 256 random bits; the prefix lets secret scanners recognise a leaked SCIM token. */
export function newTokenValue(prefix: 'scim' | 'admin'): string {
  return `${prefix}_${randomBytes(32).toString('base64url')}`;
}

export function newTokenId(prefix: 'st' | 'at'): string {
  return `${prefix}-${randomBytes(10).toString('hex')}`;
}
