import express, { Router } from 'express';
import { scimErrors } from '../../../shared/scim/errors';
import { bearerAuthentication, type ScimTokenVerifier } from '../scim/authentication';
import { jsonApiErrorMiddleware } from './json-api';

export interface AdminRouterDependencies {
  readonly adminTokenVerifiers: readonly ScimTokenVerifier[];
  readonly maxBodyBytes: number;
  /** Mounted under /api/v2/admin, e.g. { '/scim-settings': settingsRoutes(...) }. */
  readonly routes: Readonly<Record<string, Router>>;
}

/** /api/v2/admin: administrator tokens only, JSON:API in and out. */
export function adminRouter({ adminTokenVerifiers, maxBodyBytes, routes }: AdminRouterDependencies): Router {
  const router = Router();
  router.use(bearerAuthentication(adminTokenVerifiers, 'admin'));
  router.use(express.json({ limit: maxBodyBytes, type: ['application/vnd.api+json', 'application/json'] }));
  for (const [path, routes_] of Object.entries(routes)) router.use(path, routes_);
  router.use((req) => {
    throw scimErrors.notFound(`no admin endpoint at ${req.method} ${req.originalUrl.split('?')[0]}`);
  });
  router.use(jsonApiErrorMiddleware);
  return router;
}
