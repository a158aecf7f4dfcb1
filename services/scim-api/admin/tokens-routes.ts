import { Router } from 'express';
import type { Clock } from '../../../shared/clock';
import { scimErrors } from '../../../shared/scim/errors';
import { commandContext } from '../scim/command-context';
import { assertTokenExists, type ScimTokenRecord, type ScimTokens } from '../tokens/scim-tokens';
import { jsonApiResource, readJsonApiAttributes, sendJsonApi } from './json-api';

const TYPE = 'authentication-tokens';

const resource = (record: ScimTokenRecord, token?: string) =>
  jsonApiResource(TYPE, record.id, {
    description: record.description,
    'created-at': record.createdAt,
    'expired-at': record.expiresAt,
    'last-used-at': record.lastUsedAt,
    ...(token ? { token } : {}),
  });

export function tokensRoutes({ tokens, clock }: { tokens: ScimTokens; clock: Clock }): Router {
  const router = Router();

  router.get('/', async (_req, res) => {
    sendJsonApi(res, 200, { data: (await tokens.list()).map((r) => resource(r)) });
  });

  router.post('/', async (req, res) => {
    const attributes = readJsonApiAttributes(req.body, TYPE);
    const { description } = attributes;
    const expiresAt = attributes['expired-at'];
    if (typeof description !== 'string') throw scimErrors.invalidValue('description is required');
    if (expiresAt !== undefined && expiresAt !== null && typeof expiresAt !== 'string') throw scimErrors.invalidValue('expired-at must be an ISO 8601 date-time');
    const { record, token } = await tokens.create({ description, ...(typeof expiresAt === 'string' ? { expiresAt } : {}) }, commandContext(req, clock));
    // The only response that will ever carry the value.
    res.setHeader('Cache-Control', 'no-store');
    sendJsonApi(res, 201, { data: resource(record, token) });
  });

  router.get('/:id', async (req, res) => {
    sendJsonApi(res, 200, { data: resource(assertTokenExists(await tokens.get(req.params.id), req.params.id)) });
  });

  router.delete('/:id', async (req, res) => {
    assertTokenExists(await tokens.get(req.params.id), req.params.id);
    await tokens.revoke(req.params.id, commandContext(req, clock));
    res.status(204).end();
  });

  return router;
}
