import type { PoolClient } from 'pg';
import type { RecordedEvent } from '../../shared/eventstore/port';
import type { TableIn } from './tables';

/** What a name is of, and which attribute it was. */
type Named = { readonly kind: 'user' | 'group' | 'team'; readonly id: string; readonly attribute: string; readonly name: string };

const text = (value: unknown): string | undefined => (typeof value === 'string' && value !== '' ? value : undefined);

/** The names an event gives a user, group or team: userName and externalId, displayName and externalId, a team's name. */
function namesIn(event: RecordedEvent): Named[] {
  const d = event.data as Record<string, unknown>;
  const found: Named[] = [];
  const add = (kind: Named['kind'], id: unknown, attribute: string, value: unknown) => {
    const name = text(value);
    if (name !== undefined && typeof id === 'string') found.push({ kind, id, attribute, name });
  };
  switch (event.type) {
    case 'UserProvisioned':
    case 'UserAttributesChanged': {
      const attributes = (event.type === 'UserProvisioned' ? d.attributes : d.set) as Record<string, unknown> | undefined;
      add('user', d.userId, 'userName', attributes?.userName);
      add('user', d.userId, 'externalId', attributes?.externalId);
      break;
    }
    case 'GroupCreated':
    case 'GroupRenamed':
      add('group', d.groupId, 'displayName', d.displayName);
      if (event.type === 'GroupCreated') add('group', d.groupId, 'externalId', d.externalId);
      break;
    case 'GroupExternalIdChanged':
      add('group', d.groupId, 'externalId', d.externalId);
      break;
    case 'TeamCreated':
      add('team', d.teamId, 'name', d.name);
      break;
    default:
      break;
  }
  return found;
}

/**
 * Every name a user, group or team ever had (subject_names), for the settings page's audit search:
 * a name an aggregate had in the past still finds it. A name is recorded once, with the time of the
 * first event that gave it (one statement per batch); a redelivered event adds nothing.
 */
export async function recordNames(client: PoolClient, t: TableIn, events: readonly RecordedEvent[]): Promise<void> {
  const rows = new Map<string, { kind: string; subject_id: string; attribute: string; name: string; first_seen: string }>();
  for (const event of events) {
    for (const n of namesIn(event)) {
      const key = JSON.stringify([n.kind, n.id, n.attribute, n.name]);
      if (!rows.has(key)) rows.set(key, { kind: n.kind, subject_id: n.id, attribute: n.attribute, name: n.name, first_seen: occurredAt(event) });
    }
  }
  if (rows.size === 0) return;
  await client.query(
    `INSERT INTO ${t('subject_names')} (kind, subject_id, attribute, name, first_seen)
     SELECT kind, subject_id, attribute, name, first_seen
       FROM jsonb_to_recordset($1::jsonb) AS r(kind text, subject_id text, attribute text, name text, first_seen timestamptz)
     ON CONFLICT DO NOTHING`,
    [JSON.stringify([...rows.values()])],
  );
}

function occurredAt(event: RecordedEvent): string {
  const value = event.metadata.occurredAt;
  return typeof value === 'string' ? value : event.recordedAt.toISOString();
}
