import type { Pool } from 'pg';
import { PLATFORM_READ_SCHEMA } from '../../../projections/platform/tables';

export interface TeamMemberView {
  readonly accountId: string;
  readonly username: string;
  readonly kind: 'user' | 'service-account';
  /** For the account of a SCIM user: its `userName` (the platform's `scim-username`); else null. */
  readonly scimUsername: string | null;
  /** For the account of a SCIM user: when SCIM last changed that user (`scim-updated-at`); else null. */
  readonly scimUpdatedAt: string | null;
}

export interface TeamView {
  readonly id: string;
  readonly name: string;
  readonly isOwners: boolean;
  readonly scimGroupId: string | null;
  readonly scimGroupDisplayName: string | null;
  readonly linkPaused: boolean;
  /** The last time the link changed the team's members (`scim-updated-at`); null while unlinked. */
  readonly scimUpdatedAt: string | null;
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

export interface ScimGroupQuery {
  /** Case-insensitive partial match on the display name (api-docs/admin/scim-groups `q`). */
  readonly q?: string;
  /** Pages count from 1. */
  readonly pageNumber: number;
  readonly pageSize: number;
}

/** The admin API's reads (teams, SCIM groups, site admins), answered from the SCIM read model only. */
export interface TeamQueries {
  team(id: string): Promise<TeamView | undefined>;
  teams(): Promise<TeamView[]>;
  /** One page of the live groups matching `q`, by display name (case-insensitive), and how many match in all. */
  scimGroups(query: ScimGroupQuery): Promise<{ groups: ScimGroupSummary[]; totalCount: number }>;
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
  scim_updated_at: Date | null;
  created: Date;
}

/** `%`, `_` and the escape character itself match literally in a LIKE pattern. */
const likeLiteral = (text: string) => text.replace(/[\\%_]/g, (c) => `\\${c}`);

const S = `"${PLATFORM_READ_SCHEMA}"`;

export function createTeamQueries(pool: Pool): TeamQueries {
  async function membersOf(teamIds: string[]): Promise<Map<string, TeamMemberView[]>> {
    const byTeam = new Map<string, TeamMemberView[]>(teamIds.map((id) => [id, []]));
    if (teamIds.length === 0) return byTeam;
    const { rows } = await pool.query<{
      team_id: string;
      account_id: string;
      username: string;
      kind: 'user' | 'service-account';
      scim_username: string | null;
      scim_updated_at: Date | null;
    }>(
      `SELECT tm.team_id, tm.account_id, tm.username, tm.kind, u.user_name AS scim_username, u.last_modified AS scim_updated_at
         FROM ${S}.team_members tm
         LEFT JOIN ${S}.accounts a ON a.id = tm.account_id
         LEFT JOIN ${S}.users u ON u.id = a.scim_user_id AND NOT u.deleted
        WHERE tm.team_id = ANY($1::text[])
        ORDER BY tm.team_id, tm.kind DESC, lower(tm.username), tm.account_id`,
      [teamIds],
    );
    for (const r of rows) {
      byTeam.get(r.team_id)?.push({
        accountId: r.account_id,
        username: r.username,
        kind: r.kind,
        scimUsername: r.scim_username,
        scimUpdatedAt: r.scim_updated_at?.toISOString() ?? null,
      });
    }
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
      scimUpdatedAt: r.scim_group_id ? (r.scim_updated_at?.toISOString() ?? null) : null,
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
    async scimGroups({ q, pageNumber, pageSize }) {
      const pattern = q ? `%${likeLiteral(q.toLowerCase())}%` : null;
      const matches = `NOT g.deleted AND ($1::text IS NULL OR lower(g.display_name) LIKE $1 ESCAPE '\\')`;
      const { rows } = await pool.query<{ id: string; display_name: string; member_count: number; team_ids: string[]; total: number }>(
        `SELECT g.id, g.display_name,
                (SELECT count(*)::int FROM ${S}.group_members m WHERE m.group_id = g.id) AS member_count,
                ARRAY(SELECT t.id FROM ${S}.teams t WHERE t.scim_group_id = g.id ORDER BY t.id) AS team_ids,
                count(*) OVER ()::int AS total
           FROM ${S}.groups g WHERE ${matches}
          ORDER BY lower(g.display_name), g.id
          LIMIT $2 OFFSET $3`,
        [pattern, pageSize, (pageNumber - 1) * pageSize],
      );
      // Past the last page no row carries the total: count it on its own.
      const totalCount =
        rows[0]?.total ?? Number((await pool.query<{ n: number }>(`SELECT count(*)::int AS n FROM ${S}.groups g WHERE ${matches}`, [pattern])).rows[0]?.n ?? 0);
      return { groups: rows.map((r) => ({ id: r.id, displayName: r.display_name, memberCount: r.member_count, linkedTeamIds: r.team_ids })), totalCount };
    },
    async siteAdmins() {
      const { rows } = await pool.query<{ account_id: string }>(`SELECT account_id FROM ${S}.site_admins ORDER BY account_id`);
      return rows.map((r) => r.account_id);
    },
  };
}
