import type { PoolClient } from 'pg';
import type { GroupEvent } from '../../shared/domain/groups/events';
import type { AccountEvent } from '../../shared/domain/accounts/account';
import { SETTINGS_STREAM, type SettingsEvent } from '../../shared/domain/settings/settings';
import type { TeamEvent } from '../../shared/domain/teams/team';
import type { TokenEvent } from '../../shared/domain/tokens/token';
import { primaryEmail } from '../../shared/domain/users/attributes';
import type { UserAttributesChanged, UserEvent, UserProvisioned } from '../../shared/domain/users/events';
import type { RecordedEvent } from '../../shared/eventstore/port';
import { upcastRecordedEvent } from '../../shared/events/upcast';
import { EventApplyError, type Projection } from '../runtime/projection';
import { activityRow, insertActivity, Names, summarise, type ActivityRow } from './activity';
import { recordNames } from './names';
import { membersJoined, membersLeft, reconcileSiteAdmins, reconcileTeam, userWentActive, userWentInactive } from './followers';
import { platformTablesSql, type PlatformTable, type TableIn } from './tables';

/**
 * Advances an aggregate row's revision when the event is newer and says whether it did:
 * every change of an event is applied only then, so a redelivered event changes nothing.
 */
async function advance(client: PoolClient, table: TableIn, kind: 'users' | 'groups', id: string, event: RecordedEvent, extra = ''): Promise<boolean> {
  const result = await client.query(
    `UPDATE ${table(kind)} SET revision = $2, last_modified = $3${extra} WHERE id = $1 AND revision < $2`,
    [id, event.revision, occurredAt(event)],
  );
  return (result.rowCount ?? 0) > 0;
}

const occurredAt = (event: RecordedEvent) => String((event.metadata as { occurredAt?: string }).occurredAt ?? event.recordedAt.toISOString());

