import type { PoolClient } from 'pg';
import type { GroupEvent } from '../../shared/domain/groups/events';
import { GROUP_EVENT_TYPES } from '../../shared/domain/groups/events';
import type { AccountEvent } from '../../shared/domain/accounts/account';
import { primaryEmail } from '../../shared/domain/users/attributes';
import type { UserEvent } from '../../shared/domain/users/events';
import { USER_EVENT_TYPES } from '../../shared/domain/users/events';
import type { RecordedEvent } from '../../shared/eventstore/port';
import type { Projection } from '../runtime/projection';
import { scimTablesSql } from './tables';

const HANDLED = new Set<string>([...USER_EVENT_TYPES, ...GROUP_EVENT_TYPES, 'AccountRegistered']);

type Table = 'users' | 'groups' | 'group_members' | 'accounts';

/**
 * Advances an aggregate row's revision when the event is newer and says whether it did:
 * every change of an event is applied only then, so a redelivered event changes nothing.
 */
async function advance(client: PoolClient, table: (t: Table) => string, kind: 'users' | 'groups', id: string, event: RecordedEvent, extra = ''): Promise<boolean> {
  const result = await client.query(
    `UPDATE ${table(kind)} SET revision = $2, last_modified = $3${extra} WHERE id = $1 AND revision < $2`,
    [id, event.revision, occurredAt(event)],
  );
  return (result.rowCount ?? 0) > 0;
}

const occurredAt = (event: RecordedEvent) => String((event.metadata as { occurredAt?: string }).occurredAt ?? event.recordedAt.toISOString());

async function evolveUser(client: PoolClient, t: (name: Table) => string, event: RecordedEvent & UserEvent): Promise<void> {
  const at = occurredAt(event);
  switch (event.type) {
    case 'UserProvisioned': {
      const { userId, attributes, active, accountId, linkedExistingAccount } = event.data;
      const inserted = await client.query(
        `INSERT INTO ${t('users')} (id, revision, user_name, external_id, display_name, active, account_id, attributes, created, last_modified)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $9) ON CONFLICT (id) DO NOTHING`,
        [userId, event.revision, attributes.userName, attributes.externalId ?? null, attributes.displayName ?? null, active, accountId, attributes, at],
      );
      if (!inserted.rowCount) return;
      if (linkedExistingAccount) {
        await client.query(`UPDATE ${t('accounts')} SET scim_user_id = $2, scim_active = $3, suspended = false WHERE id = $1`, [accountId, userId, active]);
      } else {
        await client.query(
          `INSERT INTO ${t('accounts')} (id, email, username, source, scim_user_id, scim_active, registered)
           VALUES ($1, $2, $3, 'scim', $4, $5, $6) ON CONFLICT (id) DO NOTHING`,
          [accountId, primaryEmail(attributes) ?? '', attributes.userName, userId, active, at],
        );
      }
      return;
    }
    case 'UserAttributesChanged': {
      const { userId, set, unset } = event.data;
      // The derived columns are recomputed from the merged document in the same statement.
      await client.query(
        `WITH merged AS (SELECT id, (attributes || $4::jsonb) - $5::text[] AS doc FROM ${t('users')} WHERE id = $1 AND revision < $2)
         UPDATE ${t('users')} u SET revision = $2, last_modified = $3, attributes = m.doc,
                user_name = m.doc->>'userName', external_id = m.doc->>'externalId', display_name = m.doc->>'displayName'
           FROM merged m WHERE u.id = m.id`,
        [userId, event.revision, at, set, [...unset]],
      );
      return;
    }
    case 'UserDeactivated':
    case 'UserReactivated': {
      const active = event.type === 'UserReactivated';
      if (await advance(client, t, 'users', event.data.userId, event, `, active = ${active}`)) {
        await client.query(`UPDATE ${t('accounts')} SET scim_active = $2 WHERE scim_user_id = $1`, [event.data.userId, active]);
      }
      return;
    }
    case 'UserDeleted': {
      const { userId, accountId } = event.data;
      if (!(await advance(client, t, 'users', userId, event, ', deleted = true, active = false'))) return;
      await client.query(`DELETE FROM ${t('group_members')} WHERE user_id = $1`, [userId]);
      await client.query(`UPDATE ${t('accounts')} SET suspended = true, scim_active = false, scim_user_id = NULL WHERE id = $1`, [accountId]);
      return;
    }
    default:
      return;
  }
}

