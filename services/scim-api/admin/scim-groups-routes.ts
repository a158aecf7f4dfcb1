import { Router } from 'express';
import type { ReadYourWrites } from '../read/read-your-writes';
import type { ScimGroupSummary, TeamQueries } from '../read/team-queries';
import { jsonApiResource, queryParameter, sendCollection, type JsonApiResource } from './json-api';
import { allowMethods } from './method-not-allowed';
import { pageLink, pageOf, pageRequestOf } from './pagination';

export const SCIM_GROUP_TYPE = 'scim-groups';

/**
 * A group as api-docs/admin/scim-groups shows it (`name`), with what this service knows beyond the
 * platform: its member count and the teams linked to it.
 */
export const scimGroupResource = (group: ScimGroupSummary): JsonApiResource =>
  jsonApiResource(SCIM_GROUP_TYPE, group.id, {
    name: group.displayName,
    'member-count': group.memberCount,
    'linked-team-ids': group.linkedTeamIds,
  });

/**
 * /api/v2/admin/scim-groups (api-docs/admin/scim-groups): the provisioned groups, what a team can
 * be linked to; `q` matches part of the name in any case; `page[number]`, `page[size]` (20).
 */
export function scimGroupsRoutes({ queries, readYourWrites }: { queries: TeamQueries; readYourWrites: ReadYourWrites }): Router {
  const router = Router();
  router.get('/', async (req, res) => {
    const q = queryParameter(req, 'q');
    const request = pageRequestOf(req);
    await readYourWrites.wait();
    const { groups, totalCount } = await queries.scimGroups({ ...(q ? { q } : {}), pageNumber: request.number, pageSize: request.size });
    await sendCollection(res, SCIM_GROUP_TYPE, groups.map(scimGroupResource), { page: pageOf(request, totalCount), link: pageLink(req, request) });
  });
  allowMethods(router, '/', ['GET']);
  return router;
}
