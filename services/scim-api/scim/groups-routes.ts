import { Router, type Request } from 'express';
import type { Pool } from 'pg';
import type { Clock } from '../../../shared/clock';
import { scimErrors } from '../../../shared/scim/errors';
import { parsePatchRequest } from '../../../shared/scim/patch/parse-patch-request';
import { parseGroupRequest } from '../../../shared/scim/resources/parse-group';
import { findUserNames } from '../../../shared/uniqueness/directory';
import type { GroupCommands, GroupResult } from '../write/group-commands';
import { commandContext } from './command-context';
import { projectAttributes, projectionFrom } from './attribute-projection';
import { renderGroup } from './render';
import { expectedRevisionFrom, sendScim, versionOf } from './responses';
import { isResourceId, resourceId, scimBaseUrl } from './request';

export function groupsRoutes({
  commands,
  clock,
  pool,
  maxPatchOperations,
}: {
  commands: GroupCommands;
  clock: Clock;
  pool: Pool;
  maxPatchOperations: number;
}): Router {
  const router = Router();

  async function rendered(result: GroupResult, req: Request) {
    const { state, revision } = result;
    if (state.status !== 'Active' || revision === null) throw new Error(`group write left state ${state.status}`);
    const userNames = await findUserNames(pool, state.memberIds);
    return { body: renderGroup(state, revision, scimBaseUrl(req), userNames), etag: versionOf(revision) };
  }

  router.post('/', async (req, res) => {
    const input = parseGroupRequest(req.body, { method: 'POST' });
    if (input.displayName === undefined) throw scimErrors.invalidValue('displayName is required');
    const result = await commands.create({ ...input, displayName: input.displayName }, commandContext(req, clock));
    const { body, etag } = await rendered(result, req);
    sendScim(res, 201, projectAttributes(body, projectionFrom(req), 'Group'), {
      Location: String((body.meta as { location: string }).location),
      ETag: etag,
    });
  });

  router.put('/:id', async (req, res) => {
    const id = resourceId(req, 'Group');
    const input = parseGroupRequest(req.body, { method: 'PUT', id });
    const result = await commands.replace(id, input, commandContext(req, clock), expectedRevisionFrom(req.get('if-match')));
    const { body, etag } = await rendered(result, req);
    sendScim(res, 200, projectAttributes(body, projectionFrom(req), 'Group'), { ETag: etag });
  });

  router.patch('/:id', async (req, res) => {
    const id = resourceId(req, 'Group');
    const operations = parsePatchRequest(req.body, 'Group', { maxOperations: maxPatchOperations });
    const result = await commands.patch(id, operations, commandContext(req, clock), expectedRevisionFrom(req.get('if-match')));
    const projection = projectionFrom(req);
    // scim-behaviour.md: group PATCH answers 204, or 200 with the resource when attributes are asked for.
    if (!projection.attributes && !projection.excludedAttributes) {
      res.setHeader('ETag', versionOf(result.revision ?? 0n));
      res.status(204).end();
      return;
    }
    const { body, etag } = await rendered(result, req);
    sendScim(res, 200, projectAttributes(body, projection, 'Group'), { ETag: etag });
  });

  router.delete('/:id', async (req, res) => {
    // Idempotent: an id that names no group (even one that could not) is already deleted.
    if (!isResourceId(req.params.id)) return void res.status(204).end();
    const id = resourceId(req, 'Group');
    await commands.remove(id, commandContext(req, clock), expectedRevisionFrom(req.get('if-match')));
    res.status(204).end();
  });

  router.all('/{*rest}', (req) => {
    throw scimErrors.notFound(`no ${req.method} on ${req.originalUrl}`);
  });

  return router;
}
