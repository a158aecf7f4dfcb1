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
  /** The groups (not deleted) the user is a member of. */
  groupsOf(userId: string): Promise<{ id: string; displayName: string }[]>;
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

  /**
   * One page in the list's order: the matching ids are found by an inner query the sort order's
   * index can serve (an index-only scan for the default order), then only those rows are read.
   * totalResults is the sum of resource_counts when there is no filter, nothing when the page
   * itself shows it is complete (a first page shorter than asked), and a count of the matches
   * otherwise (RFC 7644 §3.4.2: totalResults is every match, not the page).
   */
  async function page<Row extends QueryResultRow>(
    table: 'users' | 'groups',
    resourceType: 'User' | 'Group',
    request: PageRequest,
    columns: string,
  ): Promise<{ total: number; rows: Row[] }> {
    const alias = table === 'users' ? 'u' : 'g';
    const { where, filterParams, orderBy, pageParams } = listSql(resourceType, alias, request);
    const from = `FROM ${S}.${table} ${alias} WHERE NOT ${alias}.deleted AND (${where})`;
    const total = async () => {
      const { rows } = request.filter
        ? await query<{ total: string }>(`SELECT count(*) AS total ${from}`, filterParams)
        : await query<{ total: string }>(`SELECT sum(n) AS total FROM ${S}.resource_counts WHERE resource = $1`, [table]);
      return Number(rows[0]?.total ?? 0);
    };
    if (request.count === 0) return { total: await total(), rows: [] };
    const limit = pageParams.length + 1;
    const { rows } = await query<Row>(
      `SELECT ${columns} FROM ${S}.${table} ${alias}
        WHERE ${alias}.id IN (SELECT ${alias}.id ${from} ORDER BY ${orderBy} LIMIT $${limit} OFFSET $${limit + 1})
        ORDER BY ${orderBy}`,
      [...pageParams, request.count, request.startIndex - 1],
    );
    const complete = request.startIndex === 1 && rows.length < request.count;
    return { total: complete ? rows.length : await total(), rows };
  }

  /** A user row with its groups (not deleted) as JSON, in one statement. */
  const USER_COLUMNS = `u.*, coalesce((SELECT json_agg(json_build_object('id', g.id, 'displayName', g.display_name))
      FROM ${S}.group_members m JOIN ${S}.groups g ON g.id = m.group_id AND NOT g.deleted WHERE m.user_id = u.id), '[]') AS groups`;
  /** A group row with its members (not deleted users) as JSON. */
  const GROUP_WITH_MEMBERS = `g.*, coalesce((SELECT json_agg(json_build_object('id', u.id, 'userName', u.user_name))
      FROM ${S}.group_members m JOIN ${S}.users u ON u.id = m.user_id AND NOT u.deleted WHERE m.group_id = g.id), '[]') AS members`;

  return {
    async user(id) {
      const { rows } = await query<UserRow & { groups: { id: string; displayName: string }[] }>(`SELECT ${USER_COLUMNS} FROM ${S}.users u WHERE u.id = $1 AND NOT u.deleted`, [id]);
      const row = rows[0];
      return row ? userView(row, row.groups) : undefined;
    },
    async users(request) {
      const { total, rows } = await page<UserRow & { groups: { id: string; displayName: string }[] }>('users', 'User', request, USER_COLUMNS);
      return { totalResults: total, items: rows.map((r) => userView(r, r.groups)) };
    },
    async groupsOf(userId) {
      const { rows } = await query<{ id: string; display_name: string }>(
        `SELECT g.id, g.display_name FROM ${S}.group_members m JOIN ${S}.groups g ON g.id = m.group_id AND NOT g.deleted WHERE m.user_id = $1`,
        [userId],
      );
      return rows.map((r) => ({ id: r.id, displayName: r.display_name }));
    },
    async group(id, { members }) {
      const { rows } = await query<GroupRow & { members?: { id: string; userName: string }[] }>(
        `SELECT ${members ? GROUP_WITH_MEMBERS : 'g.*'} FROM ${S}.groups g WHERE g.id = $1 AND NOT g.deleted`,
        [id],
      );
      const row = rows[0];
      return row ? groupView(row, row.members) : undefined;
    },
    async groups(request, { members }) {
      const { total, rows } = await page<GroupRow & { members?: { id: string; userName: string }[] }>('groups', 'Group', request, members ? GROUP_WITH_MEMBERS : 'g.*');
      return { totalResults: total, items: rows.map((r) => groupView(r, r.members)) };
    },
  };
}
