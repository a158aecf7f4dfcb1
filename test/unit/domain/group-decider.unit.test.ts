import { createGroupDecider } from '../../../shared/domain/groups/decider';
import type { GroupCommand } from '../../../shared/domain/groups/commands';
import type { GroupEvent } from '../../../shared/domain/groups/events';
import type { PatchOperation } from '../../../shared/scim/patch/operation';
import { context, metadata, specification } from '../../helpers/decider-spec';

const given = specification(createGroupDecider({ maxMembers: 3 }));

describe('group decider', () => {
  describe('CreateGroup', () => {
    it('creates a group with its members', () => {
      given([]).when(create({ memberIds: [alice, bob] })).then([created({ memberIds: [alice, bob] })]);
    });

    it('drops duplicate member ids', () => {
      given([]).when(create({ memberIds: [alice, alice] })).then([created({ memberIds: [alice] })]);
    });

    it('rejects a group without displayName', () => {
      given([]).when(create({ displayName: '' })).thenThrows(400, 'invalidValue', /displayName is required/);
    });

    it('rejects more members than the limit with 413', () => {
      given([]).when(create({ memberIds: [alice, bob, carol, dave] })).thenThrows(413, undefined, /at most 3 members/);
    });

    it('rejects creating an existing id', () => {
      given([created()]).when(create()).thenThrows(409, 'uniqueness', /already exists/);
    });
  });

  describe('ReplaceGroup (PUT)', () => {
    it('replaces the roster with the full new list', () => {
      given([created({ memberIds: [alice] })]).when(replace({ memberIds: [bob] })).then([replaced([bob])]);
    });

    it('clears the roster with []', () => {
      given([created({ memberIds: [alice] })]).when(replace({ memberIds: [] })).then([replaced([])]);
    });

    it('keeps members, displayName and externalId when omitted (no-op)', () => {
      given([created({ memberIds: [alice], externalId: 'ext-1' })]).when(replace({})).thenNothing();
    });

    it('renames', () => {
      given([created()]).when(replace({ displayName: 'Platform' })).then([renamed('Platform')]);
    });

    it('changes externalId', () => {
      given([created()]).when(replace({ externalId: 'ext-2' })).then([externalIdChanged('ext-2')]);
    });

    it('changes nothing when the roster is the same in another order', () => {
      given([created({ memberIds: [alice, bob] })]).when(replace({ memberIds: [bob, alice] })).thenNothing();
    });

    it('rejects an unknown group', () => {
      given([]).when(replace({ displayName: 'x' })).thenThrows(404, undefined, /not found/);
    });

    it('rejects a roster over the limit with 413', () => {
      given([created()]).when(replace({ memberIds: [alice, bob, carol, dave] })).thenThrows(413, undefined, /at most 3/);
    });
  });

  describe('PatchGroup', () => {
    it("renames through a path-less replace that repeats the group's own id (Okta's group push)", () => {
      given([created()]).when(patch([{ op: 'replace', value: { id: groupId, displayName: 'New' } }])).then([renamed('New')]);
    });

    it('rejects a path-less replace that changes the id with 400 mutability', () => {
      given([created()]).when(patch([{ op: 'replace', value: { id: alice, displayName: 'New' } }])).thenThrows(400, 'mutability', /'id' is read-only/);
    });

    it('adds members', () => {
      given([created({ memberIds: [alice] })]).when(patch([{ op: 'add', path: 'members', value: [{ value: bob }] }])).then([added([bob])]);
    });

    it('adding a present member changes nothing (no-op)', () => {
      given([created({ memberIds: [alice] })]).when(patch([{ op: 'add', path: 'members', value: [{ value: alice }] }])).thenNothing();
    });

    it('removes a member by value filter', () => {
      given([created({ memberIds: [alice, bob] })])
        .when(patch([{ op: 'remove', path: `members[value eq "${alice}"]` }]))
        .then([removed([alice])]);
    });

    it('removing a non-member succeeds and changes nothing (no-op)', () => {
      given([created({ memberIds: [alice] })]).when(patch([{ op: 'remove', path: `members[value eq "${bob}"]` }])).thenNothing();
    });

    it('removes the members listed in a value array (Entra)', () => {
      given([created({ memberIds: [alice, bob, carol] })])
        .when(patch([{ op: 'remove', path: 'members', value: [{ value: alice }, { value: carol }] }]))
        .then([removed([alice, carol])]);
    });

    it('records a replace of members as the full roster', () => {
      given([created({ memberIds: [alice] })])
        .when(patch([{ op: 'replace', path: 'members', value: [{ value: bob }, { value: carol }] }]))
        .then([replaced([bob, carol])]);
    });

    it('renames through a path-less replace', () => {
      given([created()]).when(patch([{ op: 'replace', value: { displayName: 'Platform' } }])).then([renamed('Platform')]);
    });

    it('rejects adding members past the limit with 413', () => {
      given([created({ memberIds: [alice, bob, carol] })])
        .when(patch([{ op: 'add', path: 'members', value: [{ value: dave }] }]))
        .thenThrows(413, undefined, /at most 3/);
    });

    it('rejects a patch of an unknown group', () => {
      given([]).when(patch([{ op: 'add', path: 'members', value: [{ value: bob }] }])).thenThrows(404, undefined, /not found/);
    });
  });

  describe('DeleteGroup', () => {
    it('deletes the group', () => {
      given([created()]).when(remove()).then([{ type: 'GroupDeleted', data: { groupId }, metadata }]);
    });

    it('is idempotent for an unknown group (no-op)', () => {
      given([]).when(remove()).thenNothing();
    });

    it('is idempotent for a deleted group (no-op)', () => {
      given([created(), { type: 'GroupDeleted', data: { groupId }, metadata }]).when(remove()).thenNothing();
    });
  });
});

