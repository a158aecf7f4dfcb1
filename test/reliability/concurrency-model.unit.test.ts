import { checkSerialOrder, NotSerializableError, type AcknowledgedRequest, type LoggedEvent, type ModelState } from './concurrency-model';

const G = 'g1';
const initial: ModelState = {
  groupId: G,
  groupDisplayName: 'Crowd',
  members: new Set(['u1']),
  users: new Map([
    ['u1', { active: true, displayName: 'One' }],
    ['u2', { active: true, displayName: 'Two' }],
  ]),
};

const request = (requestId: string, mutation: AcknowledgedRequest['mutation'], sentAt: number, acknowledgedAt: number): AcknowledgedRequest => ({ requestId, mutation, sentAt, acknowledgedAt });
const event = (requestId: string, streamId: string, revision: number, type: string, data: Record<string, unknown>): LoggedEvent => ({
  requestId,
  streamId,
  revision: BigInt(revision),
  type,
  data,
});

describe('checkSerialOrder', () => {
  const add = request('a', { kind: 'group-add-member', userId: 'u2' }, 0, 10);
  const remove = request('r', { kind: 'group-remove-member', userId: 'u1' }, 1, 12);
  const rename = request('n', { kind: 'group-rename', displayName: 'Renamed' }, 2, 11);
  const deactivate = request('d', { kind: 'user-set-active', userId: 'u2', active: false }, 3, 9);
  const log = [
    event('n', 'group-g1', 1, 'GroupRenamed', { groupId: G, displayName: 'Renamed' }),
    event('d', 'user-u2', 1, 'UserDeactivated', { userId: 'u2' }),
    event('a', 'group-g1', 2, 'GroupMembersAdded', { groupId: G, memberIds: ['u2'] }),
    event('r', 'group-g1', 3, 'GroupMembersRemoved', { groupId: G, memberIds: ['u1'] }),
  ];

  it('accepts a log that is the concurrent requests in some order, and gives the final state', () => {
    const result = checkSerialOrder(initial, [add, remove, rename, deactivate], log);
    expect(result.order).toEqual(['n', 'd', 'a', 'r']);
    expect(result.finalState.groupDisplayName).toBe('Renamed');
    expect([...result.finalState.members]).toEqual(['u2']);
    expect(result.finalState.users.get('u2')).toEqual({ active: false, displayName: 'Two' });
  });

  it('places an acknowledged request without events where it is a no-op', () => {
    // Adding u2 again after `a` changes nothing: a no-op, placed after `a`.
    const again = request('a2', { kind: 'group-add-member', userId: 'u2' }, 11, 13);
    const result = checkSerialOrder(initial, [add, remove, rename, deactivate, again], log);
    expect(result.order).toEqual(['n', 'd', 'a', 'a2', 'r']);
    expect(result.noOpRequests).toBe(1);
  });

  it('rejects a lost update: an acknowledged request that changed something, without events', () => {
    const lost = request('x', { kind: 'user-set-display-name', userId: 'u1', displayName: 'Lost' }, 0, 5);
    expect(() => checkSerialOrder(initial, [add, remove, rename, deactivate, lost], log)).toThrow(/acknowledged without events/);
  });

  it('rejects an event of a request that was not acknowledged', () => {
    expect(() => checkSerialOrder(initial, [add, remove, deactivate], log)).toThrow(NotSerializableError);
  });

  it('rejects events that the model does not predict (a doubled write)', () => {
    const doubled = [...log, event('a', 'group-g1', 4, 'GroupMembersAdded', { groupId: G, memberIds: ['u2'] })];
    expect(() => checkSerialOrder(initial, [add, remove, rename, deactivate], doubled)).toThrow(/predicts/);
  });

  it('rejects an order that contradicts real time', () => {
    // `r` acknowledged at 12 before `late` was sent at 20, but `late`'s event comes first.
    const late = request('late', { kind: 'group-rename', displayName: 'Renamed' }, 20, 21);
    const reordered = [
      event('late', 'group-g1', 1, 'GroupRenamed', { groupId: G, displayName: 'Renamed' }),
      event('d', 'user-u2', 1, 'UserDeactivated', { userId: 'u2' }),
      event('a', 'group-g1', 2, 'GroupMembersAdded', { groupId: G, memberIds: ['u2'] }),
      event('r', 'group-g1', 3, 'GroupMembersRemoved', { groupId: G, memberIds: ['u1'] }),
    ];
    expect(() => checkSerialOrder(initial, [add, remove, late, deactivate], reordered)).toThrow(/acknowledged before/);
  });
});
