import { randomUUID } from 'node:crypto';
import type { Pool } from 'pg';
import { handleCommand, loadState, type CommandDependencies, type CommandResult } from '../../../shared/commands/handle-command';
import { createGroupDecider } from '../../../shared/domain/groups/decider';
import { groupStreamId, type GroupEvent } from '../../../shared/domain/groups/events';
import type { GroupState } from '../../../shared/domain/groups/state';
import type { CommandContext } from '../../../shared/domain/metadata';
import { SETTINGS_STREAM, settingsDecider, type SettingsEvent, type SettingsState } from '../../../shared/domain/settings/settings';
import {
  OWNERS_TEAM_ID,
  OWNERS_TEAM_NAME,
  TEAM_LINK_ERRORS,
  isTeamId,
  teamDecider,
  teamKeys,
  teamStreamId,
  unprocessable,
  type ServiceAccount,
  type TeamCommand,
  type TeamEvent,
  type TeamState,
  type UnlinkReason,
} from '../../../shared/domain/teams/team';
import { scimErrors } from '../../../shared/scim/errors';
import { findUserNames } from '../../../shared/uniqueness/directory';

export type TeamResult = CommandResult<TeamState, TeamEvent>;

export interface TeamRules {
  /** scim-behaviour.md: a group over 1,000 members cannot be linked (413). */
  readonly maxGroupMembers: number;
  /** scim-behaviour.md: a group links to up to 10,000 teams (422 beyond). */
  readonly maxTeamsPerGroup: number;
}

export const DEFAULT_TEAM_RULES: TeamRules = { maxGroupMembers: 1000, maxTeamsPerGroup: 10_000 };

export interface ServiceAccountInput {
  /** A UUID; a new one when omitted. */
  readonly id?: string;
  readonly name: string;
}

export interface TeamCommands {
  create(input: { name: string; serviceAccounts?: readonly ServiceAccountInput[] }, context: CommandContext): Promise<TeamResult>;
  link(teamId: string, groupId: string, context: CommandContext): Promise<TeamResult>;
  unlink(teamId: string, context: CommandContext): Promise<TeamResult>;
  pause(teamId: string, context: CommandContext): Promise<TeamResult>;
  resume(teamId: string, context: CommandContext): Promise<TeamResult>;
  /** After a GroupDeleted, or while SCIM is disabled: every team linked to the group is unlinked. */
  detachGroupFromTeams(groupId: string, context: CommandContext, reason: Exclude<UnlinkReason, 'unlinked'>): Promise<void>;
  /** The owners team exists from the start: created once, a no-op ever after. */
  ensureOwnersTeam(context: CommandContext): Promise<TeamResult>;
}

/** How many teams link to the group, from the unique-key table (no projection lag). */
export async function linkedTeamCount(pool: Pool, groupId: string): Promise<number> {
  const { rows } = await pool.query<{ count: string }>(`SELECT count(*)::text AS count FROM unique_keys WHERE scope = 'team.link' AND value = $1`, [groupId]);
  return Number(rows[0]?.count ?? 0);
}

