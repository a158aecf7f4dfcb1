import { Router } from 'express';
import type { Pool } from 'pg';
import type { Clock } from '../../../shared/clock';
import type { ScimStatus } from '../../../shared/domain/settings/settings';
import type { RateBudget } from '../../../shared/rate-limit/rate-budget';
import { scimErrors } from '../../../shared/scim/errors';
import type { PagingRules } from '../read/list-request';
import type { ReadYourWrites } from '../read/read-your-writes';
import type { ScimQueries } from '../read/scim-queries';
import type { GroupCommands } from '../commands/groups';
import type { UserCommands } from '../commands/users';
import { requireValidScimBaseUrl } from '../http/public-url';
import { methodNotAllowed } from './allowed-methods';
import { notImplementedEndpoints } from './not-implemented';
import { bearerAuthentication, type ScimTokenVerifier } from './authentication';
import { discoveryRoutes } from './discovery-routes';
import { scimErrorMiddleware } from './error-middleware';
import { groupsRoutes } from './groups-routes';
import { scimRateLimit } from './rate-limit';
import { scimJsonBody } from './request-body';
import { scimStateGate } from './state-gate';
import { usersRoutes } from './users-routes';

export interface ScimRouterDependencies {
  readonly userCommands: UserCommands;
  readonly groupCommands: GroupCommands;
  readonly queries: ScimQueries;
  readonly readYourWrites: ReadYourWrites;
  readonly pool: Pool;
  readonly clock: Clock;
  readonly tokenVerifiers: readonly ScimTokenVerifier[];
  readonly maxBodyBytes: number;
  readonly maxPatchOperations: number;
  readonly paging: PagingRules;
  readonly status: () => Promise<ScimStatus>;
  readonly rateLimits: {
    /** SCIM Users and Groups requests, one key for the whole service (SCIM_RATE_LIMIT_PER_SECOND). */
    readonly requests: RateBudget;
    /** Failed authentications per client address (SCIM_AUTH_FAILURES_PER_MINUTE). */
    readonly authFailures: RateBudget;
  };
}

/** Everything under /scim/v2. Every response, including errors, is application/scim+json. */
export function scimRouter(deps: ScimRouterDependencies): Router {
  const router = Router();
  const { clock, queries, readYourWrites, paging, maxPatchOperations } = deps;
  router.use(requireValidScimBaseUrl);
  router.use(bearerAuthentication(deps.tokenVerifiers, 'SCIM', { failures: deps.rateLimits.authFailures }));
  router.use(methodNotAllowed);
  router.use(notImplementedEndpoints);
  // Discovery answers in every state and is not rate limited; Users and Groups are limited and
  // gated before their bodies are read.
  router.use(['/Users', '/Groups'], scimRateLimit(deps.rateLimits.requests), scimStateGate(deps.status));
  router.use(scimJsonBody(deps.maxBodyBytes));
  router.use(discoveryRoutes({ maxResults: paging.maxCount, maxOperations: maxPatchOperations, maxPayloadBytes: deps.maxBodyBytes }));
  router.use('/Users', usersRoutes({ commands: deps.userCommands, queries, readYourWrites, clock, maxPatchOperations, paging }));
  router.use('/Groups', groupsRoutes({ commands: deps.groupCommands, queries, readYourWrites, clock, pool: deps.pool, maxPatchOperations, paging }));
  router.use((req) => {
    throw scimErrors.notFound(`no SCIM endpoint at ${req.originalUrl.split('?')[0]}`);
  });
  router.use(scimErrorMiddleware);
  return router;
}
