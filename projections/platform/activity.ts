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

type NameKind = 'users' | 'groups' | 'teams' | 'tokens';

const NAME_COLUMNS: Record<NameKind, string> = { users: 'user_name', groups: 'display_name', teams: 'name', tokens: 'description' };
/** The data fields that name an aggregate of each kind, in the events this feed summarises. */
const ID_FIELDS: Record<NameKind, readonly string[]> = { users: ['userId'], groups: ['groupId', 'previousGroupId'], teams: ['teamId'], tokens: ['tokenId'] };

/**
 * The names a batch of events mentions, read from the tables once, then kept as each event of the
 * batch renames or creates what it names: the summaries of a whole batch cost one query.
 */
export class Names {
  private readonly known = new Map<string, string>();

  /** Reads the current names of every user, group, team and token the events mention. */
  static async prefetch(client: PoolClient, t: TableIn, events: readonly RecordedEvent[]): Promise<Names> {
    const names = new Names();
    const wanted: Record<NameKind, Set<string>> = { users: new Set(), groups: new Set(), teams: new Set(), tokens: new Set() };
    for (const event of events) {
      const d = data(event);
      for (const kind of Object.keys(ID_FIELDS) as NameKind[]) {
        for (const field of ID_FIELDS[kind]) {
          const id = text(d[field]);
          // users and groups are keyed by uuid: anything else names none of them (and must not be queried).
          if (id && ((kind !== 'users' && kind !== 'groups') || UUID.test(id))) wanted[kind].add(id);
        }
      }
    }
    const parts: string[] = [];
    const params: unknown[] = [];
    for (const kind of Object.keys(wanted) as NameKind[]) {
      if (wanted[kind].size === 0) continue;
      params.push([...wanted[kind]]);
      const cast = kind === 'users' || kind === 'groups' ? '::uuid[]' : '::text[]';
      parts.push(`SELECT '${kind}' AS kind, id::text AS id, ${NAME_COLUMNS[kind]} AS name FROM ${t(kind)} WHERE id = ANY($${params.length}${cast})`);
    }
    if (parts.length > 0) {
      const { rows } = await client.query<{ kind: NameKind; id: string; name: string }>(parts.join(' UNION ALL '), params);
      for (const r of rows) names.known.set(`${r.kind}:${r.id}`, r.name);
    }
    return names;
  }

  name(kind: NameKind, id: string): string | undefined {
    return this.known.get(`${kind}:${id}`);
  }

  /** What the event named or renamed, for the summaries of the events after it. */
  note(event: RecordedEvent): void {
    const d = data(event);
    const set = (kind: NameKind, id: string, name: unknown) => {
      if (typeof name === 'string' && id) this.known.set(`${kind}:${id}`, name);
    };
    switch (event.type) {
      case 'UserProvisioned':
        set('users', str(event, 'userId'), ((d.attributes ?? {}) as Record<string, unknown>).userName);
        return;
      case 'UserAttributesChanged':
        set('users', str(event, 'userId'), ((d.set ?? {}) as Record<string, unknown>).userName);
        return;
      case 'GroupCreated':
      case 'GroupRenamed':
        set('groups', str(event, 'groupId'), d.displayName);
        return;
      case 'TeamCreated':
        set('teams', str(event, 'teamId'), d.name);
        return;
      case 'ScimTokenCreated':
        set('tokens', str(event, 'tokenId'), d.description);
        return;
      default:
        return;
    }
  }
}

/**
 * A short sentence for the activity feed, from the event and the names as they stood before the
 * event (so a rename reads "from → to"). Never a secret: token events carry none.
 */
export function summarise(event: RecordedEvent, names: Names): string {
  const lookup = (kind: NameKind, id: string): string => shown(names.name(kind, id) ?? (id || '?'));
  const user = () => lookup('users', str(event, 'userId'));
  const group = (name = 'groupId') => lookup('groups', str(event, name));
  const team = () => lookup('teams', str(event, 'teamId'));
  // A token's description is optional: one without is named by its id.
  const named = (description: string) => (description ? `"${description}"` : str(event, 'tokenId'));
  const token = () => named(names.name('tokens', str(event, 'tokenId')) ?? str(event, 'tokenId'));
  const d = data(event);

  switch (event.type) {
    case 'UserProvisioned':
    case 'AccountRegistered':
      return summariseSync(event);
    case 'UserAttributesChanged': {
      const names = [...Object.keys((d.set ?? {}) as object), ...(Array.isArray(d.unset) ? d.unset.map(String) : [])];
      const listed = names.length > 4 ? `${names.slice(0, 4).join(', ')} and ${names.length - 4} more` : names.join(', ');
      return `user ${user()}: ${listed} changed`;
    }
    case 'UserDeactivated':
      return `user ${user()} deactivated`;
    case 'UserReactivated':
      return `user ${user()} reactivated`;
    case 'UserDeleted':
      return d.reason === 'scim-disabled' ? `user ${user()} removed (SCIM disabled; account kept)` : `user ${user()} deleted`;
    case 'GroupCreated':
      return `group ${shown(str(event, 'displayName'))} created with ${plural(ids(event, 'memberIds'), 'member')}`;
    case 'GroupRenamed':
      return `group ${group()} renamed to ${shown(str(event, 'displayName'))}`;
    case 'GroupExternalIdChanged':
      return `group ${group()}: externalId ${d.externalId === null ? 'cleared' : 'changed'}`;
    case 'GroupMembersAdded':
      return `group ${group()}: ${plural(ids(event, 'memberIds'), 'member')} added`;
    case 'GroupMembersRemoved':
      return `group ${group()}: ${plural(ids(event, 'memberIds'), 'member')} removed`;
    case 'GroupMembersReplaced':
      return `group ${group()}: members replaced (now ${ids(event, 'memberIds')})`;
    case 'GroupDeleted':
      return `group ${group()} deleted`;
    case 'TeamCreated':
      return `team ${shown(str(event, 'name'))} created`;
    case 'TeamLinkedToScimGroup':
      return `team ${team()} linked to group ${group()}`;
    case 'TeamUnlinkedFromScimGroup': {
      const why = d.reason === 'group-deleted' ? ' (group deleted)' : d.reason === 'scim-disabled' ? ' (SCIM disabled)' : '';
      return `team ${team()} unlinked from group ${group()}${why}`;
    }
    case 'TeamLinkPaused':
      return `team ${team()}: link to group ${group()} paused`;
    case 'TeamLinkResumed':
      return `team ${team()}: link to group ${group()} resumed`;
    case 'ScimEnabled':
      return 'SCIM enabled';
    case 'ScimPaused':
      return 'SCIM paused';
    case 'ScimResumed':
      return 'SCIM resumed';
    case 'ScimDisabled':
      return 'SCIM disabled';
    case 'SiteAdminGroupSet':
      return `site-admin group set to ${group()}`;
    case 'SiteAdminGroupCleared':
      return `site-admin group ${group('previousGroupId')} cleared`;
    case 'ScimTokenCreated':
      return `token ${named(shown(str(event, 'description')))} created, expires ${str(event, 'expiresAt').slice(0, 10)}`;
    case 'ScimTokenRevoked':
      return `token ${token()} revoked${d.reason === 'scim-disabled' ? ' (SCIM disabled)' : ''}`;
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
