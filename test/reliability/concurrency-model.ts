/**
 * A pure model of the few SCIM changes the concurrency scenario sends (one group and its users),
 * and the check that the event log is a serial order of the acknowledged requests: the model,
 * applying them one at a time in the log's order, predicts exactly the logged events, and its
 * final state is what GET shows. Written apart from the service's deciders on purpose: it is what
 * RFC 7644 §3.5.2 says these PATCHes do, not a second run of the same code.
 */

/** One PATCH the scenario sends, by what it means (the wire form is the scenario's). */
export type Mutation =
  | { readonly kind: 'group-add-member'; readonly userId: string }
  | { readonly kind: 'group-remove-member'; readonly userId: string }
  | { readonly kind: 'group-rename'; readonly displayName: string }
  | { readonly kind: 'user-set-active'; readonly userId: string; readonly active: boolean }
  | { readonly kind: 'user-set-display-name'; readonly userId: string; readonly displayName: string };

export interface ModelUser {
  readonly active: boolean;
  readonly displayName: string;
}

/** The group (its displayName and member ids) and its users, keyed by SCIM id. */
export interface ModelState {
  readonly groupId: string;
  readonly groupDisplayName: string;
  readonly members: ReadonlySet<string>;
  readonly users: ReadonlyMap<string, ModelUser>;
}

/** An event as the model predicts it: its stream, type and the data fields that carry the change. */
export interface PredictedEvent {
  readonly streamId: string;
  readonly type: string;
  readonly data: Readonly<Record<string, unknown>>;
}

/** A request the service acknowledged (2xx), with the client's monotonic clock (ms) around it. */
export interface AcknowledgedRequest {
  /** The X-Request-Id it was sent with; the service stores it as every event's metadata.requestId. */
  readonly requestId: string;
  readonly mutation: Mutation;
  readonly sentAt: number;
  readonly acknowledgedAt: number;
}

/** An event read back from the store, in global position order. */
export interface LoggedEvent {
  readonly requestId: string;
  readonly streamId: string;
  readonly revision: bigint;
  readonly type: string;
  readonly data: Readonly<Record<string, unknown>>;
}

export const groupStream = (groupId: string) => `group-${groupId}`;
export const userStream = (userId: string) => `user-${userId}`;

/**
 * The state after `mutation`, and the events that change should be recorded as: none when it
 * changes nothing (adding a member twice, removing a non-member — RFC 7644 §3.5.2.2, a filter
 * matching nothing is no error — renaming to the same name).
 */
export function applyMutation(state: ModelState, mutation: Mutation): { state: ModelState; events: PredictedEvent[] } {
  const group = groupStream(state.groupId);
  switch (mutation.kind) {
    case 'group-add-member': {
      if (state.members.has(mutation.userId)) return { state, events: [] };
      return {
        state: { ...state, members: new Set([...state.members, mutation.userId]) },
        events: [{ streamId: group, type: 'GroupMembersAdded', data: { groupId: state.groupId, memberIds: [mutation.userId] } }],
      };
    }
    case 'group-remove-member': {
      if (!state.members.has(mutation.userId)) return { state, events: [] };
      const members = new Set(state.members);
      members.delete(mutation.userId);
      return {
        state: { ...state, members },
        events: [{ streamId: group, type: 'GroupMembersRemoved', data: { groupId: state.groupId, memberIds: [mutation.userId] } }],
      };
    }
    case 'group-rename': {
      if (state.groupDisplayName === mutation.displayName) return { state, events: [] };
      return {
        state: { ...state, groupDisplayName: mutation.displayName },
        events: [{ streamId: group, type: 'GroupRenamed', data: { groupId: state.groupId, displayName: mutation.displayName } }],
      };
    }
    case 'user-set-active':
    case 'user-set-display-name': {
      const user = state.users.get(mutation.userId);
      if (!user) throw new Error(`the model has no user ${mutation.userId}`);
      const changed: ModelUser = mutation.kind === 'user-set-active' ? { ...user, active: mutation.active } : { ...user, displayName: mutation.displayName };
      if (changed.active === user.active && changed.displayName === user.displayName) return { state, events: [] };
      const users = new Map(state.users).set(mutation.userId, changed);
      const stream = userStream(mutation.userId);
      const event: PredictedEvent =
        mutation.kind === 'user-set-active'
          ? { streamId: stream, type: mutation.active ? 'UserReactivated' : 'UserDeactivated', data: { userId: mutation.userId } }
          : { streamId: stream, type: 'UserAttributesChanged', data: { userId: mutation.userId, set: { displayName: mutation.displayName }, unset: [] } };
      return { state: { ...state, users }, events: [event] };
    }
  }
}

/** What the check found: the serial order (request ids), the final state, and counts for the report. */
export interface SerialOrder {
  /** Every acknowledged request, in the serial order found (no-op requests at a place where they are no-ops). */
  readonly order: readonly string[];
  readonly finalState: ModelState;
  readonly eventsChecked: number;
  readonly effectiveRequests: number;
  readonly noOpRequests: number;
}

