import { Router, type Request, type RequestHandler, type Response } from 'express';
import { z } from 'zod';
import type { Clock } from '../../../shared/clock';
import { isTeamId } from '../../../shared/domain/teams/team';
import { scimErrors } from '../../../shared/scim/errors';
import type { ReadYourWrites } from '../read/read-your-writes';
import type { TeamQueries, TeamView } from '../read/team-queries';
import { commandContext } from '../scim/command-context';
import { jsonApiResource, parseJsonApiDocument, sendCollection, sendResource, type JsonApiResource } from './json-api';
import { allowMethods } from './method-not-allowed';
import type { TeamCommands, TeamResult } from '../commands/teams';

export interface TeamsRoutesDependencies {
  readonly commands: TeamCommands;
  readonly queries: TeamQueries;
  readonly readYourWrites: ReadYourWrites;
  readonly clock: Clock;
  /** Runs before each link, unlink, pause and resume (the platform's 10 per minute per administrator). */
  readonly linkRateLimit?: RequestHandler;
}

export const TEAM_TYPE = 'teams';

/**
 * A team as the platform's team API shows it (`name`, `users-count`, and, from
 * api-docs/admin/team-scim-group-mapping, `scim-linked`, `scim-group-name`, `scim-updated-at`,
 * `scim-sync-paused`), with what this service has beyond it: `is-owners`, `scim-group-id` and
 * the effective `members`; a SCIM user's account carries its `scim-username` and `scim-updated-at`.
 */
export function teamResource(view: TeamView): JsonApiResource {
  const linked = view.scimGroupId !== null;
  return jsonApiResource(TEAM_TYPE, view.id, {
    name: view.name,
    'users-count': view.members.filter((m) => m.kind === 'user').length,
    'scim-linked': linked,
    'scim-group-name': linked ? view.scimGroupDisplayName : null,
    'scim-updated-at': linked ? view.scimUpdatedAt : null,
    'scim-sync-paused': linked && view.linkPaused,
    'scim-group-id': view.scimGroupId,
    'is-owners': view.isOwners,
    members: view.members.map((m) => ({
      'account-id': m.accountId,
      username: m.username,
      kind: m.kind,
      'scim-username': m.scimUsername,
      'scim-updated-at': m.scimUpdatedAt,
    })),
  });
}

function teamIdOf(req: Request): string {
  const id = req.params.id;
  if (!isTeamId(id)) throw scimErrors.notFound(`team ${String(id)} not found`);
  return id;
}

const serviceAccount = z.union([z.string(), z.object({ name: z.string({ error: 'must be a string' }), id: z.string({ error: 'must be a UUID' }).optional() })], {
  error: 'must be a name or { "name": string, "id"?: string }',
});

const createAttributes = z.object({
  name: z.string({ error: 'is required: a string' }),
  'service-accounts': z.array(serviceAccount, { error: 'must be an array' }).nullable().optional(),
});

/** api-docs/admin/team-scim-group-mapping: `scim-group-id` is required. */
const linkAttributes = z.object({ 'scim-group-id': z.string({ error: 'is required: the id of a SCIM group' }).min(1, 'is required: the id of a SCIM group') });

/** api-docs/admin/team-scim-group-mapping: "`scim-sync-paused` must be a boolean" (omitted or not one: 422). */
const pauseAttributes = z.object({ 'scim-sync-paused': z.boolean({ error: 'must be a boolean' }) });

/** The platform's page names the type `scim-group-mapping`; go-tfe sends `scim-group-mappings`. */
const MAPPING_TYPES = ['scim-group-mapping', 'scim-group-mappings'];

/** GET one team, as `/api/v2/admin/teams/:id` and the platform's `/api/v2/teams/:id` both answer it. */
export function showTeamHandler({ queries, readYourWrites }: Pick<TeamsRoutesDependencies, 'queries' | 'readYourWrites'>): RequestHandler {
  return async (req, res) => {
    const id = teamIdOf(req);
    await readYourWrites.wait();
    const view = await queries.team(id);
    if (!view) throw scimErrors.notFound(`team ${id} not found`);
    await sendResource(res, 200, teamResource(view));
  };
}

