import type { PoolClient } from '../../shared/db/pool';
import { parseEnvelopePosition } from '../../shared/events/position';
import type { ParsedTeamSyncEvent, TeamSyncEvent } from './contracts';
import type { TableIn } from './schema';

/**
 * Applies events to team-sync's base state. Each stream's events arrive in order (one Kafka
 * partition per stream), but streams interleave in any order, so nothing here reads another
 * aggregate's rows: every row is a fact of the event's own stream, stamped with the event's global
 * position. view.ts combines them at read time.
 *
 * A chunk of events is applied in one transaction with as few round trips as its events allow:
 * the streams' revisions are read once, rows whose outcome does not depend on order (a user's
 * row, its status changes keyed by position, an account's earliest username) are gathered and
 * written in one statement each at the end, and only what depends on the order of a stream's
 * events (membership intervals, a team's link state, the site-admin group) is written event by
 * event. A catch-up after a Kafka outage is mostly user events: one statement per event each was
 * what kept team-sync from draining its backlog beside a saturated API.
 */

const PREPARE_LIMIT = 1n << 64n;

/** The envelope's `<commit>/<prepare>` as one number that sorts as the positions do (commit first), in decimal. */
export function positionKey(position: string): string {
  const { commit, prepare } = parseEnvelopePosition(position);
  if (prepare >= PREPARE_LIMIT) throw new Error(`position ${position}: prepare part beyond 64 bits`);
  return (commit * PREPARE_LIMIT + prepare).toString();
}

/** What became of one event in a chunk. */
export type ChunkEventOutcome =
  /** Applied to the base state. */
  | 'applied'
  /** Its stream's revision was applied already: a redelivery, nothing changes. */
  | 'duplicate'
  /** A well-formed event of a type or version team-sync does not know: its revision counts, nothing else changes. */
  | 'unknown';

/**
 * One transaction's worth of events. Call `apply` for each event in delivery order, then `flush`
 * once, inside the same transaction: until `flush` some writes are only gathered.
 */
export interface BaseStateChunk {
  apply(event: ParsedTeamSyncEvent): Promise<ChunkEventOutcome>;
  /** Writes what was gathered and the streams' new revisions (one statement; none when nothing was new). */
  flush(): Promise<void>;
}

/**
 * Opens a chunk on `client` (inside a transaction) for events of `streamIds` (every stream the
 * chunk may apply; reading their revisions is the chunk's first round trip). The caller serialises
 * chunks per stream: team-sync holds its partition's offsets row FOR UPDATE, and a stream lives on
 * one partition. Revisions are stored only forward, so a stale chunk cannot move one back.
 */
export async function openBaseStateChunk(client: PoolClient, t: TableIn, streamIds: readonly string[]): Promise<BaseStateChunk> {
  const distinctIds = [...new Set(streamIds)];
  const { rows } =
    distinctIds.length === 0
      ? { rows: [] }
      : await client.query<{ stream_id: string; revision: string }>(`SELECT stream_id, revision FROM ${t('streams')} WHERE stream_id = ANY($1::text[])`, [distinctIds]);
  const revisions = new Map(rows.map((r) => [r.stream_id, BigInt(r.revision)]));
  const writes = new GatheredWrites();

  return {
    async apply(event) {
      const stored = revisions.get(event.streamId);
      if (stored !== undefined && stored >= event.revision) return 'duplicate';
      revisions.set(event.streamId, event.revision);
      writes.advanceStream(event.streamId, event.revision);
      if (!event.known) return 'unknown';
      await applyEvent(client, t, event, writes);
      return 'applied';
    },
    flush: () => writes.flush(client, t),
  };
}

/**
 * Rows whose final state does not depend on the order they are written in, and the streams' new
 * revisions: written by one statement per chunk (data-modifying CTEs, each run once whether or not
 * the outer statement reads it; an empty array inserts nothing).
 */
