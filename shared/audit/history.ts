import { toDomainEvent } from '../commands/stream-states';
import type { GroupEvent } from '../domain/groups/events';
import { evolveGroup, initialGroupState, type GroupState } from '../domain/groups/state';
import { evolveSettings, initialSettingsState, type SettingsEvent, type SettingsState } from '../domain/settings/settings';
import { evolveTeam, initialTeamState, type TeamEvent, type TeamState } from '../domain/teams/team';
import type { UserEvent } from '../domain/users/events';
import { evolveUser, initialUserState, type UserState } from '../domain/users/state';
import type { EventStore, JsonObject, RecordedEvent } from '../eventstore/port';
import { formatPosition } from '../eventstore/position';
import { recordedSchemaVersion, upcastRecordedEvent } from '../events/upcast';
import { ActorDirectory, requestOrigin, type ActorDescription, type RequestOrigin } from './actors';
import { changesBetween, type Change, type View } from './changes';
import { occurredAt, type Instant } from './instant';
import { StreamCache } from './stream-cache';
import type { Subject, SubjectKind } from './subjects';

/** One event of an aggregate's history, as the audit trail shows it. */
export interface HistoryEntry {
  /** Its place in the global log, `<commit>/<prepare>`: an instant `as-of` and `export --from` accept. */
  readonly position: string;
  /** Its place in its stream, from 0. */
  readonly revision: string;
  readonly eventId: string;
  readonly type: string;
  /** The schema version it was written with; `readAs` names the current one it was upcast to. */
  readonly schemaVersion: number;
  readonly readAs?: number;
  /** When the service decided it (RFC 3339). */
  readonly occurredAt: string;
  readonly actor: ActorDescription;
  readonly origin: RequestOrigin;
  /** What changed in the aggregate, path by path. */
  readonly changes: readonly Change[];
  /** The event's data, in the current schema version. */
  readonly data: JsonObject;
}

export interface History {
  readonly subject: Subject;
  readonly entries: readonly HistoryEntry[];
}

/**
 * How one kind of aggregate folds, and how its state reads for people. Views hold ids, so that a
 * later rename of another aggregate changes no view; `labels` name the ids in a change, as they
 * were at that event.
 */
interface HistoryModel<State> {
  readonly initialState: State;
  evolve(state: State, event: RecordedEvent): State;
  view(state: State): View;
  /** View keys holding unordered lists. */
  readonly sets?: readonly string[];
  readonly labels?: Readonly<Record<string, (id: string, at: Instant, streams: StreamCache) => Promise<string>>>;
}

const userLabel = (id: string, at: Instant, streams: StreamCache) => streams.userLabel(id, at);
const groupLabel = (id: string, at: Instant, streams: StreamCache) => streams.groupLabel(id, at);

const userModel: HistoryModel<UserState> = {
  initialState: initialUserState,
  evolve: (state, event) => evolveUser(state, toDomainEvent<UserEvent>(event)),
  view(state) {
    if (state.status === 'Absent') return {};
    // userName first: the name people know a user by leads its first entry.
    const { userName, ...rest } = state.attributes;
    return { userName, ...rest, active: state.status === 'Active', ...(state.status === 'Deleted' ? { deleted: true } : {}) };
  },
};

const groupModel: HistoryModel<GroupState> = {
  initialState: initialGroupState,
  evolve: (state, event) => evolveGroup(state, toDomainEvent<GroupEvent>(event)),
  view(state) {
    if (state.status === 'Absent') return {};
    return {
      displayName: state.displayName,
      ...(state.externalId === undefined ? {} : { externalId: state.externalId }),
      members: state.memberIds,
      ...(state.status === 'Deleted' ? { deleted: true } : {}),
    };
  },
  sets: ['members'],
  labels: { members: userLabel },
};

