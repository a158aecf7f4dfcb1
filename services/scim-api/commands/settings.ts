import type { Pool } from 'pg';
import { handleCommand, loadState, type CommandDependencies } from '../../../shared/commands/handle-command';
import { createGroupDecider } from '../../../shared/domain/groups/decider';
import { groupStreamId, type GroupEvent } from '../../../shared/domain/groups/events';
import type { GroupState } from '../../../shared/domain/groups/state';
import type { CommandContext } from '../../../shared/domain/metadata';
import { sql, type SqlStatement } from '../../../shared/db/sql-statement';
import { SETTINGS_STREAM, settingsDecider, type ScimStatus, type SettingsChanges, type SettingsEvent, type SettingsState } from '../../../shared/domain/settings/settings';
import type { Logger } from '../../../shared/logging/logger';
import { ScimError } from '../../../shared/scim/errors';

export interface SettingsCommands {
  state(): Promise<SettingsState>;
  enable(context: CommandContext): Promise<SettingsState>;
  pause(context: CommandContext): Promise<SettingsState>;
  resume(context: CommandContext): Promise<SettingsState>;
  /**
   * Records the disable and starts removing what SCIM created in the background (ScimCleanup in
   * services/scim-api/admin/scim-cleanup.ts): it answers at once.
   */
  disable(context: CommandContext): Promise<SettingsState>;
  setSiteAdminGroup(groupId: string | null, context: CommandContext): Promise<SettingsState>;
  /**
   * A settings PATCH: every change or none, in one append (see UpdateScimSettings). A site-admin
   * group id is checked first.
   * @throws ScimError 422 when the group does not exist or links to a team; 409 from the decider.
   */
  update(changes: SettingsChanges, context: CommandContext): Promise<SettingsState>;
}

/** What the settings need of the removal of SCIM data after a disable (services/scim-api/admin/scim-cleanup.ts). */
export interface ScimCleanup {
  begin(context: CommandContext): Promise<void>;
  /** Groups, identities or tokens of a disable are still being removed. */
  pending(): Promise<boolean>;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** The provisioning state as every request's token check reads it (scim_status). */
export function scimStatusRow(status: ScimStatus): SqlStatement {
  return sql(
    `INSERT INTO scim_status (singleton, status) VALUES (true, $1)
     ON CONFLICT (singleton) DO UPDATE SET status = EXCLUDED.status, updated_at = clock_timestamp()`,
    [status],
  );
}

export function createSettingsCommands({
  deps,
  pool,
  cleanup,
  log,
}: {
  deps: CommandDependencies;
  pool: Pool;
  cleanup: ScimCleanup;
  log?: Logger;
}): SettingsCommands {
  const groups = createGroupDecider();

  async function state(): Promise<SettingsState> {
    return loadState<SettingsState, SettingsEvent>(deps, SETTINGS_STREAM, settingsDecider);
  }

  async function run(command: Parameters<typeof settingsDecider.decide>[0]): Promise<SettingsState> {
    // The state every request's token check reads (scim_status), written with the events.
    return (await handleCommand(deps, SETTINGS_STREAM, settingsDecider, command, { rows: (after) => ({ after: [scimStatusRow(after.status)] }) })).state;
  }

  /** Enabling while a disable still removes data would let the removal take new identities too. */
  async function assertNoRemovalInProgress(): Promise<void> {
    if ((await state()).status === 'disabled' && (await cleanup.pending())) {
      throw new ScimError(409, undefined, 'SCIM data of the last disable is still being removed; enable SCIM again once it is done (see the settings page)');
    }
  }

  async function assertLinkableAsSiteAdminGroup(groupId: string): Promise<void> {
    const group = await loadState<GroupState, GroupEvent>(deps, groupStreamId(groupId), groups);
    // A setting that names what is not there is unprocessable; 404 is the platform's answer for the endpoint itself.
    if (group.status !== 'Active') throw new ScimError(422, undefined, `site-admin-group-scim-id: there is no SCIM group ${groupId}`);
    const linked = await pool.query(`SELECT 1 FROM unique_keys WHERE scope = 'team.link' AND value = $1 LIMIT 1`, [groupId]);
    if (linked.rowCount) throw new ScimError(422, undefined, 'the group is linked to a team: the site-admin group can never be linked to a team');
  }

  return {
    state,
    async enable(context) {
      await assertNoRemovalInProgress();
      return run({ type: 'EnableScim', context });
    },
    pause: (context) => run({ type: 'PauseScim', context }),
    resume: (context) => run({ type: 'ResumeScim', context }),
    async disable(context) {
      const after = await run({ type: 'DisableScim', context });
      await cleanup.begin(context);
      log?.info('SCIM disabled; its data is being removed in the background');
      return after;
    },
    async setSiteAdminGroup(groupId, context) {
      if (groupId !== null) await assertLinkableAsSiteAdminGroup(groupId);
      return run({ type: 'SetSiteAdminGroup', data: { groupId }, context });
    },
    async update(changes, context) {
      const { siteAdminGroupId } = changes;
      if (changes.enabled) await assertNoRemovalInProgress();
      if (typeof siteAdminGroupId === 'string') {
        if (!UUID.test(siteAdminGroupId)) throw new ScimError(422, undefined, `site-admin-group-scim-id: there is no SCIM group ${siteAdminGroupId}`);
        await assertLinkableAsSiteAdminGroup(siteAdminGroupId.toLowerCase());
      }
      const data = typeof siteAdminGroupId === 'string' ? { ...changes, siteAdminGroupId: siteAdminGroupId.toLowerCase() } : changes;
      return run({ type: 'UpdateScimSettings', data, context });
    },
  };
}
