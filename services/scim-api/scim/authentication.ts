import type { NextFunction, Request, Response } from 'express';
import type { Actor } from '../../../shared/domain/metadata';
import { scimErrors } from '../../../shared/scim/errors';

/** Decides whether a bearer token may call /scim/v2, and as whom. */
export interface ScimTokenVerifier {
  verify(token: string): Promise<Actor | undefined>;
}

declare module 'express-serve-static-core' {
  interface Request {
    actor?: Actor;
  }
}

/**
 * The one place a request to /scim/v2 (SCIM tokens) or /api/v2/admin (admin tokens) is
 * authenticated; RFC 6750 bearer tokens only. Each mount point is given only its own kind.
 */
export function bearerAuthentication(verifiers: readonly ScimTokenVerifier[], kind: 'SCIM' | 'admin') {
  return async (req: Request, _res: Response, next: NextFunction) => {
    const header = req.headers.authorization;
    const match = header ? /^Bearer\s+(\S+)\s*$/i.exec(header) : null;
    if (!match) return next(scimErrors.unauthorized('a bearer token is required'));
    try {
      for (const verifier of verifiers) {
        const actor = await verifier.verify(match[1]!);
        if (actor) {
          req.actor = actor;
          return next();
        }
      }
    } catch (error) {
      return next(error);
    }
    next(scimErrors.unauthorized(`the bearer token is not a valid ${kind} token (missing, unknown, expired or revoked)`));
  };
}
