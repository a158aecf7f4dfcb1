import type { Pool } from '../../shared/db/pool';
import { tablesIn, type TableIn } from './schema';

/**
 * team-sync's effective view, computed from the base state at read time, to converge to exactly
 * what the service's read model (projections/scim, followers.ts) holds in `team_members` and
 * `site_admins` once both have every event.
 *
 * The service applies events in global log order; its rules, restated over base state:
 * - a team that follows its group (linked, not paused) has as human members the accounts of the
 *   group's active, not deleted members, besides its service accounts (which never change);
 * - a paused or unlinked team keeps the members it had when it stopped following; a team linked to
 *   a group that was then deleted keeps those it had at the deletion (the group lost its members,
 *   and the unlink follows); a team linked or resumed after its group was deleted gets nobody;
 * - while a site-admin group is set, its active members' accounts are site admins; clearing it
 *   (or disabling SCIM, or deleting that group) keeps the grants as they were, and afterwards only a
 *   deactivation or a deletion (not one from disabling SCIM) of a user takes its account's grant away.
 *
 * "As they were when it stopped" is where cross-stream order matters. Kafka orders events per
 * stream only: when team-sync applies a TeamLinkPaused (or an unlink, a SiteAdminGroupCleared, a
 * ScimDisabled, a GroupDeleted), membership and user changes of other streams that the service
 * applied before it may not have arrived yet, and later ones may have. A snapshot taken when the
 * pause is processed can therefore never be exact for a pause that races with such changes: it
 * would only match when the consumer had quiesced before the pause (every earlier event applied,
 * no later one yet), which is why a snapshot design has to quiesce in its tests.
 *
 * team-sync takes no snapshot. It keeps memberships as intervals and user statuses as a history,
 * stamped with the events' global positions, which are the order the service's projection applied
 * them in (`(transaction id, global position)` with the Postgres store, `(commit, prepare)` with
 * EventStoreDB), and answers "as of" the position of the pause (unlink, clear, deletion). Once
 * every event before that position has arrived, the answer is what the service computed, however
 * the partitions interleaved; the integration test pauses, unlinks and clears without quiescing,
 * and replays the log in adversarial interleavings, and compares. It also pauses once after
 * quiescing, to check the frozen members against the service's in a state anyone can reason about.
 *
 * What still cannot be exact:
 * - transiently, while events are in flight: a frozen team may lack a change the service applied
 *   just before its pause (its event has not arrived), and a following team lags the service by
 *   whatever has not arrived; both settle once those events are applied;
 * - a UserDeleted from disabling SCIM while a team still follows that user's group: the service
 *   keeps the account in the team (it revokes nothing on disable), team-sync drops it. The write
 *   side unlinks every team before it deletes identities, so this needs a team linked in between;
 * - the positions must be the ones the service's projection ordered by: a topic republished from
 *   another store, with other positions, would be compared in another order.
 * The price is history: user_states and closed memberships are kept (a few rows per change); they
 * could be pruned below the oldest position a frozen team or the site-admin grants still read.
 */

export interface TeamMemberRow {
  readonly teamId: string;
  readonly accountId: string;
  readonly kind: 'user' | 'service-account';
  readonly username: string;
}

export interface TeamSyncView {
  /** Sorted by team id (bytewise), then account id. */
  readonly teamMembers: TeamMemberRow[];
  /** Account ids, sorted. */
  readonly siteAdmins: string[];
}

/** Accounts of a group's members that were active and not deleted at position `cut` (`group` and `cut` are SQL expressions). */
function activeMemberAccountsAsOf(t: TableIn, group: string, cut: string): string {
  return `
    SELECT u.account_id, u.id AS user_id
      FROM ${t('memberships')} m
      JOIN ${t('users')} u ON u.id = m.user_id
      JOIN LATERAL (
        SELECT s.active, s.deleted FROM ${t('user_states')} s
         WHERE s.user_id = m.user_id AND s.position < ${cut}
         ORDER BY s.position DESC LIMIT 1) st ON st.active AND NOT st.deleted
     WHERE m.group_id = ${group} AND m.added_at < ${cut} AND (m.removed_at IS NULL OR m.removed_at >= ${cut})`;
}

export function teamMembersSql(t: TableIn): string {
  return `
    WITH followed AS (
      SELECT t.id AS team_id, t.group_id,
             -- NULL (still following, group alive) is "now".
             COALESCE(LEAST(t.frozen_at, g.deleted_at), 'Infinity'::numeric) AS cut
        FROM ${t('teams')} t LEFT JOIN ${t('groups')} g ON g.id = t.group_id
       WHERE t.group_id IS NOT NULL
         AND NOT (g.deleted_at IS NOT NULL AND g.deleted_at < t.live_since)
    ),
    humans AS (
      SELECT DISTINCT f.team_id, a.account_id
        FROM followed f
        CROSS JOIN LATERAL (${activeMemberAccountsAsOf(t, 'f.group_id', 'f.cut')}) a
    )
    SELECT * FROM (
      SELECT team_id, account_id::text AS account_id, 'service-account' AS kind, name AS username FROM ${t('team_service_accounts')}
      UNION ALL
      SELECT h.team_id, h.account_id::text, 'user', n.username
        FROM humans h
        JOIN ${t('account_usernames')} n ON n.account_id = h.account_id
       WHERE NOT EXISTS (SELECT 1 FROM ${t('team_service_accounts')} x WHERE x.team_id = h.team_id AND x.account_id = h.account_id)
    ) members
    ORDER BY team_id COLLATE "C", account_id COLLATE "C"`;
}

export function siteAdminsSql(t: TableIn): string {
  return `
    WITH current AS (
      SELECT s.sa_group_id AS group_id, COALESCE(LEAST(s.sa_frozen_at, g.deleted_at), 'Infinity'::numeric) AS cut
        FROM ${t('settings')} s LEFT JOIN ${t('groups')} g ON g.id = s.sa_group_id
       WHERE s.sa_group_id IS NOT NULL
         AND NOT (g.deleted_at IS NOT NULL AND g.deleted_at < s.sa_since)
    )
    SELECT account_id FROM (
      SELECT DISTINCT a.account_id::text AS account_id
        FROM current c
        CROSS JOIN LATERAL (${activeMemberAccountsAsOf(t, 'c.group_id', 'c.cut')}) a
       WHERE NOT EXISTS (
         SELECT 1 FROM ${t('users')} v JOIN ${t('user_states')} r ON r.user_id = v.id
          WHERE v.account_id = a.account_id AND r.revokes AND r.position > c.cut)
    ) granted
    ORDER BY account_id COLLATE "C"`;
}

export async function teamSyncView(pool: Pool, schema: string): Promise<TeamSyncView> {
  const t = tablesIn(schema);
  // One snapshot for both answers.
  const client = await pool.connect();
  try {
    await client.query('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY');
    const members = await client.query<{ team_id: string; account_id: string; kind: 'user' | 'service-account'; username: string }>(teamMembersSql(t));
    const admins = await client.query<{ account_id: string }>(siteAdminsSql(t));
    await client.query('COMMIT');
    return {
      teamMembers: members.rows.map((r) => ({ teamId: r.team_id, accountId: r.account_id, kind: r.kind, username: r.username })),
      siteAdmins: admins.rows.map((r) => r.account_id),
    };
  } catch (error) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw error;
  } finally {
    client.release();
  }
}
