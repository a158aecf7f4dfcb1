import { Router, type Request } from 'express';
import type { Clock } from '../../../shared/clock';
import { scimErrors } from '../../../shared/scim/errors';
import { parsePatchRequest } from '../../../shared/scim/patch/parse-patch-request';
import { parseUserRequest } from '../../../shared/scim/resources/parse-user';
import type { UserCommands, UserResult } from '../write/user-commands';
import { commandContext } from './command-context';
import { renderUser } from './render';
import { expectedRevisionFrom, sendScim, versionOf } from './responses';
import { resourceId, scimBaseUrl } from './request';

function rendered(result: UserResult, req: Request) {
  const { state, revision } = result;
  if ((state.status !== 'Active' && state.status !== 'Deactivated') || revision === null) {
    throw new Error(`user write left state ${state.status}`);
  }
  return { body: renderUser(state, revision, scimBaseUrl(req)), etag: versionOf(revision) };
}

export function usersRoutes({ commands, clock, maxPatchOperations }: { commands: UserCommands; clock: Clock; maxPatchOperations: number }): Router {
  const router = Router();

  router.post('/', async (req, res) => {
    const input = parseUserRequest(req.body, { method: 'POST' });
    const result = await commands.provision({ attributes: input.attributes, active: input.active ?? true }, commandContext(req, clock));
    const { body, etag } = rendered(result, req);
    sendScim(res, 201, body, { Location: String((body.meta as { location: string }).location), ETag: etag });
  });

  router.put('/:id', async (req, res) => {
    const id = resourceId(req, 'User');
    const input = parseUserRequest(req.body, { method: 'PUT', id });
    const result = await commands.replace(id, input, commandContext(req, clock), expectedRevisionFrom(req.get('if-match')));
    const { body, etag } = rendered(result, req);
    sendScim(res, 200, body, { ETag: etag });
  });

  router.patch('/:id', async (req, res) => {
    const id = resourceId(req, 'User');
    const operations = parsePatchRequest(req.body, 'User', { maxOperations: maxPatchOperations });
    const result = await commands.patch(id, operations, commandContext(req, clock), expectedRevisionFrom(req.get('if-match')));
    const { body, etag } = rendered(result, req);
    sendScim(res, 200, body, { ETag: etag });
  });

  router.delete('/:id', async (req, res) => {
    const id = resourceId(req, 'User');
    await commands.remove(id, commandContext(req, clock), expectedRevisionFrom(req.get('if-match')));
    res.status(204).end();
  });

  router.all('/{*rest}', (req) => {
    throw scimErrors.notFound(`no ${req.method} on ${req.originalUrl}`);
  });

  return router;
}
