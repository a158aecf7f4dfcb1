import { Router, type Request, type Response } from 'express';
import type { Clock } from '../../../shared/clock';
import { scimErrors } from '../../../shared/scim/errors';
import { parsePatchRequest } from '../../../shared/scim/patch/parse-patch-request';
import { parseUserRequest } from '../../../shared/scim/resources/parse-user';
import { parseListRequest, type PagingRules } from '../read/list-request';
import type { ReadYourWrites } from '../read/read-your-writes';
import type { ScimQueries } from '../read/scim-queries';
import type { UserCommands, UserResult } from '../commands/users';
import { projectAttributes, projectionFrom } from './attribute-projection';
import { commandContext } from './command-context';
import { ifNoneMatchHits, sendListResponse } from './list-response';
import { renderUser, type UserView } from './render';
import { preconditionFrom, logIgnored, sendScim, versionOf } from './responses';
import { resourceId, scimBaseUrl } from './request';

export interface UsersRoutesDependencies {
  readonly commands: UserCommands;
  readonly queries: ScimQueries;
  readonly readYourWrites: ReadYourWrites;
  readonly clock: Clock;
  readonly maxPatchOperations: number;
  readonly paging: PagingRules;
}

export function usersRoutes({ commands, queries, readYourWrites, clock, maxPatchOperations, paging }: UsersRoutesDependencies): Router {
  const router = Router();

  /**
   * A write answers with what a GET would return right after it, from the state the decider
   * decided (no read back): a new user is in no group; otherwise its groups come from the read
   * model once it holds this instance's writes (at once where it is kept inline).
   */
  async function afterWrite(result: UserResult, isNew: boolean): Promise<UserView> {
    const { state, revision } = result;
    if ((state.status !== 'Active' && state.status !== 'Deactivated') || revision === null) throw new Error(`user write left state ${state.status}`);
    let groups: UserView['groups'] = [];
    if (!isNew) {
      await readYourWrites.wait();
      groups = await queries.groupsOf(state.userId);
    }
    return { id: state.userId, attributes: state.attributes, active: state.status === 'Active', revision, created: state.created, lastModified: state.lastModified, groups };
  }

  function send(req: Request, res: Response, status: number, view: UserView, headers: Record<string, string> = {}): void {
    const body = renderUser(view, scimBaseUrl(req));
    sendScim(res, status, projectAttributes(body, projectionFrom(req), 'User'), { ETag: versionOf(view.revision), ...headers });
  }

  async function list(req: Request, res: Response, source: Record<string, unknown>): Promise<void> {
    const request = parseListRequest(source, paging);
    await readYourWrites.wait();
    const page = await queries.users(request);
    sendListResponse(res, request, page.totalResults, page.items.map((u) => renderUser(u, scimBaseUrl(req))), 'User');
  }

  router.get('/', (req, res) => list(req, res, req.query as Record<string, unknown>));

  // RFC 7644 §3.4.3: the same query as a body, so filters stay out of URLs and logs.
  router.post('/.search', (req, res) => list(req, res, (req.body ?? {}) as Record<string, unknown>));

  router.get('/:id', async (req, res) => {
    const id = resourceId(req, 'User');
    await readYourWrites.wait();
    const view = await queries.user(id);
    if (!view) throw scimErrors.notFound(`User ${id} not found`);
    if (ifNoneMatchHits(req, versionOf(view.revision))) {
      res.setHeader('ETag', versionOf(view.revision));
      res.status(304).end();
      return;
    }
    send(req, res, 200, view);
  });

  router.post('/', async (req, res) => {
    const input = parseUserRequest(req.body, { method: 'POST' });
    logIgnored(req, input.ignored);
    const result = await commands.provision({ attributes: input.attributes, active: input.active ?? true }, commandContext(req, clock));
    const view = await afterWrite(result, true);
    send(req, res, 201, view, { Location: `${scimBaseUrl(req)}/Users/${view.id}` });
  });

  router.put('/:id', async (req, res) => {
    const id = resourceId(req, 'User');
    const input = parseUserRequest(req.body, { method: 'PUT', id });
    logIgnored(req, input.ignored);
    const result = await commands.replace(id, { attributes: input.attributes, ...(input.active === undefined ? {} : { active: input.active }) }, commandContext(req, clock), preconditionFrom(req));
    send(req, res, 200, await afterWrite(result, false));
  });

  router.patch('/:id', async (req, res) => {
    const id = resourceId(req, 'User');
    const operations = parsePatchRequest(req.body, 'User', { maxOperations: maxPatchOperations });
    const result = await commands.patch(id, operations, commandContext(req, clock), preconditionFrom(req));
    send(req, res, 200, await afterWrite(result, false));
  });

  router.delete('/:id', async (req, res) => {
    const id = resourceId(req, 'User');
    await commands.remove(id, commandContext(req, clock), preconditionFrom(req));
    res.status(204).end();
  });

  router.all('/{*rest}', (req) => {
    throw scimErrors.notFound(`no ${req.method} on ${req.originalUrl}`);
  });

  return router;
}
