import type { PoolClient } from 'pg';
import type { RecordedEvent } from '../../shared/eventstore/port';
import type { TableIn } from './tables';

const MAX_NAME = 80;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** A client-chosen name, quoted where it could be mistaken for the sentence around it, and bounded. */
const shown = (name: string) => (name.length > MAX_NAME ? `${name.slice(0, MAX_NAME - 1)}…` : name);
const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`;

interface Metadata {
  readonly occurredAt?: unknown;
  readonly requestId?: unknown;
  readonly actor?: { readonly kind?: unknown; readonly id?: unknown };
}

const text = (value: unknown): string | null => (typeof value === 'string' ? value : null);
const data = (event: RecordedEvent) => event.data as Record<string, unknown>;
const str = (event: RecordedEvent, name: string) => text(data(event)[name]) ?? '';
const ids = (event: RecordedEvent, name: string) => {
  const value = data(event)[name];
  return Array.isArray(value) ? value.length : 0;
};

/**
 * A short sentence for the activity feed, from the event and the read model as it stood before
 * the event (so a rename reads "from → to"). Never a secret: token events carry none.
 */
async function summarise(client: PoolClient, t: TableIn, event: RecordedEvent): Promise<string> {
  const lookup = async (table: 'users' | 'groups' | 'teams' | 'tokens', column: string, id: string): Promise<string> => {
    // users and groups are keyed by uuid: anything else names none of them (and must not throw).
    if (id === '' || ((table === 'users' || table === 'groups') && !UUID.test(id))) return shown(id || '?');
    const { rows } = await client.query<{ name: string }>(`SELECT ${column} AS name FROM ${t(table)} WHERE id = $1`, [id]);
    return shown(rows[0]?.name ?? id);
  };
  const user = () => lookup('users', 'user_name', str(event, 'userId'));
  const group = (name = 'groupId') => lookup('groups', 'display_name', str(event, name));
  const team = () => lookup('teams', 'name', str(event, 'teamId'));
  // A token's description is optional: one without is named by its id.
  const named = (description: string) => (description ? `"${description}"` : str(event, 'tokenId'));
  const token = async () => named(await lookup('tokens', 'description', str(event, 'tokenId')));
  const d = data(event);

  switch (event.type) {
    case 'UserProvisioned':
    case 'AccountRegistered':
      return summariseSync(event);
    case 'UserAttributesChanged': {
      const names = [...Object.keys((d.set ?? {}) as object), ...(Array.isArray(d.unset) ? d.unset.map(String) : [])];
      const listed = names.length > 4 ? `${names.slice(0, 4).join(', ')} and ${names.length - 4} more` : names.join(', ');
      return `user ${await user()}: ${listed} changed`;
    }
    case 'UserDeactivated':
      return `user ${await user()} deactivated`;
    case 'UserReactivated':
      return `user ${await user()} reactivated`;
    case 'UserDeleted':
      return d.reason === 'scim-disabled' ? `user ${await user()} removed (SCIM disabled; account kept)` : `user ${await user()} deleted`;
    case 'GroupCreated':
      return `group ${shown(str(event, 'displayName'))} created with ${plural(ids(event, 'memberIds'), 'member')}`;
    case 'GroupRenamed':
      return `group ${await group()} renamed to ${shown(str(event, 'displayName'))}`;
    case 'GroupExternalIdChanged':
      return `group ${await group()}: externalId ${d.externalId === null ? 'cleared' : 'changed'}`;
    case 'GroupMembersAdded':
      return `group ${await group()}: ${plural(ids(event, 'memberIds'), 'member')} added`;
    case 'GroupMembersRemoved':
      return `group ${await group()}: ${plural(ids(event, 'memberIds'), 'member')} removed`;
    case 'GroupMembersReplaced':
      return `group ${await group()}: members replaced (now ${ids(event, 'memberIds')})`;
    case 'GroupDeleted':
      return `group ${await group()} deleted`;
    case 'TeamCreated':
      return `team ${shown(str(event, 'name'))} created`;
    case 'TeamLinkedToScimGroup':
      return `team ${await team()} linked to group ${await group()}`;
    case 'TeamUnlinkedFromScimGroup': {
      const why = d.reason === 'group-deleted' ? ' (group deleted)' : d.reason === 'scim-disabled' ? ' (SCIM disabled)' : '';
      return `team ${await team()} unlinked from group ${await group()}${why}`;
    }
    case 'TeamLinkPaused':
      return `team ${await team()}: link to group ${await group()} paused`;
    case 'TeamLinkResumed':
      return `team ${await team()}: link to group ${await group()} resumed`;
    case 'ScimEnabled':
      return 'SCIM enabled';
    case 'ScimPaused':
      return 'SCIM paused';
    case 'ScimResumed':
      return 'SCIM resumed';
    case 'ScimDisabled':
      return 'SCIM disabled';
    case 'SiteAdminGroupSet':
      return `site-admin group set to ${await group()}`;
    case 'SiteAdminGroupCleared':
      return `site-admin group ${await group('previousGroupId')} cleared`;
    case 'ScimTokenCreated':
      return `token ${named(shown(str(event, 'description')))} created, expires ${str(event, 'expiresAt').slice(0, 10)}`;
    case 'ScimTokenRevoked':
      return `token ${await token()} revoked${d.reason === 'scim-disabled' ? ' (SCIM disabled)' : ''}`;
    default:
      return `${event.type} on ${event.streamId}`;
  }
}

/** An activity row, as the activity table holds it. */
export interface ActivityRow {
  readonly position_commit: string;
  readonly position_prepare: string;
  readonly event_id: string;
  readonly occurred_at: string;
  readonly event_type: string;
  readonly stream_id: string;
  readonly actor_kind: string | null;
  readonly actor_id: string | null;
  readonly request_id: string | null;
  readonly summary: string;
}

export function activityRow(event: RecordedEvent, summary: string): ActivityRow {
  const metadata = event.metadata as Metadata;
  return {
    position_commit: event.position.commit.toString(),
    position_prepare: event.position.prepare.toString(),
    event_id: event.id,
    occurred_at: text(metadata.occurredAt) ?? event.recordedAt.toISOString(),
    event_type: event.type,
    stream_id: event.streamId,
    actor_kind: text(metadata.actor?.kind),
    actor_id: text(metadata.actor?.id),
    request_id: text(metadata.requestId),
    summary,
  };
}

/**
 * The summary of an event that names only what the event itself carries (a provisioning, a
 * registration), so it needs no read of the tables; undefined for every other event.
 */
export function summaryFromEventAlone(event: RecordedEvent): string | undefined {
  if (event.type !== 'UserProvisioned' && event.type !== 'AccountRegistered') return undefined;
  // summarise() reads no table for these two.
  return summariseSync(event);
}

function summariseSync(event: RecordedEvent): string {
  const d = data(event);
  if (event.type === 'AccountRegistered') return `account ${shown(str(event, 'username'))} registered`;
  const attributes = (d.attributes ?? {}) as Record<string, unknown>;
  const notes = [d.active === false ? 'suspended' : '', d.linkedExistingAccount === true ? 'linked to an existing account' : ''].filter(Boolean);
  return `user ${shown(text(attributes.userName) ?? '?')} provisioned${notes.length ? ` (${notes.join(', ')})` : ''}`;
}

/** Activity rows, many per statement; a row already recorded (same position) is left alone. */
export async function insertActivity(client: PoolClient, t: TableIn, rows: readonly ActivityRow[]): Promise<void> {
  if (rows.length === 0) return;
  await client.query(
    `INSERT INTO ${t('activity')} (position_commit, position_prepare, event_id, occurred_at, event_type, stream_id, actor_kind, actor_id, request_id, summary)
     SELECT * FROM jsonb_to_recordset($1::jsonb) AS r(position_commit bigint, position_prepare bigint, event_id text, occurred_at timestamptz,
       event_type text, stream_id text, actor_kind text, actor_id text, request_id text, summary text)
     ON CONFLICT (position_commit, position_prepare) DO NOTHING`,
    [JSON.stringify(rows)],
  );
}

/** One activity row per event, keyed by its position: a redelivered event adds nothing. */
export async function recordActivity(client: PoolClient, t: TableIn, event: RecordedEvent): Promise<void> {
  await insertActivity(client, t, [activityRow(event, await summarise(client, t, event))]);
}
