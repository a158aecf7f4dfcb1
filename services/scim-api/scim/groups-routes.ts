import { Router, type Request, type Response } from 'express';
import type { Pool } from 'pg';
import type { Clock } from '../../../shared/clock';
import { scimErrors } from '../../../shared/scim/errors';
import { parsePatchRequest } from '../../../shared/scim/patch/parse-patch-request';
import { parseGroupRequest } from '../../../shared/scim/resources/parse-group';
import { findUserNames } from '../../../shared/uniqueness/directory';
import { parseListRequest, type ListRequest, type PagingRules } from '../read/list-request';
import type { ReadYourWrites } from '../read/read-your-writes';
import type { ScimQueries } from '../read/scim-queries';
import type { GroupCommands, GroupResult } from '../commands/groups';
import { projectAttributes, projectionFrom, type AttributeProjection } from './attribute-projection';
import { commandContext } from './command-context';
import { ifNoneMatchHits, sendListResponse } from './list-response';
import { renderGroup, type GroupView } from './render';
import { preconditionFrom, logIgnored, sendScim, versionOf } from './responses';
import { isResourceId, resourceId, scimBaseUrl } from './request';

export interface GroupsRoutesDependencies {
  readonly commands: GroupCommands;
  readonly queries: ScimQueries;
  readonly readYourWrites: ReadYourWrites;
  readonly clock: Clock;
  readonly pool: Pool;
  readonly maxPatchOperations: number;
  readonly paging: PagingRules;
}

/** Members are loaded only when the response will show them (Entra excludes them on every read). */
function wantsMembers(projection: AttributeProjection | ListRequest): boolean {
  const mentions = (names: readonly string[] | undefined) => names?.some((n) => /(^|:)members(\.|$)/i.test(n)) ?? false;
  if (projection.attributes) return mentions(projection.attributes);
  return !(projection.excludedAttributes ?? []).some((n) => /(^|:)members$/i.test(n));
}

export function groupsRoutes({ commands, queries, readYourWrites, clock, pool, maxPatchOperations, paging }: GroupsRoutesDependencies): Router {
  const router = Router();

  /**
   * As for users: what a GET would return right after the write, from the decided state; member
   * names come from the unique-key table, which holds every live user's userName the moment its
   * write committed. Members are loaded only when the response shows them.
   */
  async function afterWrite(req: Request, result: GroupResult): Promise<GroupView> {
    const { state, revision } = result;
    if (state.status !== 'Active' || revision === null) throw new Error(`group write left state ${state.status}`);
    const userNames = wantsMembers(projectionFrom(req)) ? await findUserNames(pool, state.memberIds) : undefined;
    return {
      id: state.groupId,
      displayName: state.displayName,
      ...(state.externalId === undefined ? {} : { externalId: state.externalId }),
      revision,
      created: state.created,
      lastModified: state.lastModified,
      ...(userNames ? { members: state.memberIds.filter((id) => userNames.has(id)).map((id) => ({ id, userName: userNames.get(id)! })) } : {}),
    };
  }

  function send(req: Request, res: Response, status: number, view: GroupView, headers: Record<string, string> = {}): void {
    const body = renderGroup(view, scimBaseUrl(req));
    sendScim(res, status, projectAttributes(body, projectionFrom(req), 'Group'), { ETag: versionOf(view.revision), ...headers });
  }

  async function list(req: Request, res: Response, source: Record<string, unknown>): Promise<void> {
    const request = parseListRequest(source, paging);
    await readYourWrites.wait();
    const page = await queries.groups(request, { members: wantsMembers(request) });
    sendListResponse(res, request, page.totalResults, page.items.map((g) => renderGroup(g, scimBaseUrl(req))), 'Group');
  }

  router.get('/', (req, res) => list(req, res, req.query as Record<string, unknown>));
  router.post('/.search', (req, res) => list(req, res, (req.body ?? {}) as Record<string, unknown>));

  router.get('/:id', async (req, res) => {
    const id = resourceId(req, 'Group');
    await readYourWrites.wait();
    const view = await queries.group(id, { members: wantsMembers(projectionFrom(req)) });
    if (!view) throw scimErrors.notFound(`Group ${id} not found`);
    if (ifNoneMatchHits(req, versionOf(view.revision))) {
      res.setHeader('ETag', versionOf(view.revision));
      res.status(304).end();
      return;
    }
    send(req, res, 200, view);
  });

  router.post('/', async (req, res) => {
    const { ignored, ...input } = parseGroupRequest(req.body, { method: 'POST' });
    logIgnored(req, ignored);
    if (input.displayName === undefined) throw scimErrors.invalidValue('displayName is required');
    const result = await commands.create({ ...input, displayName: input.displayName }, commandContext(req, clock));
    const view = await afterWrite(req, result);
    send(req, res, 201, view, { Location: `${scimBaseUrl(req)}/Groups/${view.id}` });
  });

  router.put('/:id', async (req, res) => {
    const id = resourceId(req, 'Group');
    const { ignored, ...input } = parseGroupRequest(req.body, { method: 'PUT', id });
    logIgnored(req, ignored);
    const result = await commands.replace(id, input, commandContext(req, clock), preconditionFrom(req));
    send(req, res, 200, await afterWrite(req, result));
  });

  router.patch('/:id', async (req, res) => {
    const id = resourceId(req, 'Group');
    const operations = parsePatchRequest(req.body, 'Group', { maxOperations: maxPatchOperations });
    const result = await commands.patch(id, operations, commandContext(req, clock), preconditionFrom(req));
    // The platform documents 200 with the group (RFC 7644 §3.5.2 allows 204 too); attributes and
    // excludedAttributes shape it as on a GET (Entra sends excludedAttributes=members).
    send(req, res, 200, await afterWrite(req, result));
  });

  router.delete('/:id', async (req, res) => {
    // Idempotent: an id that names no group (even one that could not) is already deleted.
    if (!isResourceId(req.params.id)) return void res.status(204).end();
    const id = resourceId(req, 'Group');
    await commands.remove(id, commandContext(req, clock), preconditionFrom(req));
    res.status(204).end();
  });

  router.all('/{*rest}', (req) => {
    throw scimErrors.notFound(`no ${req.method} on ${req.originalUrl}`);
  });

  return router;
}
