import { Router } from 'express';
import type { ReadYourWrites } from '../read/read-your-writes';
import type { TeamQueries } from '../read/team-queries';
import { allowMethods } from './method-not-allowed';
import { showTeamHandler } from './teams-routes';
import { revokeTokenHandler, type TokenRoutesOptions } from './tokens-routes';

/**
 * /api/v2/authentication-tokens/:id: go-tfe's `AdminSCIMTokens.Delete` revokes a SCIM token here
 * (its `AuthenticationTokensPath`), not under /admin. SCIM tokens only: any other id is 404.
 */
export function authenticationTokensRoutes(options: TokenRoutesOptions): Router {
  const router = Router();
  router.delete('/:id', revokeTokenHandler(options));
  allowMethods(router, '/:id', ['DELETE']);
  return router;
}

/**
 * /api/v2/teams/:id, read only: the platform's team API, where go-tfe's `Teams.Read` (and its
 * admin SCIM integration tests) look for `scim-linked`, `scim-group-name`, `scim-sync-paused`.
 */
export function platformTeamsRoutes({ queries, readYourWrites }: { queries: TeamQueries; readYourWrites: ReadYourWrites }): Router {
  const router = Router();
  router.get('/:id', showTeamHandler({ queries, readYourWrites }));
  allowMethods(router, '/:id', ['GET']);
  return router;
}
