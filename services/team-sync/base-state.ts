import type { PoolClient } from '../../shared/db/pool';
import { parseEnvelopePosition } from '../../shared/events/position';
import type { TeamSyncEvent } from './contracts';
import type { TableIn } from './schema';

/**
 * Applies one event to team-sync's base state. Each stream's events arrive in order (one Kafka
 * partition per stream), but streams interleave in any order, so nothing here reads another
 * aggregate's rows: every row is a fact of the event's own stream, stamped with the event's global
 * position. view.ts combines them at read time.
 */

const PREPARE_LIMIT = 1n << 64n;

/** The envelope's `<commit>/<prepare>` as one number that sorts as the positions do (commit first), in decimal. */
export function positionKey(position: string): string {
  const { commit, prepare } = parseEnvelopePosition(position);
  if (prepare >= PREPARE_LIMIT) throw new Error(`position ${position}: prepare part beyond 64 bits`);
  return (commit * PREPARE_LIMIT + prepare).toString();
}

/**
 * Records `revision` as the stream's latest and says whether it is newer than what was applied:
 * a redelivered event (a duplicate, or a replay after the offsets moved back) changes nothing.
 */
export async function claimRevision(client: PoolClient, t: TableIn, streamId: string, revision: bigint): Promise<boolean> {
  const { rowCount } = await client.query(
    `INSERT INTO ${t('streams')} AS s (stream_id, revision) VALUES ($1, $2)
     ON CONFLICT (stream_id) DO UPDATE SET revision = EXCLUDED.revision WHERE s.revision < EXCLUDED.revision`,
    [streamId, revision.toString()],
  );
  return rowCount === 1;
}

