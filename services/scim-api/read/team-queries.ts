import type { Pool } from 'pg';
import { PLATFORM_READ_SCHEMA } from '../../../projections/platform/tables';

export interface TeamMemberView {
  readonly accountId: string;
  readonly username: string;
  readonly kind: 'user' | 'service-account';
}

export interface TeamView {
  readonly id: string;
  readonly name: string;
  readonly isOwners: boolean;
  readonly scimGroupId: string | null;
  readonly scimGroupDisplayName: string | null;
  readonly linkPaused: boolean;
  readonly revision: bigint;
  readonly created: string;
  /** Effective members: service accounts first, then people, each by username. */
  readonly members: readonly TeamMemberView[];
}

export interface ScimGroupSummary {
  readonly id: string;
  readonly displayName: string;
  readonly memberCount: number;
  readonly linkedTeamIds: readonly string[];
}

/** The admin API's reads (teams, SCIM groups, site admins), answered from the SCIM read model only. */
export interface TeamQueries {
  team(id: string): Promise<TeamView | undefined>;
  teams(): Promise<TeamView[]>;
  scimGroups(): Promise<ScimGroupSummary[]>;
  /** Accounts with site-admin rights granted through SCIM. */
  siteAdmins(): Promise<string[]>;
}

interface TeamRow {
  id: string;
  revision: bigint;
  name: string;
  is_owners: boolean;
  scim_group_id: string | null;
  group_name: string | null;
  link_paused: boolean;
  created: Date;
}

const S = `"${PLATFORM_READ_SCHEMA}"`;

export function createTeamQueries(pool: Pool): TeamQueries {
  async function membersOf(teamIds: string[]): Promise<Map<string, TeamMemberView[]>> {
    const byTeam = new Map<string, TeamMemberView[]>(teamIds.map((id) => [id, []]));
    if (teamIds.length === 0) return byTeam;
    const { rows } = await pool.query<{ team_id: string; account_id: string; username: string; kind: 'user' | 'service-account' }>(
      `SELECT team_id, account_id, username, kind FROM ${S}.team_members WHERE team_id = ANY($1::text[])
        ORDER BY team_id, kind DESC, lower(username), account_id`,
      [teamIds],
    );
    for (const r of rows) byTeam.get(r.team_id)?.push({ accountId: r.account_id, username: r.username, kind: r.kind });
    return byTeam;
  }

  async function teamRows(where: string, params: unknown[]): Promise<TeamView[]> {
    const { rows } = await pool.query<TeamRow>(
      `SELECT t.*, g.display_name AS group_name FROM ${S}.teams t LEFT JOIN ${S}.groups g ON g.id = t.scim_group_id
        WHERE ${where} ORDER BY t.is_owners DESC, lower(t.name), t.id`,
      params,
    );
    const members = await membersOf(rows.map((r) => r.id));
    return rows.map((r) => ({
      id: r.id,
      name: r.name,
      isOwners: r.is_owners,
      scimGroupId: r.scim_group_id,
      scimGroupDisplayName: r.group_name,
      linkPaused: r.link_paused,
      revision: r.revision,
      created: r.created.toISOString(),
      members: members.get(r.id) ?? [],
    }));
  }

  return {
    async team(id) {
      return (await teamRows('t.id = $1', [id]))[0];
    },
    teams: () => teamRows('true', []),
    async scimGroups() {
      const { rows } = await pool.query<{ id: string; display_name: string; member_count: number; team_ids: string[] }>(
        `SELECT g.id, g.display_name,
                (SELECT count(*)::int FROM ${S}.group_members m WHERE m.group_id = g.id) AS member_count,
                ARRAY(SELECT t.id FROM ${S}.teams t WHERE t.scim_group_id = g.id ORDER BY t.id) AS team_ids
           FROM ${S}.groups g WHERE NOT g.deleted ORDER BY lower(g.display_name), g.id`,
      );
      return rows.map((r) => ({ id: r.id, displayName: r.display_name, memberCount: r.member_count, linkedTeamIds: r.team_ids }));
    },
    async siteAdmins() {
      const { rows } = await pool.query<{ account_id: string }>(`SELECT account_id FROM ${S}.site_admins ORDER BY account_id`);
      return rows.map((r) => r.account_id);
    },
  };
}
