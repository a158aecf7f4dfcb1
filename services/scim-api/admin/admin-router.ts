import express, { Router, type RequestHandler } from 'express';
import { requireValidRequestRoot } from '../http/public-url';
import { verifyUtf8 } from '../http/strict-utf8';
import { bearerAuthentication, type ScimTokenVerifier } from '../scim/authentication';
import { hasUnparsedBody } from '../scim/request-body';
import { AdminApiError, JSON_API_CONTENT_TYPE, jsonApiErrorMiddleware, notFoundHandler } from './json-api';

export interface AdminRouterDependencies {
  readonly adminTokenVerifiers: readonly ScimTokenVerifier[];
  readonly maxBodyBytes: number;
  /**
   * Mounted under /api/v2, each behind its handlers (a rate limit, then the routes), e.g.
   * `{ '/admin/scim-settings': [limit, settingsRoutes(...)], '/authentication-tokens': ... }`.
   */
  readonly routes: Readonly<Record<string, RequestHandler | readonly RequestHandler[]>>;
  /** `X-RateLimit-Limit` on /api/v2/ping: go-tfe paces its requests by it. */
  readonly advertisedRateLimit?: number;
}

/**
 * /api/v2: the administration API (`/admin/...`) and the few platform paths go-tfe's admin SCIM
 * calls use outside it. Administrator tokens only; JSON:API in and out; every error, an unknown
 * path included, a JSON:API error document with application/vnd.api+json.
 */
export function adminRouter({ adminTokenVerifiers, maxBodyBytes, routes, advertisedRateLimit }: AdminRouterDependencies): Router {
  const router = Router();
  // go-tfe's NewClient asks this first, for the rate-limit header; it needs no token and tells nothing.
  router.get('/ping', (_req, res) => {
    if (advertisedRateLimit) res.setHeader('X-RateLimit-Limit', String(advertisedRateLimit));
    res.status(204).end();
  });
  router.use(requireValidRequestRoot);
  router.use(bearerAuthentication(adminTokenVerifiers, 'admin'));
  router.use(express.json({ limit: maxBodyBytes, type: [JSON_API_CONTENT_TYPE, 'application/json'], verify: verifyUtf8 }));
  router.use((req, _res, next) => {
    // A body of another type (text/plain, a form, application/scim+json) is left unread by the
    // parser: 415 naming the type to send, rather than "not a JSON:API document".
    if (!hasUnparsedBody(req)) return next();
    const type = req.get('content-type');
    const what = type === undefined ? 'a body without Content-Type' : `Content-Type ${JSON.stringify(type)}`;
    next(new AdminApiError(415, `${what} is not accepted; send a JSON:API document as ${JSON_API_CONTENT_TYPE}`));
  });
  for (const [path, handlers] of Object.entries(routes)) router.use(path, ...(Array.isArray(handlers) ? handlers : [handlers]));
  router.use(notFoundHandler);
  router.use(jsonApiErrorMiddleware);
  return router;
}