const groupId = '6b1f3c7e-0000-4000-8000-0000000000aa';
const alice = '6b1f3c7e-0000-4000-8000-000000000001';
const bob = '6b1f3c7e-0000-4000-8000-000000000002';
const carol = '6b1f3c7e-0000-4000-8000-000000000003';
const dave = '6b1f3c7e-0000-4000-8000-000000000004';

type CreateData = Extract<GroupCommand, { type: 'CreateGroup' }>['data'];

function create(overrides: Partial<CreateData> = {}): GroupCommand {
  return { type: 'CreateGroup', data: { groupId, displayName: 'Engineering', memberIds: [], ...overrides }, context };
}
function replace(data: { displayName?: string; externalId?: string; memberIds?: string[] }): GroupCommand {
  return { type: 'ReplaceGroup', data: { groupId, ...data }, context };
}
function patch(operations: PatchOperation[]): GroupCommand {
  return { type: 'PatchGroup', data: { groupId, operations }, context };
}
function remove(): GroupCommand {
  return { type: 'DeleteGroup', data: { groupId }, context };
}
function created(overrides: Partial<CreateData> = {}): GroupEvent {
  return { type: 'GroupCreated', data: { groupId, displayName: 'Engineering', memberIds: [], ...overrides }, metadata };
}
const replaced = (memberIds: string[]): GroupEvent => ({ type: 'GroupMembersReplaced', data: { groupId, memberIds }, metadata });
const added = (memberIds: string[]): GroupEvent => ({ type: 'GroupMembersAdded', data: { groupId, memberIds }, metadata });
const removed = (memberIds: string[]): GroupEvent => ({ type: 'GroupMembersRemoved', data: { groupId, memberIds }, metadata });
const renamed = (displayName: string): GroupEvent => ({ type: 'GroupRenamed', data: { groupId, displayName }, metadata });
const externalIdChanged = (externalId: string): GroupEvent => ({ type: 'GroupExternalIdChanged', data: { groupId, externalId }, metadata });
