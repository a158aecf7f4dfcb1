import { Router, type Response } from 'express';
import type { Clock } from '../../../shared/clock';
import type { SettingsState } from '../../../shared/domain/settings/settings';
import { scimErrors } from '../../../shared/scim/errors';
import { commandContext } from '../scim/command-context';
import { jsonApiResource, readJsonApiAttributes, sendJsonApi } from './json-api';
import type { SettingsCommands } from './settings-commands';

export function settingsRoutes({ commands, clock, groupName }: { commands: SettingsCommands; clock: Clock; groupName: (id: string) => Promise<string | null> }): Router {
  const router = Router();

  async function send(res: Response, state: SettingsState): Promise<void> {
    const groupId = state.siteAdminGroupId;
    sendJsonApi(res, 200, {
      data: jsonApiResource('scim-settings', 'scim-settings', {
        enabled: state.status !== 'disabled',
        paused: state.status === 'paused',
        'site-admin-group-scim-id': groupId,
        'site-admin-group-display-name': groupId ? await groupName(groupId) : null,
      }),
    });
  }

  router.get('/', async (_req, res) => send(res, await commands.state()));

  router.patch('/', async (req, res) => {
    const attributes = readJsonApiAttributes(req.body, 'scim-settings', { typeOptional: true });
    const context = commandContext(req, clock);
    const { enabled, paused } = attributes;
    const groupKey = 'site-admin-group-scim-id';
    if (enabled !== undefined && typeof enabled !== 'boolean') throw scimErrors.invalidValue('enabled must be a boolean');
    if (paused !== undefined && typeof paused !== 'boolean') throw scimErrors.invalidValue('paused must be a boolean');
    const groupId = attributes[groupKey];
    if (groupId !== undefined && groupId !== null && typeof groupId !== 'string') throw scimErrors.invalidValue(`${groupKey} must be a group id or null`);

    let state = await commands.state();
    if (enabled === false) state = await commands.disable(context);
    if (enabled === true) state = await commands.enable(context);
    if (paused === true) state = await commands.pause(context);
    if (paused === false && state.status === 'paused') state = await commands.resume(context);
    if (groupId !== undefined) state = await commands.setSiteAdminGroup(groupId === null ? null : groupId.toLowerCase(), context);
    await send(res, state);
  });

  router.delete('/', async (req, res) => {
    await commands.disable(commandContext(req, clock));
    res.status(204).end();
  });

  return router;
}