/**
 * /api/v2/admin/teams: teams, their effective members, and their SCIM group mapping
 * (api-docs/admin/team-scim-group-mapping: link, unlink, pause and resume each answer 204).
 */
export function teamsRoutes({ commands, queries, readYourWrites, clock, linkRateLimit }: TeamsRoutesDependencies): Router {
  const router = Router();
  const limited: RequestHandler[] = linkRateLimit ? [linkRateLimit] : [];

  /**
   * The new team as the read model shows it once it holds the write. Past the read-your-writes
   * bound the write has still happened: the answer is then the team's own state, with the members
   * the read model has so far, and says so in `meta`.
   */
  async function sendCreated(res: Response, result: TeamResult): Promise<void> {
    const { state, revision } = result;
    if (state.status === 'Absent' || revision === null) throw new Error(`team write left state ${state.status}`);
    let projected: TeamView | undefined;
    try {
      await readYourWrites.wait();
      projected = await queries.team(state.teamId);
    } catch {
      // answered below from the team's own state
    }
    if (projected && projected.revision >= revision) return sendResource(res, 201, teamResource(projected));
    const view: TeamView = {
      id: state.teamId,
      name: state.name,
      isOwners: state.isOwners,
      scimGroupId: null,
      scimGroupDisplayName: null,
      linkPaused: false,
      scimUpdatedAt: null,
      revision,
      created: new Date().toISOString(),
      members: state.serviceAccounts.map((a) => ({ accountId: a.id, username: a.name, kind: 'service-account' as const, scimUsername: null, scimUpdatedAt: null })),
    };
    res.status(201).setHeader('Content-Type', 'application/vnd.api+json').send(JSON.stringify({ data: teamResource(view), meta: { 'members-pending': true } }));
  }

  router.get('/', async (_req, res) => {
    await readYourWrites.wait();
    await sendCollection(res, TEAM_TYPE, (await queries.teams()).map(teamResource));
  });

  router.post('/', async (req, res) => {
    const attributes = parseJsonApiDocument(req.body, { types: [TEAM_TYPE], attributes: createAttributes, attributeStatus: 422 });
    const serviceAccounts = attributes['service-accounts']?.map((a) => (typeof a === 'string' ? { name: a } : a.id === undefined ? { name: a.name } : { name: a.name, id: a.id }));
    const result = await commands.create({ name: attributes.name, ...(serviceAccounts ? { serviceAccounts } : {}) }, commandContext(req, clock));
    await sendCreated(res, result);
  });

  router.get('/:id', showTeamHandler({ queries, readYourWrites }));

  router.post('/:id/scim-group-mapping', ...limited, async (req, res) => {
    const id = teamIdOf(req);
    const attributes = parseJsonApiDocument(req.body, { types: MAPPING_TYPES, attributes: linkAttributes, attributeStatus: 422 });
    await commands.link(id, attributes['scim-group-id'], commandContext(req, clock));
    res.status(204).end();
  });

  router.patch('/:id/scim-group-mapping', ...limited, async (req, res) => {
    const id = teamIdOf(req);
    const attributes = parseJsonApiDocument(req.body, { types: MAPPING_TYPES, attributes: pauseAttributes, attributeStatus: 422 });
    const context = commandContext(req, clock);
    // The same value again changes nothing and is still 204 (the decider emits no event).
    await (attributes['scim-sync-paused'] ? commands.pause(id, context) : commands.resume(id, context));
    res.status(204).end();
  });

  router.delete('/:id/scim-group-mapping', ...limited, async (req, res) => {
    await commands.unlink(teamIdOf(req), commandContext(req, clock));
    res.status(204).end();
  });

  allowMethods(router, '/', ['GET', 'POST']);
  allowMethods(router, '/:id', ['GET']);
  allowMethods(router, '/:id/scim-group-mapping', ['POST', 'PATCH', 'DELETE']);
  return router;
}