/** Thrown with what broke serializability: the first request or event that no serial order explains. */
export class NotSerializableError extends Error {}

/** `data` holds at least the predicted fields, equal (member ids compared as sets). */
function sameData(predicted: Readonly<Record<string, unknown>>, logged: Readonly<Record<string, unknown>>): boolean {
  return Object.entries(predicted).every(([key, value]) => {
    const actual = logged[key];
    if (key === 'memberIds' && Array.isArray(value) && Array.isArray(actual)) return [...value].sort().join() === [...actual].sort().join();
    return JSON.stringify(value) === JSON.stringify(actual);
  });
}

/**
 * Proves the log is a serial order of the acknowledged requests (linearizable: the order also
 * respects real time). `events` must be every event after the scenario's setup, in global order.
 *
 * - every event comes from an acknowledged request (none from a rejected or unanswered one);
 * - each request's events are consecutive revisions of one stream;
 * - applying the requests that wrote events in the order of their first event, the model predicts
 *   exactly those events (type and data), so nothing was lost, doubled or reordered;
 * - a request acknowledged before another was sent comes first in that order;
 * - each acknowledged request without events is a no-op at some point of the order between the
 *   last request acknowledged before it was sent and the first one sent after it was acknowledged.
 *
 * @throws NotSerializableError naming the request or event at fault.
 */
export function checkSerialOrder(initial: ModelState, acknowledged: readonly AcknowledgedRequest[], events: readonly LoggedEvent[]): SerialOrder {
  const byId = new Map(acknowledged.map((request) => [request.requestId, request]));
  const eventsOf = new Map<string, LoggedEvent[]>();
  for (const event of events) {
    if (!byId.has(event.requestId)) throw new NotSerializableError(`event ${event.type} r${event.revision} of ${event.streamId} comes from request ${event.requestId}, which was not acknowledged`);
    const list = eventsOf.get(event.requestId) ?? [];
    list.push(event);
    eventsOf.set(event.requestId, list);
  }
  const effective = [...eventsOf.keys()].map((requestId) => byId.get(requestId)!); // Map keeps first-event order.
  const states: ModelState[] = [initial];
  let state = initial;
  for (const [index, request] of effective.entries()) {
    const logged = eventsOf.get(request.requestId)!;
    const predicted = applyMutation(state, request.mutation);
    const describe = () => `request ${request.requestId} (${JSON.stringify(request.mutation)}) at place ${index}`;
    if (predicted.events.length !== logged.length) {
      throw new NotSerializableError(`${describe()}: the model predicts ${JSON.stringify(predicted.events)}, the log has ${JSON.stringify(logged.map((e) => ({ type: e.type, data: e.data })))}`);
    }
    for (const [i, event] of logged.entries()) {
      const expected = predicted.events[i]!;
      if (event.streamId !== expected.streamId || event.type !== expected.type || !sameData(expected.data, event.data)) {
        throw new NotSerializableError(`${describe()}: the model predicts ${JSON.stringify(expected)}, the log has ${JSON.stringify({ streamId: event.streamId, type: event.type, data: event.data })}`);
      }
      if (i > 0 && event.revision !== logged[i - 1]!.revision + 1n) throw new NotSerializableError(`${describe()}: its events are not consecutive revisions`);
    }
    state = predicted.state;
    states.push(state);
  }
  // Real time: whatever was acknowledged before a request was sent must precede it.
  for (let i = 0; i < effective.length; i++) {
    for (let j = i + 1; j < effective.length; j++) {
      if (effective[j]!.acknowledgedAt < effective[i]!.sentAt) {
        throw new NotSerializableError(`request ${effective[j]!.requestId} was acknowledged before ${effective[i]!.requestId} was sent, yet its events come after`);
      }
    }
  }
  // No-op requests: each must change nothing at some place its time window allows.
  const order = effective.map((r) => r.requestId);
  const placed: { requestId: string; after: number }[] = [];
  const noOps = acknowledged.filter((request) => !eventsOf.has(request.requestId));
  for (const request of noOps) {
    // Places k = 0..effective.length: after the first k effective requests.
    let earliest = 0;
    let latest = effective.length;
    for (const [index, other] of effective.entries()) {
      if (other.acknowledgedAt < request.sentAt) earliest = Math.max(earliest, index + 1);
      if (other.sentAt > request.acknowledgedAt) latest = Math.min(latest, index);
    }
    let place = -1;
    for (let k = earliest; k <= latest && place < 0; k++) if (applyMutation(states[k]!, request.mutation).events.length === 0) place = k;
    if (place < 0) {
      throw new NotSerializableError(
        `request ${request.requestId} (${JSON.stringify(request.mutation)}) was acknowledged without events, but it changes something at every place ${earliest}..${latest} its time window allows`,
      );
    }
    placed.push({ requestId: request.requestId, after: place });
  }
  placed.sort((a, b) => b.after - a.after);
  for (const { requestId, after } of placed) order.splice(after, 0, requestId);
  return { order, finalState: state, eventsChecked: events.length, effectiveRequests: effective.length, noOpRequests: noOps.length };
}