export async function applyEvent(client: PoolClient, t: TableIn, event: TeamSyncEvent): Promise<void> {
  const at = positionKey(event.position);
  const userState = (userId: string, active: boolean, deleted: boolean, revokes: boolean) =>
    client.query(`INSERT INTO ${t('user_states')} (user_id, position, active, deleted, revokes) VALUES ($1, $2, $3, $4, $5) ON CONFLICT DO NOTHING`, [
      userId,
      at,
      active,
      deleted,
      revokes,
    ]);
  const accountUsername = (accountId: string, username: string) =>
    // The read model inserts an account once (ON CONFLICT DO NOTHING), so the earliest name wins.
    client.query(
      `INSERT INTO ${t('account_usernames')} AS a (account_id, username, position) VALUES ($1, $2, $3)
       ON CONFLICT (account_id) DO UPDATE SET username = EXCLUDED.username, position = EXCLUDED.position WHERE a.position > EXCLUDED.position`,
      [accountId, username, at],
    );
  const openMemberships = (groupId: string, userIds: readonly string[]) =>
    client.query(
      `INSERT INTO ${t('memberships')} (group_id, user_id, added_at)
       SELECT $1, u.id, $3 FROM (SELECT DISTINCT unnest($2::uuid[]) AS id) u
        WHERE NOT EXISTS (SELECT 1 FROM ${t('memberships')} m WHERE m.group_id = $1 AND m.user_id = u.id AND m.removed_at IS NULL)
       ON CONFLICT DO NOTHING`,
      [groupId, userIds, at],
    );
  const closeMemberships = (groupId: string, where: string, params: unknown[] = []) =>
    client.query(`UPDATE ${t('memberships')} SET removed_at = $2 WHERE group_id = $1 AND removed_at IS NULL ${where}`, [groupId, at, ...params]);
  const updateTeam = (teamId: string, set: string, params: unknown[] = []) =>
    client.query(`UPDATE ${t('teams')} SET ${set} WHERE id = $1`, [teamId, at, ...params]);
  const freezeSiteAdmins = () =>
    client.query(`UPDATE ${t('settings')} SET site_admin_group_id = NULL, sa_frozen_at = COALESCE(sa_frozen_at, $1) WHERE sa_group_id IS NOT NULL`, [at]);

  switch (event.type) {
    case 'UserProvisioned': {
      const { userId, accountId, active, attributes, linkedExistingAccount } = event.data;
      await client.query(`INSERT INTO ${t('users')} (id, account_id) VALUES ($1, $2) ON CONFLICT DO NOTHING`, [userId, accountId]);
      await userState(userId, active, false, false);
      // A linked account keeps the username it was registered with.
      if (!linkedExistingAccount) await accountUsername(accountId, attributes.userName);
      return;
    }
    case 'UserDeactivated':
      await userState(event.data.userId, false, false, true);
      return;
    case 'UserReactivated':
      await userState(event.data.userId, true, false, false);
      return;
    case 'UserDeleted':
      // Disabling SCIM keeps admin grants; deleting one identity takes its grant away.
      await userState(event.data.userId, false, true, event.data.reason !== 'scim-disabled');
      return;
    case 'AccountRegistered':
      await accountUsername(event.data.accountId, event.data.username);
      return;

    case 'GroupCreated':
      await client.query(`INSERT INTO ${t('groups')} (id) VALUES ($1) ON CONFLICT DO NOTHING`, [event.data.groupId]);
      await openMemberships(event.data.groupId, event.data.memberIds);
      return;
    case 'GroupMembersAdded':
      await openMemberships(event.data.groupId, event.data.memberIds);
      return;
    case 'GroupMembersRemoved':
      await closeMemberships(event.data.groupId, 'AND user_id = ANY($3::uuid[])', [event.data.memberIds]);
      return;
    case 'GroupMembersReplaced':
      await closeMemberships(event.data.groupId, 'AND NOT (user_id = ANY($3::uuid[]))', [event.data.memberIds]);
      await openMemberships(event.data.groupId, event.data.memberIds);
      return;
    case 'GroupDeleted':
      await closeMemberships(event.data.groupId, '');
      await client.query(`INSERT INTO ${t('groups')} (id, deleted_at) VALUES ($1, $2) ON CONFLICT (id) DO UPDATE SET deleted_at = EXCLUDED.deleted_at`, [
        event.data.groupId,
        at,
      ]);
      return;

    case 'TeamCreated': {
      const { teamId, name, isOwners, serviceAccounts } = event.data;
      const created = await client.query(`INSERT INTO ${t('teams')} (id, name, is_owners) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING`, [teamId, name, isOwners]);
      if (created.rowCount && serviceAccounts.length > 0) {
        await client.query(
          `INSERT INTO ${t('team_service_accounts')} (team_id, account_id, name)
           SELECT $1, s.id, s.name FROM unnest($2::uuid[], $3::text[]) AS s(id, name) ON CONFLICT DO NOTHING`,
          [teamId, serviceAccounts.map((a) => a.id), serviceAccounts.map((a) => a.name)],
        );
      }
      return;
    }
    case 'TeamLinkedToScimGroup':
      await updateTeam(event.data.teamId, 'group_id = $3, linked = true, paused = false, live_since = $2, frozen_at = NULL', [event.data.groupId]);
      return;
    case 'TeamLinkPaused':
      await updateTeam(event.data.teamId, 'paused = true, frozen_at = COALESCE(frozen_at, $2)');
      return;
    case 'TeamLinkResumed':
      await updateTeam(event.data.teamId, 'paused = false, live_since = $2, frozen_at = NULL');
      return;
    case 'TeamUnlinkedFromScimGroup':
      // The members stay as they were when the team stopped following (a pause may have stopped it earlier).
      await updateTeam(event.data.teamId, 'linked = false, paused = false, frozen_at = COALESCE(frozen_at, $2)');
      return;

    case 'SiteAdminGroupSet':
      await client.query(`UPDATE ${t('settings')} SET site_admin_group_id = $1, sa_group_id = $1, sa_since = $2, sa_frozen_at = NULL`, [event.data.groupId, at]);
      return;
    case 'SiteAdminGroupCleared':
    case 'ScimDisabled':
      await freezeSiteAdmins();
      return;

    case 'UserAttributesChanged': // an account's username never follows its identity's userName
    case 'GroupRenamed':
    case 'GroupExternalIdChanged':
    case 'ScimEnabled':
    case 'ScimPaused':
    case 'ScimResumed':
    case 'ScimTokenCreated':
    case 'ScimTokenRevoked':
      return;
    default: {
      const _never: never = event;
      void _never;
    }
  }
}
