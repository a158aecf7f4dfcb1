import { createHash, timingSafeEqual } from 'node:crypto';
import type { NextFunction, Request, Response } from 'express';
import type { Actor } from '../../../shared/domain/metadata';
import { scimErrors } from '../../../shared/scim/errors';

/** Decides whether a bearer token may call /scim/v2, and as whom. */
export interface ScimTokenVerifier {
  verify(token: string): Promise<Actor | undefined>;
}

const digest = (value: string) => createHash('sha256').update(value, 'utf8').digest();

/**
 * SCIM_BOOTSTRAP_TOKEN: compared in constant time (equal-length digests, so neither the
 * comparison nor an early length check leaks how much of a guess was right).
 */
export function bootstrapTokenVerifier(token: string | undefined): ScimTokenVerifier {
  const expected = token ? digest(token) : undefined;
  return {
    async verify(candidate) {
      if (!expected) return undefined;
      return timingSafeEqual(digest(candidate), expected) ? { kind: 'bootstrap-token', id: 'bootstrap' } : undefined;
    },
  };
}

declare module 'express-serve-static-core' {
  interface Request {
    actor?: Actor;
  }
}

/** The one place a SCIM request is authenticated; RFC 6750 bearer tokens only. */
export function scimAuthentication(verifiers: readonly ScimTokenVerifier[]) {
  return async (req: Request, _res: Response, next: NextFunction) => {
    const header = req.headers.authorization;
    const match = header ? /^Bearer\s+(\S+)\s*$/i.exec(header) : null;
    if (!match) return next(scimErrors.unauthorized('a bearer token is required'));
    for (const verifier of verifiers) {
      const actor = await verifier.verify(match[1]!);
      if (actor) {
        req.actor = actor;
        return next();
      }
    }
    next(scimErrors.unauthorized('the bearer token is not a valid SCIM token'));
  };
}