/** The teams that link to the group, pending links included (a detachment must not miss one). */
export async function linkedTeamIds(pool: Pool, groupId: string): Promise<string[]> {
  const { rows } = await pool.query<{ key: string }>(`SELECT key FROM unique_keys WHERE scope = 'team.link' AND value = $1 ORDER BY key`, [groupId]);
  return rows.map((r) => r.key);
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** At most this many teams detached at once: a group linked to thousands must not starve the API. */
const DETACH_CONCURRENCY = 8;

export function createTeamCommands({ deps, pool, rules = DEFAULT_TEAM_RULES }: { deps: CommandDependencies; pool: Pool; rules?: TeamRules }): TeamCommands {
  const groups = createGroupDecider();

  async function groupState(groupId: string): Promise<GroupState> {
    return loadState<GroupState, GroupEvent>(deps, groupStreamId(groupId), groups);
  }

  async function siteAdminGroupId(): Promise<string | null> {
    return (await loadState<SettingsState, SettingsEvent>(deps, SETTINGS_STREAM, settingsDecider)).siteAdminGroupId;
  }

  /** The rules that belong to the group and the settings, checked before the link is appended. */
  async function assertLinkable(groupId: string): Promise<void> {
    const group = await groupState(groupId);
    if (group.status !== 'Active') throw scimErrors.notFound(`SCIM group ${groupId} not found`);
    if ((await siteAdminGroupId()) === groupId) throw unprocessable(TEAM_LINK_ERRORS.siteAdminGroup);
    // Deleted users stay in a group's stream roster; only live ones count.
    const members = (await findUserNames(pool, group.memberIds)).size;
    if (members > rules.maxGroupMembers) {
      throw scimErrors.payloadTooLarge(`a group over ${rules.maxGroupMembers} members cannot be linked to a team; this one has ${members}`);
    }
    if ((await linkedTeamCount(pool, groupId)) >= rules.maxTeamsPerGroup) {
      throw unprocessable(`a SCIM group links to at most ${rules.maxTeamsPerGroup} teams`);
    }
  }

  async function run(teamId: string, command: TeamCommand, validate?: (after: TeamState) => Promise<void>): Promise<TeamResult> {
    if (!isTeamId(teamId)) throw scimErrors.notFound(`team ${teamId} not found`);
    const stream = teamStreamId(teamId);
    return handleCommand(deps, stream, teamDecider, command, {
      keysOf: teamKeys,
      owner: { stream, id: teamId },
      ...(validate ? { validate: (_events: readonly TeamEvent[], _before: TeamState, after: TeamState) => validate(after) } : {}),
    });
  }

  const serviceAccountsOf = (input: readonly ServiceAccountInput[] = []): ServiceAccount[] =>
    input.map(({ id, name }) => ({ id: id?.toLowerCase() ?? randomUUID(), name }));

  return {
    async create({ name, serviceAccounts }, context) {
      const teamId = `team-${randomUUID()}`;
      return run(teamId, { type: 'CreateTeam', data: { teamId, name, isOwners: false, serviceAccounts: serviceAccountsOf(serviceAccounts) }, context });
    },

    async link(teamId, groupId, context) {
      if (!UUID.test(groupId)) throw scimErrors.notFound(`SCIM group ${groupId} not found`);
      const id = groupId.toLowerCase();
      // One link to a group at a time in this process, so two links racing for the last free
      // place under maxTeamsPerGroup cannot both see it free (across processes the limit is soft).
      return deps.lock.run(`team-links:${id}`, () =>
        run(teamId, { type: 'LinkTeamToScimGroup', data: { teamId, groupId: id }, context }, () => assertLinkable(id)),
      );
    },

    unlink: (teamId, context) => run(teamId, { type: 'UnlinkTeam', data: { teamId, reason: 'unlinked' }, context }),
    pause: (teamId, context) => run(teamId, { type: 'PauseTeamLink', data: { teamId }, context }),
    resume: (teamId, context) => run(teamId, { type: 'ResumeTeamLink', data: { teamId }, context }),

    async detachGroupFromTeams(groupId, context, reason) {
      const teamIds = await linkedTeamIds(pool, groupId);
      let next = 0;
      await Promise.all(
        Array.from({ length: Math.min(DETACH_CONCURRENCY, teamIds.length) }, async () => {
          while (next < teamIds.length) {
            const teamId = teamIds[next++]!;
            await run(teamId, { type: 'UnlinkTeam', data: { teamId, reason, fromGroupId: groupId }, context });
          }
        }),
      );
    },

    ensureOwnersTeam: (context) =>
      run(OWNERS_TEAM_ID, { type: 'CreateTeam', data: { teamId: OWNERS_TEAM_ID, name: OWNERS_TEAM_NAME, isOwners: true, serviceAccounts: [] }, context }),
  };
}
