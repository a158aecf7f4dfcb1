import type { Pool } from 'pg';
import { SCIM_READ_SCHEMA } from '../../../projections/scim/tables';
import type { JsonDocument } from '../../../shared/domain/json';
import { parseFilter, resolveFilter } from '../../../shared/scim/filter';
import { compileFilter, compileSort } from '../../../shared/scim/filter/sql';
import type { GroupView, UserView } from '../scim/render';

export interface Page<T> {
  readonly totalResults: number;
  readonly items: readonly T[];
}

export interface PageRequest {
  readonly filter?: string;
  readonly startIndex: number;
  readonly count: number;
  readonly sortBy?: string;
  readonly sortOrder?: string;
}

interface UserRow {
  id: string;
  revision: bigint;
  active: boolean;
  attributes: JsonDocument;
  created: Date;
  last_modified: Date;
}

interface GroupRow {
  id: string;
  revision: bigint;
  display_name: string;
  external_id: string | null;
  created: Date;
  last_modified: Date;
}

const S = `"${SCIM_READ_SCHEMA}"`;

/** SCIM GETs, answered from the read model only. */
export interface ScimQueries {
  user(id: string): Promise<UserView | undefined>;
  users(request: PageRequest): Promise<Page<UserView>>;
  group(id: string, options: { members: boolean }): Promise<GroupView | undefined>;
  groups(request: PageRequest, options: { members: boolean }): Promise<Page<GroupView>>;
}

export function createScimQueries(pool: Pool): ScimQueries {
  async function groupsOfUsers(userIds: string[]): Promise<Map<string, { id: string; displayName: string }[]>> {
    const byUser = new Map<string, { id: string; displayName: string }[]>(userIds.map((id) => [id, []]));
    if (userIds.length === 0) return byUser;
    const { rows } = await pool.query<{ user_id: string; id: string; display_name: string }>(
      `SELECT m.user_id, g.id, g.display_name FROM ${S}.group_members m JOIN ${S}.groups g ON g.id = m.group_id AND NOT g.deleted
        WHERE m.user_id = ANY($1::uuid[])`,
      [userIds],
    );
    for (const r of rows) byUser.get(r.user_id)?.push({ id: r.id, displayName: r.display_name });
    return byUser;
  }

  async function membersOfGroups(groupIds: string[]): Promise<Map<string, { id: string; userName: string }[]>> {
    const byGroup = new Map<string, { id: string; userName: string }[]>(groupIds.map((id) => [id, []]));
    if (groupIds.length === 0) return byGroup;
    const { rows } = await pool.query<{ group_id: string; id: string; user_name: string }>(
      `SELECT m.group_id, u.id, u.user_name FROM ${S}.group_members m JOIN ${S}.users u ON u.id = m.user_id AND NOT u.deleted
        WHERE m.group_id = ANY($1::uuid[])`,
      [groupIds],
    );
    for (const r of rows) byGroup.get(r.group_id)?.push({ id: r.id, userName: r.user_name });
    return byGroup;
  }

  const userView = (row: UserRow, groups: { id: string; displayName: string }[]): UserView => ({
    id: row.id,
    attributes: row.attributes,
    active: row.active,
    revision: row.revision,
    created: row.created.toISOString(),
    lastModified: row.last_modified.toISOString(),
    groups,
  });

  const groupView = (row: GroupRow, members: { id: string; userName: string }[] | undefined): GroupView => ({
    id: row.id,
    displayName: row.display_name,
    ...(row.external_id === null ? {} : { externalId: row.external_id }),
    revision: row.revision,
    created: row.created.toISOString(),
    lastModified: row.last_modified.toISOString(),
    ...(members ? { members } : {}),
  });

  /** The WHERE and ORDER BY of a list, every value a parameter. */
  function listSql(resourceType: 'User' | 'Group', alias: string, request: PageRequest, params: unknown[]) {
    const where = request.filter
      ? compileFilter(resolveFilter(parseFilter(request.filter), resourceType), resourceType, { schema: SCIM_READ_SCHEMA, alias, params })
      : 'true';
    const orderBy = compileSort(request.sortBy, request.sortOrder, resourceType, { schema: SCIM_READ_SCHEMA, alias, params });
    return { where, orderBy };
  }

  async function page<Row>(table: 'users' | 'groups', resourceType: 'User' | 'Group', request: PageRequest): Promise<{ total: number; rows: Row[] }> {
    const alias = table === 'users' ? 'u' : 'g';
    const params: unknown[] = [];
    const { where, orderBy } = listSql(resourceType, alias, request, params);
    const from = `FROM ${S}.${table} ${alias} WHERE NOT ${alias}.deleted AND (${where})`;
    const counted = await pool.query<{ total: string }>(`SELECT count(*) AS total ${from}`, params);
    const total = Number(counted.rows[0]?.total ?? 0);
    if (request.count === 0 || total < request.startIndex) return { total, rows: [] };
    const limit = params.length + 1;
    const { rows } = await pool.query<Row & object>(`SELECT ${alias}.* ${from} ORDER BY ${orderBy} LIMIT $${limit} OFFSET $${limit + 1}`, [
      ...params,
      request.count,
      request.startIndex - 1,
    ]);
    return { total, rows };
  }

  return {
    async user(id) {
      const { rows } = await pool.query<UserRow>(`SELECT * FROM ${S}.users WHERE id = $1 AND NOT deleted`, [id]);
      const row = rows[0];
      if (!row) return undefined;
      return userView(row, (await groupsOfUsers([row.id])).get(row.id) ?? []);
    },
    async users(request) {
      const { total, rows } = await page<UserRow>('users', 'User', request);
      const groups = await groupsOfUsers(rows.map((r) => r.id));
      return { totalResults: total, items: rows.map((r) => userView(r, groups.get(r.id) ?? [])) };
    },
    async group(id, { members }) {
      const { rows } = await pool.query<GroupRow>(`SELECT * FROM ${S}.groups WHERE id = $1 AND NOT deleted`, [id]);
      const row = rows[0];
      if (!row) return undefined;
      return groupView(row, members ? (await membersOfGroups([row.id])).get(row.id) : undefined);
    },
    async groups(request, { members }) {
      const { total, rows } = await page<GroupRow>('groups', 'Group', request);
      const byGroup = members ? await membersOfGroups(rows.map((r) => r.id)) : undefined;
      return { totalResults: total, items: rows.map((r) => groupView(r, byGroup ? (byGroup.get(r.id) ?? []) : undefined)) };
    },
  };
}