const teamModel: HistoryModel<TeamState> = {
  initialState: initialTeamState,
  evolve: (state, event) => evolveTeam(state, toDomainEvent<TeamEvent>(event)),
  view(state) {
    if (state.status === 'Absent') return {};
    return {
      name: state.name,
      ...(state.isOwners ? { owners: true } : {}),
      serviceAccounts: state.serviceAccounts.map((a) => `${a.name} (${a.id})`),
      scimGroup: state.status === 'Unlinked' ? null : state.groupId,
      linkPaused: state.status === 'LinkPaused',
    };
  },
  sets: ['serviceAccounts'],
  labels: { scimGroup: groupLabel },
};

const settingsModel: HistoryModel<SettingsState> = {
  initialState: initialSettingsState,
  evolve: (state, event) => evolveSettings(state, toDomainEvent<SettingsEvent>(event)),
  view: (state) => ({ status: state.status, siteAdminGroup: state.siteAdminGroupId }),
  labels: { siteAdminGroup: groupLabel },
};

type TokenView = { readonly created?: Record<string, unknown>; readonly revoked?: string };

/** A token's history: what it was created with, then whether and why it was revoked. */
const tokenModel: HistoryModel<TokenView> = {
  initialState: {},
  evolve(state, recorded) {
    const event = upcastRecordedEvent(recorded);
    if (event.type === 'ScimTokenCreated') return { created: event.data };
    if (event.type === 'ScimTokenRevoked' && state.created) return { ...state, revoked: String(event.data.reason ?? 'revoked') };
    return state;
  },
  view(state) {
    if (!state.created) return {};
    const { description, expiresAt, createdAt } = state.created;
    return { description, createdAt, expiresAt, status: state.revoked ? `revoked (${state.revoked})` : 'active' };
  },
};

const MODELS: Record<SubjectKind, HistoryModel<never>> = {
  user: userModel as HistoryModel<never>,
  group: groupModel as HistoryModel<never>,
  team: teamModel as HistoryModel<never>,
  settings: settingsModel as HistoryModel<never>,
  token: tokenModel as HistoryModel<never>,
};

/**
 * Every event of the subject's stream, oldest first, with what it changed (the aggregate's view
 * folded to just before and just after it, names of other aggregates as they were at that event),
 * who caused it (a SCIM token by its description), the request and where it came from. Read from
 * the event store only; older schema versions are upcast as every reader does.
 */
export async function historyOf(store: EventStore, subject: Subject, actors = new ActorDirectory(store)): Promise<History> {
  const model = MODELS[subject.kind] as HistoryModel<unknown>;
  const streams = new StreamCache(store);
  const entries: HistoryEntry[] = [];
  let state = model.initialState;
  let before = model.view(state);
  for (const event of await store.readStream(subject.streamId)) {
    state = model.evolve(state, event);
    const after = model.view(state);
    const current = upcastRecordedEvent(event);
    const written = recordedSchemaVersion(event);
    const readAs = recordedSchemaVersion(current);
    entries.push({
      position: formatPosition(event.position),
      revision: event.revision.toString(),
      eventId: event.id,
      type: event.type,
      schemaVersion: written,
      ...(readAs !== written ? { readAs } : {}),
      occurredAt: occurredAt(event),
      actor: await actors.describe(event.metadata),
      origin: requestOrigin(event.metadata),
      // A field that starts out empty (a new team's link) is no news.
      changes: await labelled(
        changesBetween(before, after, model.sets).filter((c) => !(c.op === 'added' && c.after === null)),
        model,
        { kind: 'position', position: event.position },
        streams,
      ),
      data: current.data,
    });
    before = after;
  }
  return { subject, entries };
}

/** The changes with the ids of other aggregates named as they were at the event. */
async function labelled(changes: readonly Change[], model: HistoryModel<unknown>, at: Instant, streams: StreamCache): Promise<Change[]> {
  const label = model.labels ? (value: unknown, path: string) => (typeof value === 'string' && model.labels![path] ? model.labels![path]!(value, at, streams) : value) : undefined;
  if (!label) return [...changes];
  return Promise.all(
    changes.map(async (change) => ({
      ...change,
      ...('before' in change ? { before: await label(change.before, change.path) } : {}),
      ...('after' in change ? { after: await label(change.after, change.path) } : {}),
    })),
  );
}
