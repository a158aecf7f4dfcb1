import { Router } from 'express';
import type { ReadYourWrites } from '../read/read-your-writes';
import type { ScimGroupSummary, TeamQueries } from '../read/team-queries';
import { jsonApiResource, sendJsonApi, type JsonApiResource } from './json-api';

export const scimGroupResource = (group: ScimGroupSummary): JsonApiResource =>
  jsonApiResource('scim-groups', group.id, {
    'display-name': group.displayName,
    'member-count': group.memberCount,
    'linked-team-ids': group.linkedTeamIds,
  });

/** /api/v2/admin/scim-groups: the provisioned groups, what a team can be linked to. */
export function scimGroupsRoutes({ queries, readYourWrites }: { queries: TeamQueries; readYourWrites: ReadYourWrites }): Router {
  const router = Router();
  router.get('/', async (_req, res) => {
    await readYourWrites.wait();
    sendJsonApi(res, 200, { data: (await queries.scimGroups()).map(scimGroupResource) });
  });
  return router;
}
