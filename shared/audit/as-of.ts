import type { JsonDocument } from '../domain/json';
import type { EventStore } from '../eventstore/port';
import { ScimError } from '../scim/errors';
import { formatInstant, occurredAt, type Instant } from './instant';
import { streamsWithPrefix } from './log';
import { StreamCache } from './stream-cache';
import type { Subject } from './subjects';
import { teamMembersAt, type TeamAsOf } from './team-members';

/**
 * A SCIM user as GET /Users/{id} would have read it at an instant (the shape of the SCIM API's
 * UserView, services/scim-api/scim/render.ts, which renders it).
 */
export interface UserAsOf {
  readonly id: string;
  readonly attributes: JsonDocument;
  readonly active: boolean;
  readonly revision: bigint;
  readonly created: string;
  readonly lastModified: string;
  /** The groups it was a direct member of then, by their displayName then. */
  readonly groups: readonly { readonly id: string; readonly displayName: string }[];
}

/** A SCIM group as GET /Groups/{id} would have read it at an instant (GroupView's shape). */
export interface GroupAsOf {
  readonly id: string;
  readonly displayName: string;
  readonly externalId?: string;
  readonly revision: bigint;
  readonly created: string;
  readonly lastModified: string;
  /** Its members then that existed and were not deleted, by their userName then. */
  readonly members: readonly { readonly id: string; readonly userName: string }[];
}

/** The resource did not exist at the instant: a GET then would have answered 404. */
export class NotAtInstantError extends ScimError {
  constructor(what: string, instant: Instant, why: string) {
    super(404, undefined, `${what} did not exist at ${formatInstant(instant)}: ${why}`);
    this.name = 'NotAtInstantError';
  }
}

/**
 * The user's state folded up to the instant, and its groups: the group streams whose events ever
 * named it (found by a scan of the group streams), each folded up to the same instant.
 * @throws NotAtInstantError when it was not provisioned yet, or already deleted.
 */
export async function userAsOf(store: EventStore, subject: Subject, instant: Instant, streams = new StreamCache(store)): Promise<UserAsOf> {
  const { state, revision } = await streams.userAt(subject.id, instant);
  if (state.status === 'Absent') throw new NotAtInstantError(`User ${subject.id}`, instant, await firstSeen(streams, subject.streamId));
  if (state.status === 'Deleted') throw new NotAtInstantError(`User ${subject.id}`, instant, `it was deleted at ${state.lastModified}`);
  const groups: { id: string; displayName: string }[] = [];
  for (const groupId of await groupsNaming(store, subject.id)) {
    const group = await streams.groupAt(groupId, instant);
    if (group.state.status === 'Active' && group.state.memberIds.includes(subject.id)) groups.push({ id: groupId, displayName: group.state.displayName });
  }
  return {
    id: subject.id,
    attributes: inJsonbOrder(state.attributes) as JsonDocument,
    active: state.status === 'Active',
    revision: revision!,
    created: state.created,
    lastModified: state.lastModified,
    groups,
  };
}

/**
 * The group's state folded up to the instant, its members named by their own streams folded up
 * to the same instant; members deleted by then are left out, as a GET leaves them out.
 * @throws NotAtInstantError when it was not created yet, or already deleted.
 */
export async function groupAsOf(store: EventStore, subject: Subject, instant: Instant, streams = new StreamCache(store)): Promise<GroupAsOf> {
  const { state, revision } = await streams.groupAt(subject.id, instant);
  if (state.status === 'Absent') throw new NotAtInstantError(`Group ${subject.id}`, instant, await firstSeen(streams, subject.streamId));
  if (state.status === 'Deleted') throw new NotAtInstantError(`Group ${subject.id}`, instant, `it was deleted at ${state.lastModified}`);
  const members: { id: string; userName: string }[] = [];
  for (const userId of state.memberIds) {
    const user = await streams.userAt(userId, instant);
    if (user.state.status === 'Active' || user.state.status === 'Deactivated') members.push({ id: userId, userName: user.state.attributes.userName });
  }
  return {
    id: subject.id,
    displayName: state.displayName,
    ...(state.externalId === undefined ? {} : { externalId: state.externalId }),
    revision: revision!,
    created: state.created,
    lastModified: state.lastModified,
    members,
  };
}

/** The team's effective members at the instant (see team-members.ts). @throws NotAtInstantError before it was created. */
export async function teamAsOf(store: EventStore, subject: Subject, instant: Instant, streams = new StreamCache(store)): Promise<TeamAsOf> {
  const team = await teamMembersAt(streams, subject.id, instant);
  if (!team) throw new NotAtInstantError(`Team ${subject.id}`, instant, await firstSeen(streams, subject.streamId));
  return team;
}

async function firstSeen(streams: StreamCache, streamId: string): Promise<string> {
  const first = (await streams.events(streamId))[0];
  return first ? `it was created at ${occurredAt(first)}` : 'it never existed';
}

/**
 * The value with every object's keys in the order Postgres's jsonb keeps them (shorter keys first,
 * then by their UTF-8 bytes), which is the order a GET returns the attributes it reads from the
 * read model's jsonb column: the rendering is then the same, byte for byte.
 */
export function inJsonbOrder(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(inJsonbOrder);
  if (typeof value !== 'object' || value === null) return value;
  const keys = Object.keys(value).map((key) => ({ key, bytes: Buffer.from(key, 'utf8') }));
  keys.sort((a, b) => a.bytes.length - b.bytes.length || Buffer.compare(a.bytes, b.bytes));
  return Object.fromEntries(keys.map(({ key }) => [key, inJsonbOrder((value as Record<string, unknown>)[key])]));
}

/** Every group whose stream ever named the user as a member (a scan of the group streams). */
async function groupsNaming(store: EventStore, userId: string): Promise<string[]> {
  const found = new Set<string>();
  for await (const event of streamsWithPrefix(store, ['group-'])) {
    const memberIds = (event.data as { memberIds?: unknown }).memberIds;
    if (Array.isArray(memberIds) && memberIds.includes(userId)) found.add(event.streamId.slice('group-'.length));
  }
  return [...found];
}
