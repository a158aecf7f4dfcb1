import { createHash } from 'node:crypto';
import type { NextFunction, Request, Response } from 'express';
import type { Actor } from '../../../shared/domain/metadata';
import type { ScimStatus } from '../../../shared/domain/settings/settings';
import type { RateBudget } from '../../../shared/rate-limit/rate-budget';
import { type ScimError, scimErrors } from '../../../shared/scim/errors';
import { hasSecretParameter } from '../http/query-secrets';
import { clientAddressKey } from './client-address';

/** Who a valid token acts as; a SCIM token's check also reads the provisioning state, in the same round trip. */
export interface Verified {
  readonly actor: Actor;
  readonly scimStatus?: ScimStatus;
}

/** Decides whether a bearer token may call /scim/v2, and as whom. */
export interface ScimTokenVerifier {
  verify(token: string): Promise<Verified | undefined>;
}

declare module 'express-serve-static-core' {
  interface Request {
    actor?: Actor;
    /** The provisioning state read with the token (scim-gate.ts uses it rather than asking again). */
    scimStatus?: ScimStatus;
  }
}

export interface AuthenticationOptions {
  /**
   * Failed authentications allowed per client address (keyed by {@link clientAddressKey}). Only
   * failures spend it: a missing or malformed Authorization header, or a token no verifier knows.
   * An address that has spent it is answered 429 with Retry-After before its token is looked up,
   * from this instance's memory (no database query), until the budget's window ends; except a
   * request whose token this instance verified within the last {@link RECENTLY_VERIFIED_MS}, so an
   * identity provider that shares its address with a failing client keeps working (its token is
   * still looked up, so a revocation still holds at once).
   */
  readonly failures?: RateBudget;
}

/** How long a verified token may pass an address's spent failure budget (10 minutes). */
export const RECENTLY_VERIFIED_MS = 10 * 60_000;

/**
 * The one place a request to /scim/v2 (SCIM tokens) or /api/v2/admin (admin tokens) is
 * authenticated; RFC 6750 bearer tokens only. Each mount point is given only its own kind.
 * Errors: 401 with `WWW-Authenticate` for a missing or unknown token, and for a token sent as the
 * `access_token` query parameter (RFC 6750 §2.3 lets a server refuse it: URLs end up in logs,
 * proxies and browser history; it is refused before any lookup and whatever the Authorization
 * header says); 429 with Retry-After when `options.failures` is spent for the client's address.
 */
export function bearerAuthentication(verifiers: readonly ScimTokenVerifier[], kind: 'SCIM' | 'admin', options: AuthenticationOptions = {}) {
  const { failures } = options;
  const recentlyVerified = new RecentlyVerifiedTokens(RECENTLY_VERIFIED_MS);
  const tooManyFailures = (retryAfterSeconds: number) =>
    scimErrors.tooManyRequests('too many failed authentications from this address; retry after the Retry-After delay with a valid bearer token', retryAfterSeconds);

  /** Spends one failure of `address`; the error to answer. */
  async function failed(address: string, error: ScimError): Promise<ScimError> {
    if (!failures) return error;
    const decision = await failures.consume(address);
    return decision.allowed ? error : tooManyFailures(decision.retryAfterSeconds);
  }

  return async (req: Request, _res: Response, next: NextFunction) => {
    if (hasSecretParameter(req.originalUrl)) {
      return next(scimErrors.unauthorized('a token in the access_token query parameter is refused (RFC 6750 §2.3); send it in the Authorization header: Authorization: Bearer <token>'));
    }
    const address = clientAddressKey(req.ip);
    const header = req.headers.authorization;
    const token = (header ? /^Bearer\s+(\S+)\s*$/i.exec(header) : null)?.[1];
    try {
      const known = failures?.knownRefusal(address);
      if (known && !known.allowed && !(token !== undefined && recentlyVerified.has(token))) return next(tooManyFailures(known.retryAfterSeconds));
      if (token === undefined) return next(await failed(address, scimErrors.unauthorized('a bearer token is required')));
      for (const verifier of verifiers) {
        const verified = await verifier.verify(token);
        if (verified) {
          recentlyVerified.add(token);
          req.actor = verified.actor;
          if (verified.scimStatus) req.scimStatus = verified.scimStatus;
          return next();
        }
      }
      next(await failed(address, scimErrors.unauthorized(`the bearer token is not a valid ${kind} token (missing, unknown, expired or revoked)`)));
    } catch (error) {
      next(error);
    }
  };
}

/**
 * Digests (SHA-256, never the tokens) of the tokens this instance verified lately, each for
 * `ttlMs` after its last verification; at most {@link RecentlyVerifiedTokens.MAX} at once, the
 * oldest forgotten first.
 */
class RecentlyVerifiedTokens {
  static readonly MAX = 1000;
  private readonly verifiedAt = new Map<string, number>();

  constructor(private readonly ttlMs: number) {}

  add(token: string): void {
    const digest = RecentlyVerifiedTokens.digest(token);
    this.verifiedAt.delete(digest);
    this.verifiedAt.set(digest, Date.now());
    if (this.verifiedAt.size > RecentlyVerifiedTokens.MAX) this.verifiedAt.delete(this.verifiedAt.keys().next().value!);
  }

  has(token: string): boolean {
    const at = this.verifiedAt.get(RecentlyVerifiedTokens.digest(token));
    return at !== undefined && Date.now() - at < this.ttlMs;
  }

  private static digest(token: string): string {
    return createHash('sha256').update(token).digest('base64url');
  }
}
