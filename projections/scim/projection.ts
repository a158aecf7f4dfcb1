import type { PoolClient } from '../../shared/db/pool';
import type { InlineProjection } from '../../shared/commands/stream-writer';
import { toDomainEvent } from '../../shared/commands/stream-states';
import { evolveGroup, initialGroupState, type GroupState } from '../../shared/domain/groups/state';
import type { GroupEvent } from '../../shared/domain/groups/events';
import { evolveUser, initialUserState, type UserState } from '../../shared/domain/users/state';
import type { UserAttributes } from '../../shared/domain/users/attributes';
import type { UserEvent } from '../../shared/domain/users/events';
import type { RecordedEvent } from '../../shared/eventstore/port';
import type { Projection } from '../runtime/projection';
import { countChange, groupRow, membershipChange, userRow, writeStatements, type CountChange, type GroupRow, type Membership, type UserRow } from './rows';
import { SCIM_READ_SCHEMA, scimTablesSql } from './tables';

const isUserStream = (streamId: string) => streamId.startsWith('user-');
const isGroupStream = (streamId: string) => streamId.startsWith('group-');

interface Known<State> {
  readonly before: State;
  state: State;
  revision: bigint;
}

interface StoredUser {
  id: string;
  revision: bigint;
  attributes: UserAttributes;
  active: boolean;
  account_id: string;
  created: Date;
  last_modified: Date;
  deleted: boolean;
}

interface StoredGroup {
  id: string;
  revision: bigint;
  display_name: string;
  external_id: string | null;
  created: Date;
  last_modified: Date;
  deleted: boolean;
  member_ids: string[];
}

/** The states the read model holds now for these users, with their revisions. */
async function storedUsers(client: PoolClient, schema: string, ids: readonly string[]): Promise<Map<string, Known<UserState>>> {
  const known = new Map<string, Known<UserState>>();
  if (ids.length === 0) return known;
  const { rows } = await client.query<StoredUser>(`SELECT * FROM "${schema}".users WHERE id = ANY($1::uuid[])`, [ids]);
  for (const r of rows) {
    const existing = { userId: r.id, attributes: r.attributes, accountId: r.account_id, created: r.created.toISOString(), lastModified: r.last_modified.toISOString() };
    const state: UserState = { status: r.deleted ? 'Deleted' : r.active ? 'Active' : 'Deactivated', ...existing };
    known.set(r.id, { before: state, state, revision: BigInt(r.revision) });
  }
  return known;
}

async function storedGroups(client: PoolClient, schema: string, ids: readonly string[]): Promise<Map<string, Known<GroupState>>> {
  const known = new Map<string, Known<GroupState>>();
  if (ids.length === 0) return known;
  const { rows } = await client.query<StoredGroup>(
    `SELECT g.*, ARRAY(SELECT m.user_id::text FROM "${schema}".group_members m WHERE m.group_id = g.id) AS member_ids
       FROM "${schema}".groups g WHERE g.id = ANY($1::uuid[])`,
    [ids],
  );
  for (const r of rows) {
    const state: GroupState = {
      status: r.deleted ? 'Deleted' : 'Active',
      groupId: r.id,
      displayName: r.display_name,
      ...(r.external_id === null ? {} : { externalId: r.external_id }),
      memberIds: r.deleted ? [] : r.member_ids,
      created: r.created.toISOString(),
      lastModified: r.last_modified.toISOString(),
    };
    known.set(r.id, { before: state, state, revision: BigInt(r.revision) });
  }
  return known;
}

/** `user-<id>` and `group-<id>` streams hold the aggregate of that id. */
const aggregateId = (event: RecordedEvent) => event.streamId.slice(event.streamId.indexOf('-') + 1);

/**
 * Folds the events onto the states the read model holds (events at or below a row's revision are
 * already in it) and writes each changed aggregate's rows once.
 */
async function apply(client: PoolClient, events: readonly RecordedEvent[], schema: string): Promise<void> {
  const userIds = [...new Set(events.filter((e) => isUserStream(e.streamId)).map(aggregateId))];
  const groupIds = [...new Set(events.filter((e) => isGroupStream(e.streamId)).map(aggregateId))];
  const [users, groups] = await Promise.all([storedUsers(client, schema, userIds), storedGroups(client, schema, groupIds)]);
  const changedUsers = new Set<string>();
  const changedGroups = new Set<string>();

  for (const event of events) {
    const id = aggregateId(event);
    if (isUserStream(event.streamId)) {
      const known = users.get(id) ?? { before: initialUserState, state: initialUserState, revision: -1n };
      if (event.revision <= known.revision) continue;
      users.set(id, { ...known, state: evolveUser(known.state, toDomainEvent<UserEvent>(event)), revision: event.revision });
      changedUsers.add(id);
    } else if (isGroupStream(event.streamId)) {
      const known = groups.get(id) ?? { before: initialGroupState, state: initialGroupState, revision: -1n };
      if (event.revision <= known.revision) continue;
      groups.set(id, { ...known, state: evolveGroup(known.state, toDomainEvent<GroupEvent>(event)), revision: event.revision });
      changedGroups.add(id);
    }
  }

  const userRows: UserRow[] = [];
  const counts: CountChange[] = [];
  for (const id of changedUsers) {
    const { before, state, revision } = users.get(id)!;
    const row = userRow(state, revision);
    if (row) userRows.push(row);
    const count = countChange('users', id, before, state);
    if (count) counts.push(count);
  }
  const groupRows: GroupRow[] = [];
  const added: Membership[] = [];
  const removed: Membership[] = [];
  for (const id of changedGroups) {
    const { before, state, revision } = groups.get(id)!;
    const row = groupRow(state, revision);
    if (!row) continue;
    groupRows.push(row);
    const count = countChange('groups', id, before, state);
    if (count) counts.push(count);
    const change = membershipChange(before, state);
    added.push(...change.added);
    removed.push(...change.removed);
  }
  for (const statement of writeStatements(schema, { users: userRows, groups: groupRows, added, removed, counts })) {
    await client.query(statement.text, [...statement.values]);
  }
}

/**
 * Users, groups and their members: everything a SCIM GET answers from. Its rows are functions of
 * each aggregate's state, so with the Postgres store they are written in the append's own
 * statement (inline, from the state the decider decided) and a write is readable the moment it is
 * acknowledged; the runner applies the same rows from the log for rebuilds and for EventStoreDB.
 */
export const scimProjection: Projection & InlineProjection = {
  name: 'scim',
  version: 4,
  streamLocal: true,
  createTables: scimTablesSql,
  canHandle: (event) => isUserStream(event.streamId) || isGroupStream(event.streamId),
  apply,
  statements({ streamId, before, state, revision }) {
    const id = streamId.slice(streamId.indexOf('-') + 1);
    if (isUserStream(streamId)) {
      const row = userRow(state as UserState, revision);
      const count = countChange('users', id, (before ?? initialUserState) as UserState, state as UserState);
      return row ? writeStatements(SCIM_READ_SCHEMA, { users: [row], counts: count ? [count] : [] }) : [];
    }
    if (isGroupStream(streamId)) {
      const row = groupRow(state as GroupState, revision);
      if (!row) return [];
      const previous = (before ?? initialGroupState) as GroupState;
      const count = countChange('groups', id, previous, state as GroupState);
      return writeStatements(SCIM_READ_SCHEMA, { groups: [row], ...membershipChange(previous, state as GroupState), counts: count ? [count] : [] });
    }
    return [];
  },
};
