import type { PoolClient } from 'pg';
import type { TableIn } from './tables';

/**
 * What follows a SCIM group: the teams linked to it (unless their link is paused) take its active
 * members' accounts as their human members, and while it is the site-admin group its active
 * members' accounts are site admins. Each function applies one change the caller has just made
 * to groups, users or settings; the caller applies it once per event (revision guarded). `at` is
 * the event's time: a team whose members a function changed records it as its `scim_updated_at`.
 */

/** The teams whose members just changed record when (api-docs/admin/team-scim-group-mapping `scim-updated-at`). */
async function stampTeams(client: PoolClient, t: TableIn, teamIds: readonly string[], at: string): Promise<void> {
  const unique = [...new Set(teamIds)];
  if (unique.length === 0) return;
  await client.query(`UPDATE ${t('teams')} SET scim_updated_at = $2 WHERE id = ANY($1::text[])`, [unique, at]);
}

const teamIdsOf = (result: { rows: { team_id: string }[] }) => result.rows.map((r) => r.team_id);

/**
 * The linked group's active members' accounts, and nobody else, are the team's human members.
 * `always`: stamp the team even when nothing changed (linking is a synchronisation in itself).
 */
export async function reconcileTeam(client: PoolClient, t: TableIn, teamId: string, groupId: string, at: string, always = false): Promise<void> {
  const left = await client.query<{ team_id: string }>(
    `DELETE FROM ${t('team_members')} tm
      WHERE tm.team_id = $1 AND tm.kind = 'user'
        AND NOT EXISTS (
          SELECT 1 FROM ${t('group_members')} m JOIN ${t('users')} u ON u.id = m.user_id AND u.active AND NOT u.deleted
           WHERE m.group_id = $2 AND u.account_id = tm.account_id)
     RETURNING tm.team_id`,
    [teamId, groupId],
  );
  const joined = await client.query<{ team_id: string }>(
    `INSERT INTO ${t('team_members')} (team_id, account_id, kind, username)
     SELECT $1, a.id, 'user', a.username
       FROM ${t('group_members')} m
       JOIN ${t('users')} u ON u.id = m.user_id AND u.active AND NOT u.deleted
       JOIN ${t('accounts')} a ON a.id = u.account_id
      WHERE m.group_id = $2
     ON CONFLICT (team_id, account_id) DO NOTHING
     RETURNING team_id`,
    [teamId, groupId],
  );
  if (always || (left.rowCount ?? 0) + (joined.rowCount ?? 0) > 0) await stampTeams(client, t, [teamId], at);
}

/** The site-admin group changed: SCIM grants are exactly the new group's active members. */
export async function reconcileSiteAdmins(client: PoolClient, t: TableIn, groupId: string): Promise<void> {
  await client.query(
    `DELETE FROM ${t('site_admins')} sa
      WHERE sa.granted_by = 'scim'
        AND NOT EXISTS (
          SELECT 1 FROM ${t('group_members')} m JOIN ${t('users')} u ON u.id = m.user_id AND u.active AND NOT u.deleted
           WHERE m.group_id = $1 AND u.account_id = sa.account_id)`,
    [groupId],
  );
  await client.query(
    `INSERT INTO ${t('site_admins')} (account_id, granted_by)
     SELECT u.account_id, 'scim'
       FROM ${t('group_members')} m JOIN ${t('users')} u ON u.id = m.user_id AND u.active AND NOT u.deleted
      WHERE m.group_id = $1
     ON CONFLICT (account_id) DO NOTHING`,
    [groupId],
  );
}

/** Users joined the group: the active ones join its following teams, and become site admins if it is that group. */
export async function membersJoined(client: PoolClient, t: TableIn, groupId: string, userIds: readonly string[], at: string): Promise<void> {
  if (userIds.length === 0) return;
  const joined = await client.query<{ team_id: string }>(
    `INSERT INTO ${t('team_members')} (team_id, account_id, kind, username)
     SELECT tm.id, a.id, 'user', a.username
       FROM ${t('teams')} tm
       CROSS JOIN ${t('users')} u
       JOIN ${t('accounts')} a ON a.id = u.account_id
      WHERE tm.scim_group_id = $1 AND NOT tm.link_paused
        AND u.id = ANY($2::uuid[]) AND u.active AND NOT u.deleted
     ON CONFLICT (team_id, account_id) DO NOTHING
     RETURNING team_id`,
    [groupId, userIds],
  );
  await stampTeams(client, t, teamIdsOf(joined), at);
  await client.query(
    `INSERT INTO ${t('site_admins')} (account_id, granted_by)
     SELECT u.account_id, 'scim'
       FROM ${t('settings')} s CROSS JOIN ${t('users')} u
      WHERE s.site_admin_group_id = $1 AND u.id = ANY($2::uuid[]) AND u.active AND NOT u.deleted
     ON CONFLICT (account_id) DO NOTHING`,
    [groupId, userIds],
  );
}

