import { Router, type Response } from 'express';
import { z } from 'zod';
import type { Clock } from '../../../shared/clock';
import type { SettingsState } from '../../../shared/domain/settings/settings';
import { commandContext } from '../scim/command-context';
import { AdminApiError, jsonApiResource, parseJsonApiDocument, sendResource } from './json-api';
import { allowMethods } from './method-not-allowed';
import type { SettingsCommands } from '../commands/settings';

/** api-docs/admin/scim-settings: the one settings resource is `scim-settings` with id `scim`. */
export const SETTINGS_TYPE = 'scim-settings';
export const SETTINGS_ID = 'scim';

const SITE_ADMIN_GROUP = 'site-admin-group-scim-id';

/**
 * A PATCH's attributes: each optional, at least one given; `enabled` only true (disabling is
 * DELETE's: a PATCH with `enabled: false` is 422 and changes nothing); a group id or null.
 */
const patchAttributes = z
  .object({
    enabled: z.boolean({ error: 'must be a boolean' }).optional(),
    paused: z.boolean({ error: 'must be a boolean' }).optional(),
    [SITE_ADMIN_GROUP]: z.string({ error: 'must be a SCIM group id or null' }).min(1, 'must be a SCIM group id or null').nullable().optional(),
  })
  .refine((a) => a.enabled !== undefined || a.paused !== undefined || a[SITE_ADMIN_GROUP] !== undefined, {
    message: `give at least one of enabled, paused, ${SITE_ADMIN_GROUP}`,
  });

/**
 * /api/v2/admin/scim-settings (api-docs/admin/scim-settings): GET the settings, PATCH a partial
 * change (all of it or none), DELETE to disable SCIM (200 with the reset settings).
 */
export function settingsRoutes({ commands, clock, groupName }: { commands: SettingsCommands; clock: Clock; groupName: (id: string) => Promise<string | null> }): Router {
  const router = Router();

  async function send(res: Response, state: SettingsState): Promise<void> {
    const groupId = state.siteAdminGroupId;
    await sendResource(
      res,
      200,
      jsonApiResource(SETTINGS_TYPE, SETTINGS_ID, {
        enabled: state.status !== 'disabled',
        paused: state.status === 'paused',
        [SITE_ADMIN_GROUP]: groupId,
        'site-admin-group-display-name': groupId ? await groupName(groupId) : null,
      }),
    );
  }

  router.get('/', async (_req, res) => send(res, await commands.state()));

  router.patch('/', async (req, res) => {
    const attributes = parseJsonApiDocument(req.body, { types: [SETTINGS_TYPE], attributes: patchAttributes, attributeStatus: 422 });
    if (attributes.enabled === false) {
      throw new AdminApiError(422, 'enabled cannot be set to false with PATCH: DELETE /api/v2/admin/scim-settings disables SCIM', {
        pointer: '/data/attributes/enabled',
      });
    }
    const groupId = attributes[SITE_ADMIN_GROUP];
    const state = await commands.update(
      {
        ...(attributes.enabled ? { enabled: true as const } : {}),
        ...(attributes.paused !== undefined ? { paused: attributes.paused } : {}),
        ...(groupId !== undefined ? { siteAdminGroupId: groupId } : {}),
      },
      commandContext(req, clock),
    );
    await send(res, state);
  });

  router.delete('/', async (req, res) => send(res, await commands.disable(commandContext(req, clock))));

  allowMethods(router, '/', ['GET', 'PATCH', 'DELETE']);
  return router;
}