async function evolveUser(client: PoolClient, t: TableIn, event: RecordedEvent & UserEvent): Promise<void> {
  const at = occurredAt(event);
  switch (event.type) {
    case 'UserProvisioned': {
      const { userId, attributes, active, accountId, linkedExistingAccount } = event.data;
      const inserted = await client.query(
        `INSERT INTO ${t('users')} (id, revision, user_name, active, account_id, created, last_modified)
         VALUES ($1, $2, $3, $4, $5, $6, $6) ON CONFLICT (id) DO NOTHING`,
        [userId, event.revision, attributes.userName, active, accountId, at],
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
      const { userId, set } = event.data;
      // Only the userName is kept here (summaries and member names); it cannot be unset.
      const userName = typeof set.userName === 'string' ? set.userName : null;
      await client.query(
        `UPDATE ${t('users')} SET revision = $2, last_modified = $3, user_name = coalesce($4, user_name) WHERE id = $1 AND revision < $2`,
        [userId, event.revision, at, userName],
      );
      return;
    }
    case 'UserDeactivated':
    case 'UserReactivated': {
      const active = event.type === 'UserReactivated';
      if (await advance(client, t, 'users', event.data.userId, event, `, active = ${active}`)) {
        await client.query(`UPDATE ${t('accounts')} SET scim_active = $2 WHERE scim_user_id = $1`, [event.data.userId, active]);
        await (active ? userWentActive : userWentInactive)(client, t, event.data.userId, at);
      }
      return;
    }
    case 'UserDeleted': {
      const { userId, accountId, reason } = event.data;
      if (!(await advance(client, t, 'users', userId, event, ', deleted = true, active = false'))) return;
      // Disabling SCIM keeps accounts usable, teams and admin grants as they are; deleting one
      // identity suspends its account and takes it out of its teams and grants.
      if (reason !== 'scim-disabled') await userWentInactive(client, t, userId, at);
      await client.query(`DELETE FROM ${t('group_members')} WHERE user_id = $1`, [userId]);
      await client.query(`UPDATE ${t('accounts')} SET suspended = $2, scim_active = false, scim_user_id = NULL WHERE id = $1`, [accountId, reason !== 'scim-disabled']);
      return;
    }
    default:
      return;
  }
}

async function evolveGroup(client: PoolClient, t: TableIn, event: RecordedEvent & GroupEvent): Promise<void> {
  const at = occurredAt(event);
  switch (event.type) {
    case 'GroupCreated': {
      const { groupId, displayName, externalId, memberIds } = event.data;
      const inserted = await client.query(
        `INSERT INTO ${t('groups')} (id, revision, display_name, external_id, created, last_modified) VALUES ($1, $2, $3, $4, $5, $5) ON CONFLICT (id) DO NOTHING`,
        [groupId, event.revision, displayName, externalId ?? null, at],
      );
      // A new group has no followers yet: no team can link to it, nor can it be the site-admin group.
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
    case 'GroupMembersAdded': {
      const { groupId, memberIds } = event.data;
      if (await advance(client, t, 'groups', groupId, event)) await membersJoined(client, t, groupId, await addMembers(client, t, groupId, memberIds), at);
      return;
    }
    case 'GroupMembersRemoved': {
      const { groupId, memberIds } = event.data;
      if (await advance(client, t, 'groups', groupId, event)) {
        const removed = await client.query<{ user_id: string }>(
          `DELETE FROM ${t('group_members')} WHERE group_id = $1 AND user_id = ANY($2::uuid[]) RETURNING user_id`,
          [groupId, memberIds],
        );
        await membersLeft(client, t, groupId, removed.rows.map((r) => r.user_id), at);
      }
      return;
    }
    case 'GroupMembersReplaced': {
      const { groupId, memberIds } = event.data;
      if (await advance(client, t, 'groups', groupId, event)) {
        // Only the rows that differ are written: replacing 1,000 members with 10 changed touches about 10 rows.
        const removed = await client.query<{ user_id: string }>(
          `DELETE FROM ${t('group_members')} WHERE group_id = $1 AND NOT (user_id = ANY($2::uuid[])) RETURNING user_id`,
          [groupId, memberIds],
        );
        await membersLeft(client, t, groupId, removed.rows.map((r) => r.user_id), at);
        await membersJoined(client, t, groupId, await addMembers(client, t, groupId, memberIds), at);
      }
      return;
    }
    case 'GroupDeleted':
      // Linked teams keep their members (the write side unlinks them); admin grants stay.
      if (await advance(client, t, 'groups', event.data.groupId, event, ', deleted = true')) {
        await client.query(`DELETE FROM ${t('group_members')} WHERE group_id = $1`, [event.data.groupId]);
      }
      return;
    default:
      return;
  }
}

/** Adds the members not there yet and returns them. */
async function addMembers(client: PoolClient, t: TableIn, groupId: string, memberIds: readonly string[]): Promise<string[]> {
  if (memberIds.length === 0) return [];
  const { rows } = await client.query<{ user_id: string }>(
    `INSERT INTO ${t('group_members')} (group_id, user_id) SELECT $1, unnest($2::uuid[]) ON CONFLICT DO NOTHING RETURNING user_id`,
    [groupId, memberIds],
  );
  return rows.map((r) => r.user_id);
}

async function evolveAccount(client: PoolClient, t: TableIn, event: RecordedEvent & AccountEvent): Promise<void> {
  if (event.type !== 'AccountRegistered') return;
  const { accountId, email, username, displayName } = event.data;
  await client.query(
    `INSERT INTO ${t('accounts')} (id, email, username, display_name, source, registered) VALUES ($1, $2, $3, $4, 'imported', $5) ON CONFLICT (id) DO NOTHING`,
    [accountId, email, username, displayName ?? null, occurredAt(event)],
  );
}

async function advanceTeam(client: PoolClient, t: TableIn, teamId: string, event: RecordedEvent, set: string, params: unknown[] = []): Promise<boolean> {
  const result = await client.query(`UPDATE ${t('teams')} SET revision = $2, ${set} WHERE id = $1 AND revision < $2`, [teamId, event.revision, ...params]);
  return (result.rowCount ?? 0) > 0;
}

async function evolveTeam(client: PoolClient, t: TableIn, event: RecordedEvent & TeamEvent): Promise<void> {
  switch (event.type) {
    case 'TeamCreated': {
      const { teamId, name, isOwners, serviceAccounts } = event.data;
      const inserted = await client.query(
        `INSERT INTO ${t('teams')} (id, revision, name, is_owners, created) VALUES ($1, $2, $3, $4, $5) ON CONFLICT (id) DO NOTHING`,
        [teamId, event.revision, name, isOwners, occurredAt(event)],
      );
      if (inserted.rowCount && serviceAccounts.length > 0) {
        await client.query(
          `INSERT INTO ${t('team_members')} (team_id, account_id, kind, username)
           SELECT $1, id, 'service-account', name FROM unnest($2::uuid[], $3::text[]) AS s(id, name)
           ON CONFLICT (team_id, account_id) DO NOTHING`,
          [teamId, serviceAccounts.map((a) => a.id), serviceAccounts.map((a) => a.name)],
        );
      }
      return;
    }
    case 'TeamLinkedToScimGroup': {
      // Linking replaces the human members with the group's active members; service accounts stay.
      const { teamId, groupId } = event.data;
      if (await advanceTeam(client, t, teamId, event, 'scim_group_id = $3, link_paused = false', [groupId])) {
        await reconcileTeam(client, t, teamId, groupId, occurredAt(event), true);
      }
      return;
    }
    case 'TeamUnlinkedFromScimGroup':
      // Members stay as they are.
      await advanceTeam(client, t, event.data.teamId, event, 'scim_group_id = NULL, link_paused = false, scim_updated_at = NULL');
      return;
    case 'TeamLinkPaused':
      await advanceTeam(client, t, event.data.teamId, event, 'link_paused = true');
      return;
    case 'TeamLinkResumed': {
      // Resuming reconciles at once: the changes the pause held back arrive now.
      const { teamId, groupId } = event.data;
      if (await advanceTeam(client, t, teamId, event, 'link_paused = false')) await reconcileTeam(client, t, teamId, groupId, occurredAt(event));
      return;
    }
    default:
      return;
  }
}

async function evolveSettings(client: PoolClient, t: TableIn, event: RecordedEvent & SettingsEvent): Promise<void> {
  const update = async (set: string, params: unknown[] = []) =>
    ((await client.query(`UPDATE ${t('settings')} SET revision = $1, ${set} WHERE revision < $1`, [event.revision, ...params])).rowCount ?? 0) > 0;
  switch (event.type) {
    case 'ScimEnabled':
    case 'ScimResumed':
      await update(`status = 'enabled'`);
      return;
    case 'ScimPaused':
      await update(`status = 'paused'`);
      return;
    case 'ScimDisabled':
      // Admin grants stay; they just stop following a group.
      await update(`status = 'disabled', site_admin_group_id = NULL`);
      return;
    case 'SiteAdminGroupSet':
      // Previous grants that the new group does not hold go; its active members are granted.
      if (await update('site_admin_group_id = $2', [event.data.groupId])) await reconcileSiteAdmins(client, t, event.data.groupId);
      return;
    case 'SiteAdminGroupCleared':
      // Revokes nobody.
      await update('site_admin_group_id = NULL');
      return;
    default:
      return;
  }
}

async function evolveToken(client: PoolClient, t: TableIn, event: RecordedEvent & TokenEvent): Promise<void> {
  switch (event.type) {
    case 'ScimTokenCreated': {
      const { tokenId, description, expiresAt } = event.data;
      await client.query(`INSERT INTO ${t('tokens')} (id, revision, description, expires_at) VALUES ($1, $2, $3, $4) ON CONFLICT (id) DO NOTHING`, [
        tokenId,
        event.revision,
        description,
        expiresAt,
      ]);
      return;
    }
    case 'ScimTokenRevoked':
      await client.query(`UPDATE ${t('tokens')} SET revision = $2, revoked = true WHERE id = $1 AND revision < $2`, [event.data.tokenId, event.revision]);
      return;
    default:
      return;
  }
}

/**
 * The platform side of provisioning: accounts, teams and their effective members, site admins,
 * the settings, tokens, the activity feed and the names the audit search finds resources by,
 * everything the admin API answers from. Who belongs
 * to a team depends on the order of events across streams (a pause freezes the members a link had
 * then), so this projection is applied in log order by the runner, never inline; it keeps its own
 * copy of the users, groups and memberships it follows, as they stood at each event.
 */
export const platformProjection: Projection = {
  name: 'platform',
  // 3: subject_names.
  version: 3,
  createTables: platformTablesSql,
  // Every event is in the activity feed; evolve ignores the ones no table below follows.
  canHandle: () => true,
  async apply(client, recorded, schema) {
    const t: TableIn = (name: PlatformTable) => `"${schema}".${name}`;
    // Older schema versions as the current one describes them (the stored events stay as they are).
    const events = recorded.map((event) => upcastRecordedEvent(event));
    // Every summary of the batch from one read of the names it mentions.
    const names = await Names.prefetch(client, t, events);
    const pending = new PendingWrites();
    for (const event of events) {
      pending.activity.push(activityRow(event, summarise(event, names)));
      names.note(event);
      if (pending.take(event)) continue;
      // An event that reads or changes what earlier ones wrote: they are written first.
      await pending.flushRows(client, t);
      await evolveOne(client, t, event);
    }
    await pending.flushRows(client, t);
    await insertActivity(client, t, pending.activity);
    await recordNames(client, t, events);
  },
};

/** Applies one event's rows; names the event when it fails. */
async function evolveOne(client: PoolClient, t: TableIn, event: RecordedEvent): Promise<void> {
  try {
    const { streamId } = event;
    if (streamId.startsWith('user-')) return await evolveUser(client, t, event as RecordedEvent & UserEvent);
    if (streamId.startsWith('group-')) return await evolveGroup(client, t, event as RecordedEvent & GroupEvent);
    if (streamId.startsWith('account-')) return await evolveAccount(client, t, event as RecordedEvent & AccountEvent);
    if (streamId.startsWith('team-')) return await evolveTeam(client, t, event as RecordedEvent & TeamEvent);
    if (streamId === SETTINGS_STREAM) return await evolveSettings(client, t, event as RecordedEvent & SettingsEvent);
    if (streamId.startsWith('scim-token-')) return await evolveToken(client, t, event as RecordedEvent & TokenEvent);
  } catch (error) {
    throw new EventApplyError(event, error);
  }
}

/**
 * Rows of events that only add rows or set a user's name, and read none (a provisioning that made
 * its own account, an account registration, a change of a user's attributes), gathered so that a
 * run of them is written with one statement per table: what a burst of provisioning and a rebuild
 * mostly consist of. Activity rows of every event are gathered too.
 */
class PendingWrites {
  readonly activity: ActivityRow[] = [];
  private users: unknown[] = [];
  private accounts: unknown[] = [];
  /** Per user: the last revision and time of its attribute changes, and the last userName they set. */
  private renames = new Map<string, { id: string; revision: string; at: string; user_name: string | null }>();

  /** Gathers the event's rows and says so; false for an event that must be applied on its own. */
  take(event: RecordedEvent): boolean {
    const at = occurredAt(event);
    switch (event.type) {
      case 'UserProvisioned': {
        const { userId, attributes, active, accountId, linkedExistingAccount } = (event as RecordedEvent & UserProvisioned).data;
        if (linkedExistingAccount) return false;
        this.users.push({ id: userId, revision: event.revision.toString(), user_name: attributes.userName, active, account_id: accountId, created: at, last_modified: at });
        this.accounts.push({ id: accountId, email: primaryEmail(attributes) ?? '', username: attributes.userName, display_name: null, source: 'scim', scim_user_id: userId, scim_active: active, registered: at });
        return true;
      }
      case 'AccountRegistered': {
        const { accountId, email, username, displayName } = (event as RecordedEvent & AccountEvent).data;
        this.accounts.push({ id: accountId, email, username, display_name: displayName ?? null, source: 'imported', scim_user_id: null, scim_active: false, registered: at });
        return true;
      }
      case 'UserAttributesChanged': {
        const { userId, set } = (event as RecordedEvent & UserAttributesChanged).data;
        const before = this.renames.get(userId);
        const userName = typeof set.userName === 'string' ? set.userName : (before?.user_name ?? null);
        this.renames.set(userId, { id: userId, revision: event.revision.toString(), at, user_name: userName });
        return true;
      }
      default:
        return false;
    }
  }

  /** Writes the gathered rows (not the activity): new users and accounts first, then renames. */
  async flushRows(client: PoolClient, t: TableIn): Promise<void> {
    if (this.users.length > 0) {
      await client.query(
        `INSERT INTO ${t('users')} (id, revision, user_name, active, account_id, created, last_modified)
         SELECT * FROM jsonb_to_recordset($1::jsonb) AS r(id uuid, revision bigint, user_name text, active boolean, account_id uuid, created timestamptz, last_modified timestamptz)
         ON CONFLICT (id) DO NOTHING`,
        [JSON.stringify(this.users)],
      );
    }
    if (this.accounts.length > 0) {
      await client.query(
        `INSERT INTO ${t('accounts')} (id, email, username, display_name, source, scim_user_id, scim_active, registered)
         SELECT * FROM jsonb_to_recordset($1::jsonb) AS r(id uuid, email text, username text, display_name text, source text, scim_user_id uuid, scim_active boolean, registered timestamptz)
         ON CONFLICT (id) DO NOTHING`,
        [JSON.stringify(this.accounts)],
      );
    }
    if (this.renames.size > 0) {
      // Only the userName is kept here (summaries and member names); it cannot be unset.
      await client.query(
        `UPDATE ${t('users')} u SET revision = r.revision, last_modified = r.at, user_name = coalesce(r.user_name, u.user_name)
           FROM jsonb_to_recordset($1::jsonb) AS r(id uuid, revision bigint, at timestamptz, user_name text)
          WHERE u.id = r.id AND u.revision < r.revision`,
        [JSON.stringify([...this.renames.values()])],
      );
    }
    this.users = [];
    this.accounts = [];
    this.renames = new Map();
  }
}
