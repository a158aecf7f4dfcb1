import { createHash } from 'node:crypto';
import { sql, type SqlStatement } from '../../shared/db/sql-statement';
import { COUNT_SHARDS } from './tables';
import type { GroupState } from '../../shared/domain/groups/state';
import type { UserState } from '../../shared/domain/users/state';

/**
 * The rows of the SCIM read model as functions of an aggregate's state, and the statements that
 * write many of them at once. The same statements serve the inline projection (one aggregate, in
 * the append's statement) and the runner (a batch of aggregates), so both build identical rows.
 * Every upsert is guarded by the stream revision: an older state never overwrites a newer one.
 */

export interface UserRow {
  readonly id: string;
  readonly revision: string;
  readonly user_name: string;
  readonly external_id: string | null;
  readonly display_name: string | null;
  readonly active: boolean;
  readonly account_id: string;
  readonly attributes: unknown;
  readonly created: string;
  readonly last_modified: string;
  readonly deleted: boolean;
}

export interface GroupRow {
  readonly id: string;
  readonly revision: string;
  readonly display_name: string;
  readonly external_id: string | null;
  readonly created: string;
  readonly last_modified: string;
  readonly deleted: boolean;
}

export interface Membership {
  readonly group_id: string;
  readonly user_id: string;
}

const text = (value: unknown): string | null => (typeof value === 'string' ? value : null);

/** The users row of a state at `revision`; undefined for a user that never existed. */
export function userRow(state: UserState, revision: bigint): UserRow | undefined {
  if (state.status === 'Absent') return undefined;
  const { attributes } = state;
  return {
    id: state.userId,
    revision: revision.toString(),
    user_name: attributes.userName,
    external_id: text(attributes.externalId),
    display_name: text(attributes.displayName),
    active: state.status === 'Active',
    account_id: state.accountId,
    attributes,
    created: state.created,
    last_modified: state.lastModified,
    deleted: state.status === 'Deleted',
  };
}

/** The groups row of a state at `revision`; undefined for a group that never existed. */
export function groupRow(state: GroupState, revision: bigint): GroupRow | undefined {
  if (state.status === 'Absent') return undefined;
  return {
    id: state.groupId,
    revision: revision.toString(),
    display_name: state.displayName,
    external_id: state.externalId ?? null,
    created: state.created,
    last_modified: state.lastModified,
    deleted: state.status === 'Deleted',
  };
}

/** The roster rows to add and remove to go from `before` to `after`; a deleted group has none. */
export function membershipChange(before: GroupState, after: GroupState): { added: Membership[]; removed: Membership[] } {
  const had = new Set(before.status === 'Active' ? before.memberIds : []);
  const has = new Set(after.status === 'Active' ? after.memberIds : []);
  const groupId = after.status === 'Absent' ? '' : after.groupId;
  return {
    added: [...has].filter((id) => !had.has(id)).map((user_id) => ({ group_id: groupId, user_id })),
    removed: [...had].filter((id) => !has.has(id)).map((user_id) => ({ group_id: groupId, user_id })),
  };
}

/** A change of how many users or groups exist, in the shard the aggregate's id hashes to. */
export interface CountChange {
  readonly resource: 'users' | 'groups';
  readonly shard: number;
  readonly delta: number;
}

const exists = (state: { status: string }) => state.status === 'Active' || state.status === 'Deactivated';

/** +1 when the aggregate came to exist, -1 when it stopped; undefined when neither. */
export function countChange(resource: CountChange['resource'], id: string, before: { status: string }, after: { status: string }): CountChange | undefined {
  const delta = (exists(after) ? 1 : 0) - (exists(before) ? 1 : 0);
  if (delta === 0) return undefined;
  return { resource, shard: createHash('sha1').update(id).digest().readUInt16BE(0) % COUNT_SHARDS, delta };
}

const USER_COLUMNS = 'id, revision, user_name, external_id, display_name, active, account_id, attributes, created, last_modified, deleted';
const USER_RECORD =
  'id uuid, revision bigint, user_name text, external_id text, display_name text, active boolean, account_id uuid, attributes jsonb, created timestamptz, last_modified timestamptz, deleted boolean';
const GROUP_COLUMNS = 'id, revision, display_name, external_id, created, last_modified, deleted';
const GROUP_RECORD = 'id uuid, revision bigint, display_name text, external_id text, created timestamptz, last_modified timestamptz, deleted boolean';

const updateAll = (columns: string) =>
  columns
    .split(', ')
    .filter((c) => c !== 'id')
    .map((c) => `${c} = EXCLUDED.${c}`)
    .join(', ');

/** Statements that write these rows into `schema` (none for empty lists). */
export function writeStatements(
  schema: string,
  rows: { users?: readonly UserRow[]; groups?: readonly GroupRow[]; added?: readonly Membership[]; removed?: readonly Membership[]; counts?: readonly CountChange[] },
): SqlStatement[] {
  const s = `"${schema}"`;
  const statements: SqlStatement[] = [];
  if (rows.users?.length) {
    statements.push(
      sql(
        `INSERT INTO ${s}.users (${USER_COLUMNS}) SELECT ${USER_COLUMNS} FROM jsonb_to_recordset($1::jsonb) AS r(${USER_RECORD})
         ON CONFLICT (id) DO UPDATE SET ${updateAll(USER_COLUMNS)} WHERE users.revision < EXCLUDED.revision`,
        [JSON.stringify(rows.users)],
      ),
    );
  }
  if (rows.groups?.length) {
    statements.push(
      sql(
        `INSERT INTO ${s}.groups (${GROUP_COLUMNS}) SELECT ${GROUP_COLUMNS} FROM jsonb_to_recordset($1::jsonb) AS r(${GROUP_RECORD})
         ON CONFLICT (id) DO UPDATE SET ${updateAll(GROUP_COLUMNS)} WHERE groups.revision < EXCLUDED.revision`,
        [JSON.stringify(rows.groups)],
      ),
    );
  }
  if (rows.added?.length) {
    statements.push(
      sql(
        `INSERT INTO ${s}.group_members (group_id, user_id) SELECT group_id, user_id FROM jsonb_to_recordset($1::jsonb) AS r(group_id uuid, user_id uuid)
         ON CONFLICT DO NOTHING`,
        [JSON.stringify(rows.added)],
      ),
    );
  }
  if (rows.removed?.length) {
    statements.push(
      sql(
        `DELETE FROM ${s}.group_members m USING jsonb_to_recordset($1::jsonb) AS r(group_id uuid, user_id uuid)
          WHERE m.group_id = r.group_id AND m.user_id = r.user_id`,
        [JSON.stringify(rows.removed)],
      ),
    );
  }
  const counts = new Map<string, CountChange>();
  for (const change of rows.counts ?? []) {
    const key = `${change.resource}:${change.shard}`;
    counts.set(key, { ...change, delta: (counts.get(key)?.delta ?? 0) + change.delta });
  }
  const nonZero = [...counts.values()].filter((c) => c.delta !== 0);
  if (nonZero.length > 0) {
    statements.push(
      sql(
        `UPDATE ${s}.resource_counts c SET n = c.n + r.delta FROM jsonb_to_recordset($1::jsonb) AS r(resource text, shard integer, delta bigint)
          WHERE c.resource = r.resource AND c.shard = r.shard`,
        [JSON.stringify(nonZero)],
      ),
    );
  }
  return statements;
}
