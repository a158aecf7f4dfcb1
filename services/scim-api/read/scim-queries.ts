import type { Pool, QueryResultRow } from 'pg';
import { SCIM_READ_MODEL } from '../../../projections/scim/read-model-mapping';
import { SCIM_READ_SCHEMA } from '../../../projections/scim/tables';
import type { JsonDocument } from '../../../shared/domain/json';
import { scimErrors } from '../../../shared/scim/errors';
import { parseFilter, resolveFilter, type FilterLimits } from '../../../shared/scim/filter';
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

export interface ScimQueryOptions {
  /** Bounds on a list's filter (SCIM_FILTER_MAX_LENGTH, _DEPTH, _CLAUSES). */
  readonly filterLimits: FilterLimits;
  /**
   * The statement timeout `pool`'s connections run under (SCIM_READ_STATEMENT_TIMEOUT_MS), for the
   * 503's detail and Retry-After; the pool itself enforces it (shared/db/pool.ts).
   */
  readonly statementTimeoutMs: number;
}

/** Postgres's SQLSTATE for a statement cancelled by statement_timeout (or by an operator). */
const QUERY_CANCELED = '57014';

/**
 * The SCIM reads over `pool`, whose connections carry a statement timeout: a query that runs past
 * it is cancelled by Postgres and answered 503 with Retry-After, so no filter holds the database.
 * @throws ScimError 400 for a filter or sort the read model cannot answer or that passes the
 * limits; 503 when a query was cancelled.
 */
export function createScimQueries(pool: Pool, { filterLimits, statementTimeoutMs }: ScimQueryOptions): ScimQueries {
  const retryAfterSeconds = Math.max(1, Math.ceil(statementTimeoutMs / 1000));
  async function query<Row extends QueryResultRow>(text: string, values: unknown[]): Promise<{ rows: Row[] }> {
    try {
      return await pool.query<Row>(text, values);
    } catch (error) {
      if ((error as { code?: unknown }).code === QUERY_CANCELED) {
        throw scimErrors.unavailable(
          `the query ran longer than the ${statementTimeoutMs} ms the service allows a read and was cancelled; narrow the filter, or retry later`,
          retryAfterSeconds,
        );
      }
      throw error;
    }
  }

  async function groupsOfUsers(userIds: string[]): Promise<Map<string, { id: string; displayName: string }[]>> {
    const byUser = new Map<string, { id: string; displayName: string }[]>(userIds.map((id) => [id, []]));
    if (userIds.length === 0) return byUser;
    const { rows } = await query<{ user_id: string; id: string; display_name: string }>(
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
    const { rows } = await query<{ group_id: string; id: string; user_name: string }>(
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

  /**
   * The WHERE of a list and the parameters it uses; the ORDER BY and the parameters of the page
   * query, which are the WHERE's followed by the sort's own (a sort key may be a parameter, e.g.
   * `meta.resourceType`, and the count query must not be sent it).
   */
  function listSql(resourceType: 'User' | 'Group', alias: string, request: PageRequest) {
    const filterParams: unknown[] = [];
    const where = request.filter
      ? compileFilter(resolveFilter(parseFilter(request.filter, filterLimits), resourceType), resourceType, { readModel: SCIM_READ_MODEL, schema: SCIM_READ_SCHEMA, alias, params: filterParams })
      : 'true';
    const pageParams = [...filterParams];
    const orderBy = compileSort(request.sortBy, request.sortOrder, resourceType, { readModel: SCIM_READ_MODEL, schema: SCIM_READ_SCHEMA, alias, params: pageParams });
    return { where, filterParams, orderBy, pageParams };
  }

  async function page<Row extends QueryResultRow>(table: 'users' | 'groups', resourceType: 'User' | 'Group', request: PageRequest): Promise<{ total: number; rows: Row[] }> {
    const alias = table === 'users' ? 'u' : 'g';
    const { where, filterParams, orderBy, pageParams } = listSql(resourceType, alias, request);
    const from = `FROM ${S}.${table} ${alias} WHERE NOT ${alias}.deleted AND (${where})`;
    const counted = await query<{ total: string }>(`SELECT count(*) AS total ${from}`, filterParams);
    const total = Number(counted.rows[0]?.total ?? 0);
    if (request.count === 0 || total < request.startIndex) return { total, rows: [] };
    const limit = pageParams.length + 1;
    const { rows } = await query<Row>(`SELECT ${alias}.* ${from} ORDER BY ${orderBy} LIMIT $${limit} OFFSET $${limit + 1}`, [
      ...pageParams,
      request.count,
      request.startIndex - 1,
    ]);
    return { total, rows };
  }

  return {
    async user(id) {
      const { rows } = await query<UserRow>(`SELECT * FROM ${S}.users WHERE id = $1 AND NOT deleted`, [id]);
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
      const { rows } = await query<GroupRow>(`SELECT * FROM ${S}.groups WHERE id = $1 AND NOT deleted`, [id]);
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