class GatheredWrites {
  private readonly users = new Map<string, string>();
  private readonly userStates: { userId: string; position: string; active: boolean; deleted: boolean; revokes: boolean }[] = [];
  /** Per account, the username with the earliest position: the read model keeps the first name an account had. */
  private readonly usernames = new Map<string, { username: string; position: string }>();
  private readonly streams = new Map<string, bigint>();

  advanceStream(streamId: string, revision: bigint): void {
    this.streams.set(streamId, revision);
  }

  addUser(userId: string, accountId: string): void {
    if (!this.users.has(userId)) this.users.set(userId, accountId);
  }

  addUserState(userId: string, position: string, active: boolean, deleted: boolean, revokes: boolean): void {
    this.userStates.push({ userId, position, active, deleted, revokes });
  }

  addUsername(accountId: string, username: string, position: string): void {
    const known = this.usernames.get(accountId);
    if (!known || BigInt(position) < BigInt(known.position)) this.usernames.set(accountId, { username, position });
  }

  async flush(client: PoolClient, t: TableIn): Promise<void> {
    if (this.streams.size === 0) return; // nothing was applied, so nothing was gathered either
    const states = this.userStates;
    // Sorted: two chunks (partitions) that touch the same accounts or streams lock their rows in one order.
    const accounts = [...this.usernames.keys()].sort();
    const streams = [...this.streams.keys()].sort();
    await client.query(
      `WITH users AS (
         INSERT INTO ${t('users')} (id, account_id) SELECT * FROM unnest($1::uuid[], $2::uuid[]) ON CONFLICT DO NOTHING
       ), states AS (
         INSERT INTO ${t('user_states')} (user_id, position, active, deleted, revokes)
         SELECT * FROM unnest($3::uuid[], $4::numeric[], $5::boolean[], $6::boolean[], $7::boolean[]) ON CONFLICT DO NOTHING
       ), usernames AS (
         INSERT INTO ${t('account_usernames')} AS a (account_id, username, position) SELECT * FROM unnest($8::uuid[], $9::text[], $10::numeric[])
         ON CONFLICT (account_id) DO UPDATE SET username = EXCLUDED.username, position = EXCLUDED.position WHERE a.position > EXCLUDED.position
       )
       INSERT INTO ${t('streams')} AS s (stream_id, revision) SELECT * FROM unnest($11::text[], $12::bigint[])
       ON CONFLICT (stream_id) DO UPDATE SET revision = EXCLUDED.revision WHERE s.revision < EXCLUDED.revision`,
      [
        [...this.users.keys()],
        [...this.users.values()],
        states.map((r) => r.userId),
        states.map((r) => r.position),
        states.map((r) => r.active),
        states.map((r) => r.deleted),
        states.map((r) => r.revokes),
        accounts,
        accounts.map((a) => this.usernames.get(a)!.username),
        accounts.map((a) => this.usernames.get(a)!.position),
        streams,
        streams.map((id) => this.streams.get(id)!.toString()),
      ],
    );
    this.users.clear();
    this.userStates.length = 0;
    this.usernames.clear();
    this.streams.clear();
  }
}

async function applyEvent(client: PoolClient, t: TableIn, event: TeamSyncEvent, writes: GatheredWrites): Promise<void> {
  const at = positionKey(event.position);
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
      writes.addUser(userId, accountId);
      writes.addUserState(userId, at, active, false, false);
      // A linked account keeps the username it was registered with.
      if (!linkedExistingAccount) writes.addUsername(accountId, attributes.userName, at);
      return;
    }
    case 'UserDeactivated':
      writes.addUserState(event.data.userId, at, false, false, true);
      return;
    case 'UserReactivated':
      writes.addUserState(event.data.userId, at, true, false, false);
      return;
    case 'UserDeleted':
      // Disabling SCIM keeps admin grants; deleting one identity takes its grant away.
      writes.addUserState(event.data.userId, at, false, true, event.data.reason !== 'scim-disabled');
      return;
    case 'AccountRegistered':
      writes.addUsername(event.data.accountId, event.data.username, at);
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
