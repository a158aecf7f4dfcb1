import type { Pool } from '../../shared/db/pool';
import { PLATFORM_READ_SCHEMA } from '../../projections/platform/tables';
import type { TeamSyncView } from '../../services/team-sync/view';

/**
 * The service's own answer to what team-sync computes (services/team-sync/view.ts): its read
 * model's effective team members and SCIM-granted site admins, in the same shape and order.
 */
export async function serviceTeamView(pool: Pool): Promise<TeamSyncView> {
  const s = `"${PLATFORM_READ_SCHEMA}"`;
  const members = await pool.query<{ team_id: string; account_id: string; kind: 'user' | 'service-account'; username: string }>(
    `SELECT team_id, account_id::text AS account_id, kind, username FROM ${s}.team_members
      ORDER BY team_id COLLATE "C", account_id::text COLLATE "C"`,
  );
  const admins = await pool.query<{ account_id: string }>(`SELECT account_id::text AS account_id FROM ${s}.site_admins ORDER BY account_id::text COLLATE "C"`);
  return {
    teamMembers: members.rows.map((r) => ({ teamId: r.team_id, accountId: r.account_id, kind: r.kind, username: r.username })),
    siteAdmins: admins.rows.map((r) => r.account_id),
  };
}
