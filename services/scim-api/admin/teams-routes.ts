import { Router, type Request, type Response } from 'express';
import type { Clock } from '../../../shared/clock';
import { isTeamId } from '../../../shared/domain/teams/team';
import { scimErrors } from '../../../shared/scim/errors';
import type { ReadYourWrites } from '../read/read-your-writes';
import type { TeamQueries, TeamView } from '../read/team-queries';
import { commandContext } from '../scim/command-context';
import { jsonApiResource, readJsonApiAttributes, sendJsonApi, type JsonApiResource } from './json-api';
import type { ServiceAccountInput, TeamCommands, TeamResult } from './team-commands';

export interface TeamsRoutesDependencies {
  readonly commands: TeamCommands;
  readonly queries: TeamQueries;
  readonly readYourWrites: ReadYourWrites;
  readonly clock: Clock;
}

export function teamResource(view: TeamView): JsonApiResource {
  return jsonApiResource('teams', view.id, {
    name: view.name,
    'is-owners': view.isOwners,
    'scim-group-id': view.scimGroupId,
    'scim-group-display-name': view.scimGroupDisplayName,
    'scim-link-paused': view.linkPaused,
    members: view.members.map((m) => ({ 'account-id': m.accountId, username: m.username, kind: m.kind })),
  });
}

function teamIdOf(req: Request): string {
  const id = req.params.id;
  if (!isTeamId(id)) throw scimErrors.notFound(`team ${String(id)} not found`);
  return id;
}

/** `service-accounts`: names, or `{ name, id? }` objects (an id is a UUID; a new one when omitted). */
function serviceAccountsFrom(value: unknown): ServiceAccountInput[] | undefined {
  if (value === undefined || value === null) return undefined;
  if (!Array.isArray(value)) throw scimErrors.invalidValue('service-accounts must be an array');
  return value.map((item, i) => {
    if (typeof item === 'string') return { name: item };
    const { name, id } = (typeof item === 'object' && item !== null ? item : {}) as { name?: unknown; id?: unknown };
    if (typeof name !== 'string' || (id !== undefined && typeof id !== 'string')) {
      throw scimErrors.invalidValue(`service-accounts[${i}] must be a name or { "name": string, "id"?: string }`);
    }
    return id === undefined ? { name } : { name, id };
  });
}

/** JSON booleans, and the strings "true"/"false" some clients send. */
function booleanFrom(value: unknown, name: string): boolean {
  if (typeof value === 'boolean') return value;
  if (typeof value === 'string' && /^(true|false)$/i.test(value)) return value.toLowerCase() === 'true';
  throw scimErrors.invalidValue(`${name} must be true or false`);
}

/** /api/v2/admin/teams: teams, their effective members and their SCIM group mapping (docs/admin-api.md). */
export function teamsRoutes({ commands, queries, readYourWrites, clock }: TeamsRoutesDependencies): Router {
  const router = Router();

  /**
   * The team as the read model shows it once it holds the write. Past the read-your-writes bound
   * the write has still happened: the answer is then the team's own state, with the members the
   * read model has so far, and says so in `meta`.
   */
  async function sendAfterWrite(res: Response, status: number, result: TeamResult): Promise<void> {
    const { state, revision } = result;
    if (state.status === 'Absent' || revision === null) throw new Error(`team write left state ${state.status}`);
    let projected: TeamView | undefined;
    try {
      await readYourWrites.wait();
      projected = await queries.team(state.teamId);
    } catch {
      // answered below from the team's own state
    }
    if (projected && projected.revision >= revision) return sendJsonApi(res, status, { data: teamResource(projected) });
    const groupId = state.status === 'Unlinked' ? null : state.groupId;
    const view: TeamView = {
      id: state.teamId,
      name: state.name,
      isOwners: state.isOwners,
      scimGroupId: groupId,
      scimGroupDisplayName: projected && projected.scimGroupId === groupId ? projected.scimGroupDisplayName : null,
      linkPaused: state.status === 'LinkPaused',
      revision,
      created: projected?.created ?? new Date().toISOString(),
      members: projected?.members ?? state.serviceAccounts.map((a) => ({ accountId: a.id, username: a.name, kind: 'service-account' as const })),
    };
    const document = { data: teamResource(view), meta: { 'members-pending': true } };
    sendJsonApi(res, status, document);
  }

  router.get('/', async (_req, res) => {
    await readYourWrites.wait();
    sendJsonApi(res, 200, { data: (await queries.teams()).map(teamResource) });
  });

  router.post('/', async (req, res) => {
    const attributes = readJsonApiAttributes(req.body, 'teams');
    if (typeof attributes.name !== 'string') throw scimErrors.invalidValue('name is required');
    const serviceAccounts = serviceAccountsFrom(attributes['service-accounts']);
    const result = await commands.create({ name: attributes.name, ...(serviceAccounts ? { serviceAccounts } : {}) }, commandContext(req, clock));
    await sendAfterWrite(res, 201, result);
  });

  router.get('/:id', async (req, res) => {
    const id = teamIdOf(req);
    await readYourWrites.wait();
    const view = await queries.team(id);
    if (!view) throw scimErrors.notFound(`team ${id} not found`);
    sendJsonApi(res, 200, { data: teamResource(view) });
  });

  router.post('/:id/scim-group-mapping', async (req, res) => {
    const id = teamIdOf(req);
    const attributes = readJsonApiAttributes(req.body, 'scim-group-mapping');
    const groupId = attributes['scim-group-id'];
    if (typeof groupId !== 'string' || groupId === '') throw scimErrors.invalidValue('scim-group-id is required');
    await sendAfterWrite(res, 201, await commands.link(id, groupId, commandContext(req, clock)));
  });

  router.patch('/:id/scim-group-mapping', async (req, res) => {
    const id = teamIdOf(req);
    const attributes = readJsonApiAttributes(req.body, 'scim-group-mapping', { typeOptional: true });
    if (attributes.paused === undefined) throw scimErrors.invalidValue('paused is required');
    const context = commandContext(req, clock);
    const result = booleanFrom(attributes.paused, 'paused') ? await commands.pause(id, context) : await commands.resume(id, context);
    await sendAfterWrite(res, 200, result);
  });

  router.delete('/:id/scim-group-mapping', async (req, res) => {
    await commands.unlink(teamIdOf(req), commandContext(req, clock));
    res.status(204).end();
  });

  return router;
}
