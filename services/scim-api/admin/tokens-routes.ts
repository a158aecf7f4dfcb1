import { Router, type Request, type Response } from 'express';
import { z } from 'zod';
import type { Clock } from '../../../shared/clock';
import { MAX_TOKEN_DESCRIPTION_LENGTH } from '../../../shared/domain/tokens/token';
import { commandContext } from '../scim/command-context';
import type { TokenCommands } from '../commands/tokens';
import { assertTokenExists, type ScimTokenRecord, type TokenQueries } from '../read/token-queries';
import { jsonApiResource, parseJsonApiDocument, sendCollection, sendResource, type JsonApiResource } from './json-api';
import { allowMethods } from './method-not-allowed';

/** api-docs/admin/scim-tokens: request and response documents use this JSON:API type. */
export const TOKEN_TYPE = 'authentication-tokens';

/**
 * A token as api-docs/admin/scim-tokens shows it: `token` is the value in the create response
 * and `null` everywhere else; `expired` is this service's flag for a token past its expiry.
 */
export function tokenResource(record: ScimTokenRecord, token: string | null = null): JsonApiResource {
  return jsonApiResource(TOKEN_TYPE, record.id, {
    description: record.description === '' ? null : record.description,
    token,
    'created-at': record.createdAt,
    'expired-at': record.expiresAt,
    'last-used-at': record.lastUsedAt,
    expired: record.expired,
  });
}

/** api-docs/admin/scim-tokens: both optional; every problem with them is a 400 there. */
const createAttributes = z.object({
  description: z
    .string({ error: 'must be a string' })
    .max(MAX_TOKEN_DESCRIPTION_LENGTH, `must be at most ${MAX_TOKEN_DESCRIPTION_LENGTH} characters`)
    .nullable()
    .optional(),
  'expired-at': z.iso
    .datetime({ offset: true, error: 'must be an ISO 8601 date-time such as 2027-01-15T10:30:00Z' })
    .nullable()
    .optional(),
});

export interface TokenRoutesOptions {
  readonly commands: TokenCommands;
  readonly queries: TokenQueries;
  readonly clock: Clock;
}

/** Revokes a SCIM token: 204; an unknown (or already revoked) id is 404. Shared by both delete paths. */
export function revokeTokenHandler({ commands, queries, clock }: TokenRoutesOptions) {
  return async (req: Request, res: Response) => {
    const id = String(req.params.id);
    assertTokenExists(await queries.get(id), id);
    await commands.revoke(id, commandContext(req, clock));
    res.status(204).end();
  };
}

/** /api/v2/admin/scim-tokens (api-docs/admin/scim-tokens). */
export function tokensRoutes({ commands, queries, clock }: TokenRoutesOptions): Router {
  const router = Router();

  router.get('/', async (_req, res) => {
    await sendCollection(res, TOKEN_TYPE, (await queries.list()).map((r) => tokenResource(r)));
  });

  router.post('/', async (req, res) => {
    const attributes = parseJsonApiDocument(req.body, { types: [TOKEN_TYPE], attributes: createAttributes, attributeStatus: 400 });
    const description = attributes.description ?? undefined;
    const expiresAt = attributes['expired-at'] ?? undefined;
    const { record, token } = await commands.create(
      { ...(description !== undefined ? { description } : {}), ...(expiresAt !== undefined ? { expiresAt } : {}) },
      commandContext(req, clock),
    );
    // The only response that will ever carry the value.
    res.setHeader('Cache-Control', 'no-store');
    await sendResource(res, 201, tokenResource(record, token));
  });

  router.get('/:id', async (req, res) => {
    await sendResource(res, 200, tokenResource(assertTokenExists(await queries.get(req.params.id), req.params.id)));
  });

  router.delete('/:id', revokeTokenHandler({ commands, queries, clock }));

  allowMethods(router, '/', ['GET', 'POST']);
  allowMethods(router, '/:id', ['GET', 'DELETE']);
  return router;
}
