import { SETTINGS_STREAM } from '../domain/settings/settings';
import { tokenStreamId } from '../domain/tokens/token';
import type { EventStore, RecordedEvent } from '../eventstore/port';
import { ScimError } from '../scim/errors';
import { streamsWithPrefix } from './log';

/** What the audit tool can tell the history of: one aggregate, one stream. */
export type SubjectKind = 'user' | 'group' | 'team' | 'settings' | 'token';

export const SUBJECT_KINDS: readonly SubjectKind[] = ['user', 'group', 'team', 'settings', 'token'];

export interface Subject {
  readonly kind: SubjectKind;
  /** The SCIM id, team id, token id, or `scim-settings`. */
  readonly id: string;
  readonly streamId: string;
  /** Its name now, or last (a deleted resource keeps its last): userName, displayName, team name, token description. */
  readonly name: string;
  /** Every name it had, oldest first, each once (userName and externalId for users). */
  readonly names: readonly string[];
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

const PREFIX: Record<Exclude<SubjectKind, 'settings'>, string> = { user: 'user-', group: 'group-', team: 'team-', token: tokenStreamId('') };

const NOUN: Record<SubjectKind, string> = { user: 'user', group: 'group', team: 'team', settings: 'settings', token: 'SCIM token' };

/** No stream the reference could name: HTTP 404 where an API passes it on. */
export class SubjectNotFoundError extends ScimError {
  constructor(kind: SubjectKind, ref: string) {
    super(404, undefined, `no ${NOUN[kind]} ${JSON.stringify(ref)} in the event log${kind === 'user' ? ' (by id, userName or externalId, now or in the past)' : kind === 'group' ? ' (by id or displayName, now or in the past)' : ''}`);
    this.name = 'SubjectNotFoundError';
  }
}

/** A name several aggregates had (one after the other, or one's past name another's present): HTTP 409. */
export class AmbiguousSubjectError extends ScimError {
  constructor(
    kind: SubjectKind,
    ref: string,
    readonly candidates: readonly Subject[],
  ) {
    super(
      409,
      undefined,
      `${JSON.stringify(ref)} named ${candidates.length} ${NOUN[kind]}s: ${candidates.map((c) => `${c.id} (${c.name})`).join(', ')}; give the id`,
    );
    this.name = 'AmbiguousSubjectError';
  }
}

interface Names {
  readonly id: string;
  readonly streamId: string;
  current: string;
  /** Matched case-insensitively. */
  readonly folded: Set<string>;
  /** Matched exactly (externalId is case-exact, RFC 7643 §3.1). */
  readonly exact: Set<string>;
  readonly all: string[];
}

const str = (value: unknown): string | undefined => (typeof value === 'string' && value !== '' ? value : undefined);

/** The names an event gives its aggregate: [name, case-insensitive?]. `current` marks the name it is known by. */
function namesIn(kind: SubjectKind, event: RecordedEvent): { name: string; folded: boolean; current: boolean }[] {
  const data = event.data as Record<string, unknown>;
  const found: { name: string; folded: boolean; current: boolean }[] = [];
  const add = (value: unknown, folded: boolean, current: boolean) => {
    const name = str(value);
    if (name !== undefined) found.push({ name, folded, current });
  };
  if (kind === 'user') {
    const attributes = (event.type === 'UserProvisioned' ? data.attributes : event.type === 'UserAttributesChanged' ? data.set : undefined) as Record<string, unknown> | undefined;
    if (attributes) {
      add(attributes.userName, true, true);
      add(attributes.externalId, false, false);
    }
  } else if (kind === 'group') {
    if (event.type === 'GroupCreated' || event.type === 'GroupRenamed') add(data.displayName, true, true);
    if (event.type === 'GroupCreated' || event.type === 'GroupExternalIdChanged') add(data.externalId, false, false);
  } else if (kind === 'team') {
    if (event.type === 'TeamCreated') add(data.name, true, true);
  } else if (kind === 'token') {
    if (event.type === 'ScimTokenCreated') add(data.description, true, true);
  }
  return found;
}

const idOf = (kind: SubjectKind, streamId: string) => (kind === 'team' ? streamId : streamId.slice(PREFIX[kind as Exclude<SubjectKind, 'settings'>].length));

async function exists(store: EventStore, streamId: string): Promise<RecordedEvent | undefined> {
  return (await store.readStream(streamId, { maxCount: 1 }))[0];
}

/** The subject of one stream, with its names, read from that stream alone. */
export async function subjectOfStream(store: EventStore, kind: SubjectKind, streamId: string): Promise<Subject | undefined> {
  const events = await store.readStream(streamId);
  if (events.length === 0) return undefined;
  if (kind === 'settings') return { kind, id: SETTINGS_STREAM, streamId, name: 'SCIM settings', names: [] };
  const names: Names = { id: idOf(kind, streamId), streamId, current: '', folded: new Set(), exact: new Set(), all: [] };
  for (const event of events) collect(kind, names, event);
  return toSubject(kind, names);
}

function collect(kind: SubjectKind, names: Names, event: RecordedEvent): void {
  for (const { name, folded, current } of namesIn(kind, event)) {
    if (current) names.current = name;
    (folded ? names.folded : names.exact).add(folded ? name.toLowerCase() : name);
    if (!names.all.includes(name)) names.all.push(name);
  }
}

function toSubject(kind: SubjectKind, names: Names): Subject {
  return { kind, id: names.id, streamId: names.streamId, name: names.current || names.id, names: names.all };
}

/**
 * The aggregate a reference names, from the event log alone:
 * - user: its id, or a userName (case-insensitive) or externalId (exact) it has or ever had;
 * - group: its id, or a displayName (case-insensitive) it has or ever had, or an externalId;
 * - team: its id (`team-platform`, or `platform`), or its name (case-insensitive);
 * - token: its id, or its description (case-insensitive);
 * - settings: the one `scim-settings` stream (`ref` is ignored).
 * An id is looked up directly; a name by a scan of that kind's streams (a subscription filtered
 * by stream prefix, up to the log's end).
 * @throws SubjectNotFoundError (404) when nothing matches; AmbiguousSubjectError (409) when the
 * name belonged to more than one.
 */
export async function resolveSubject(store: EventStore, kind: SubjectKind, ref: string, signal?: AbortSignal): Promise<Subject> {
  if (kind === 'settings') {
    const subject = await subjectOfStream(store, 'settings', SETTINGS_STREAM);
    if (!subject) throw new SubjectNotFoundError('settings', SETTINGS_STREAM);
    return subject;
  }
  const wanted = ref.trim();
  if (wanted === '') throw new SubjectNotFoundError(kind, ref);
  const direct = directStream(kind, wanted);
  for (const streamId of direct) {
    if (await exists(store, streamId)) return (await subjectOfStream(store, kind, streamId))!;
  }
  const byStream = new Map<string, Names>();
  for await (const event of streamsWithPrefix(store, [PREFIX[kind]], signal)) {
    let names = byStream.get(event.streamId);
    if (!names) {
      names = { id: idOf(kind, event.streamId), streamId: event.streamId, current: '', folded: new Set(), exact: new Set(), all: [] };
      byStream.set(event.streamId, names);
    }
    collect(kind, names, event);
  }
  const folded = wanted.toLowerCase();
  const matches = [...byStream.values()].filter((n) => n.folded.has(folded) || n.exact.has(wanted)).map((n) => toSubject(kind, n));
  if (matches.length === 0) throw new SubjectNotFoundError(kind, ref);
  if (matches.length > 1) throw new AmbiguousSubjectError(kind, ref, matches);
  return matches[0]!;
}

/** The streams a reference names directly, if it is an id. */
function directStream(kind: Exclude<SubjectKind, 'settings'>, ref: string): string[] {
  switch (kind) {
    case 'user':
    case 'group':
      return UUID.test(ref) ? [`${PREFIX[kind]}${ref.toLowerCase()}`] : [];
    case 'team':
      return ref.startsWith('team-') ? [ref] : [`team-${ref}`];
    case 'token':
      return [tokenStreamId(ref)];
  }
}