async function evolveGroup(client: PoolClient, t: (name: Table) => string, event: RecordedEvent & GroupEvent): Promise<void> {
  const at = occurredAt(event);
  switch (event.type) {
    case 'GroupCreated': {
      const { groupId, displayName, externalId, memberIds } = event.data;
      const inserted = await client.query(
        `INSERT INTO ${t('groups')} (id, revision, display_name, external_id, created, last_modified) VALUES ($1, $2, $3, $4, $5, $5) ON CONFLICT (id) DO NOTHING`,
        [groupId, event.revision, displayName, externalId ?? null, at],
      );
      if (inserted.rowCount) await addMembers(client, t, groupId, memberIds);
      return;
    }
    case 'GroupRenamed':
      await client.query(`UPDATE ${t('groups')} SET revision = $2, last_modified = $3, display_name = $4 WHERE id = $1 AND revision < $2`, [
        event.data.groupId,
        event.revision,
        at,
        event.data.displayName,
      ]);
      return;
    case 'GroupExternalIdChanged':
      await client.query(`UPDATE ${t('groups')} SET revision = $2, last_modified = $3, external_id = $4 WHERE id = $1 AND revision < $2`, [
        event.data.groupId,
        event.revision,
        at,
        event.data.externalId,
      ]);
      return;
    case 'GroupMembersAdded':
      if (await advance(client, t, 'groups', event.data.groupId, event)) await addMembers(client, t, event.data.groupId, event.data.memberIds);
      return;
    case 'GroupMembersRemoved':
      if (await advance(client, t, 'groups', event.data.groupId, event)) {
        await client.query(`DELETE FROM ${t('group_members')} WHERE group_id = $1 AND user_id = ANY($2::uuid[])`, [event.data.groupId, event.data.memberIds]);
      }
      return;
    case 'GroupMembersReplaced':
      if (await advance(client, t, 'groups', event.data.groupId, event)) {
        // Only the rows that differ are written: replacing 1,000 members with 10 changed touches about 10 rows.
        await client.query(`DELETE FROM ${t('group_members')} WHERE group_id = $1 AND NOT (user_id = ANY($2::uuid[]))`, [event.data.groupId, event.data.memberIds]);
        await addMembers(client, t, event.data.groupId, event.data.memberIds);
      }
      return;
    case 'GroupDeleted':
      if (await advance(client, t, 'groups', event.data.groupId, event, ', deleted = true')) {
        await client.query(`DELETE FROM ${t('group_members')} WHERE group_id = $1`, [event.data.groupId]);
      }
      return;
    default:
      return;
  }
}

async function addMembers(client: PoolClient, t: (name: Table) => string, groupId: string, memberIds: readonly string[]): Promise<void> {
  if (memberIds.length === 0) return;
  await client.query(
    `INSERT INTO ${t('group_members')} (group_id, user_id) SELECT $1, unnest($2::uuid[]) ON CONFLICT DO NOTHING`,
    [groupId, memberIds],
  );
}

async function evolveAccount(client: PoolClient, t: (name: Table) => string, event: RecordedEvent & AccountEvent): Promise<void> {
  if (event.type !== 'AccountRegistered') return;
  const { accountId, email, username, displayName } = event.data;
  await client.query(
    `INSERT INTO ${t('accounts')} (id, email, username, display_name, source, registered) VALUES ($1, $2, $3, $4, 'imported', $5) ON CONFLICT (id) DO NOTHING`,
    [accountId, email, username, displayName ?? null, occurredAt(event)],
  );
}

/** Users, groups, memberships and platform accounts: everything SCIM GETs answer from. */
export const scimProjection: Projection = {
  name: 'scim',
  version: 1,
  createTables: scimTablesSql,
  canHandle: (event) => HANDLED.has(event.type),
  async evolve(client, event, schema) {
    const t = (name: Table) => `"${schema}".${name}`;
    if (event.streamId.startsWith('user-')) return evolveUser(client, t, event as RecordedEvent & UserEvent);
    if (event.streamId.startsWith('group-')) return evolveGroup(client, t, event as RecordedEvent & GroupEvent);
    if (event.streamId.startsWith('account-')) return evolveAccount(client, t, event as RecordedEvent & AccountEvent);
  },
};