/** Users left the group: they leave its following teams, and lose the grant if it is the site-admin group. */
export async function membersLeft(client: PoolClient, t: TableIn, groupId: string, userIds: readonly string[], at: string): Promise<void> {
  if (userIds.length === 0) return;
  const left = await client.query<{ team_id: string }>(
    `DELETE FROM ${t('team_members')} tm
      USING ${t('teams')} team, ${t('users')} u
      WHERE team.id = tm.team_id AND team.scim_group_id = $1 AND NOT team.link_paused
        AND tm.kind = 'user' AND u.id = ANY($2::uuid[]) AND tm.account_id = u.account_id
     RETURNING tm.team_id`,
    [groupId, userIds],
  );
  await stampTeams(client, t, teamIdsOf(left), at);
  await client.query(
    `DELETE FROM ${t('site_admins')} sa
      USING ${t('settings')} s, ${t('users')} u
      WHERE s.site_admin_group_id = $1 AND sa.granted_by = 'scim' AND u.id = ANY($2::uuid[]) AND sa.account_id = u.account_id`,
    [groupId, userIds],
  );
}

/**
 * A user stopped being an active member anywhere (deactivated, or deleted): their account leaves
 * every team following one of their groups. scim-behaviour.md: a deactivated user loses any
 * site-admin rights granted through SCIM, whether or not a site-admin group is set now.
 * Call it while the user's group_members rows still exist.
 */
export async function userWentInactive(client: PoolClient, t: TableIn, userId: string, at: string): Promise<void> {
  const left = await client.query<{ team_id: string }>(
    `DELETE FROM ${t('team_members')} tm
      USING ${t('users')} u, ${t('group_members')} m, ${t('teams')} team
      WHERE u.id = $1 AND m.user_id = u.id AND team.scim_group_id = m.group_id AND NOT team.link_paused
        AND tm.team_id = team.id AND tm.kind = 'user' AND tm.account_id = u.account_id
     RETURNING tm.team_id`,
    [userId],
  );
  await stampTeams(client, t, teamIdsOf(left), at);
  await client.query(
    `DELETE FROM ${t('site_admins')} sa USING ${t('users')} u WHERE u.id = $1 AND sa.account_id = u.account_id AND sa.granted_by = 'scim'`,
    [userId],
  );
}

/** A user is active again: their account joins every team following one of their groups, and the grant returns with the site-admin group. */
export async function userWentActive(client: PoolClient, t: TableIn, userId: string, at: string): Promise<void> {
  const joined = await client.query<{ team_id: string }>(
    `INSERT INTO ${t('team_members')} (team_id, account_id, kind, username)
     SELECT team.id, a.id, 'user', a.username
       FROM ${t('users')} u
       JOIN ${t('accounts')} a ON a.id = u.account_id
       JOIN ${t('group_members')} m ON m.user_id = u.id
       JOIN ${t('teams')} team ON team.scim_group_id = m.group_id AND NOT team.link_paused
      WHERE u.id = $1 AND u.active AND NOT u.deleted
     ON CONFLICT (team_id, account_id) DO NOTHING
     RETURNING team_id`,
    [userId],
  );
  await stampTeams(client, t, teamIdsOf(joined), at);
  await client.query(
    `INSERT INTO ${t('site_admins')} (account_id, granted_by)
     SELECT u.account_id, 'scim'
       FROM ${t('users')} u
       JOIN ${t('group_members')} m ON m.user_id = u.id
       JOIN ${t('settings')} s ON s.site_admin_group_id = m.group_id
      WHERE u.id = $1 AND u.active AND NOT u.deleted
     ON CONFLICT (account_id) DO NOTHING`,
    [userId],
  );
}
