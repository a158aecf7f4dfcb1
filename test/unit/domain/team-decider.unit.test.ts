import {
  OWNERS_TEAM_ID,
  isTeamId,
  teamDecider,
  teamKeys,
  teamStreamId,
  type TeamCommand,
  type TeamEvent,
  type UnlinkReason,
} from '../../../shared/domain/teams/team';
import { context, metadata, specification } from '../../helpers/decider-spec';

const given = specification(teamDecider);

describe('team decider', () => {
  describe('CreateTeam', () => {
    it('creates a team with its service accounts', () => {
      given([]).when(create({ serviceAccounts: [robot] })).then([created({ serviceAccounts: [robot] })]);
    });

    it('creates the owners team', () => {
      given([]).when(createOwners()).then([ownersCreated()]);
    });

    it('changes nothing when the same team is created again (a retried ensure of the owners team)', () => {
      given([ownersCreated()]).when(createOwners()).thenNothing();
    });

    it('rejects another creation under an existing id with 409', () => {
      given([created()]).when(create({ name: 'other' })).thenThrows(409, undefined, /already exists/);
    });

    it('rejects an empty name', () => {
      given([]).when(create({ name: '  ' })).thenThrows(400, 'invalidValue', /name is required/);
    });

    it('rejects a name with control characters', () => {
      given([]).when(create({ name: 'a\nb' })).thenThrows(400, 'invalidValue', /no control characters/);
    });

    it('rejects a service account whose id is not a UUID', () => {
      given([]).when(create({ serviceAccounts: [{ id: 'robot', name: 'ci' }] })).thenThrows(400, 'invalidValue', /must be a lower-case UUID/);
    });

    it('rejects a service account listed twice', () => {
      given([]).when(create({ serviceAccounts: [robot, robot] })).thenThrows(400, 'invalidValue', /listed twice/);
    });

    it('rejects an id that is not a team id', () => {
      given([]).when(create({ teamId: 'group-1' })).thenThrows(400, 'invalidValue', /not a team id/);
    });
  });

  describe('LinkTeamToScimGroup', () => {
    it('links an unlinked team', () => {
      given([created()]).when(link()).then([linked()]);
    });

    it('links a team again after it was unlinked', () => {
      given([created(), linked(), unlinked()]).when(link(otherGroup)).then([linked(otherGroup)]);
    });

    it('rejects the owners team with 422', () => {
      given([ownersCreated()]).when(link(groupId, OWNERS_TEAM_ID)).thenThrows(422, undefined, /owners team cannot be linked/);
    });

    it('rejects a team that is already linked with 409, even to the same group', () => {
      given([created(), linked()]).when(link()).thenThrows(409, undefined, /already linked/);
      given([created(), linked()]).when(link(otherGroup)).thenThrows(409, undefined, /already linked/);
    });

    it('rejects a team whose link is paused with 409', () => {
      given([created(), linked(), paused()]).when(link(otherGroup)).thenThrows(409, undefined, /already linked/);
    });

    it('rejects an unknown team with 404', () => {
      given([]).when(link()).thenThrows(404, undefined, /not found/);
    });
  });

  describe('UnlinkTeam', () => {
    it('unlinks a linked team', () => {
      given([created(), linked()]).when(unlink()).then([unlinked()]);
    });

    it('unlinks a team whose link is paused', () => {
      given([created(), linked(), paused()]).when(unlink()).then([unlinked()]);
    });

    it('rejects an unlinked team with 409', () => {
      given([created()]).when(unlink()).thenThrows(409, undefined, /not linked/);
    });

    it('rejects an unknown team with 404', () => {
      given([]).when(unlink()).thenThrows(404, undefined, /not found/);
    });

    describe('as a detachment from a group (group deleted, SCIM disabled)', () => {
      it('unlinks a team linked to that group, with the reason', () => {
        given([created(), linked()]).when(detach(groupId, 'group-deleted')).then([unlinked('group-deleted')]);
        given([created(), linked(), paused()]).when(detach(groupId, 'scim-disabled')).then([unlinked('scim-disabled')]);
      });

      it('leaves a team linked to another group alone (no-op)', () => {
        given([created(), linked(otherGroup)]).when(detach(groupId, 'group-deleted')).thenNothing();
      });

      it('leaves an unlinked or unknown team alone (no-op)', () => {
        given([created()]).when(detach(groupId, 'group-deleted')).thenNothing();
        given([]).when(detach(groupId, 'group-deleted')).thenNothing();
      });
    });
  });

  describe('PauseTeamLink', () => {
    it('pauses a linked team', () => {
      given([created(), linked()]).when(pause()).then([paused()]);
    });

    it('changes nothing when already paused (no-op)', () => {
      given([created(), linked(), paused()]).when(pause()).thenNothing();
    });

    it('rejects an unlinked team with 409', () => {
      given([created()]).when(pause()).thenThrows(409, undefined, /not linked/);
      given([created(), linked(), unlinked()]).when(pause()).thenThrows(409, undefined, /not linked/);
    });

    it('rejects an unknown team with 404', () => {
      given([]).when(pause()).thenThrows(404, undefined, /not found/);
    });
  });

  describe('ResumeTeamLink', () => {
    it('resumes a paused link', () => {
      given([created(), linked(), paused()]).when(resume()).then([resumed()]);
    });

    it('changes nothing when the link is active (no-op)', () => {
      given([created(), linked()]).when(resume()).thenNothing();
      given([created(), linked(), paused(), resumed()]).when(resume()).thenNothing();
    });

    it('rejects an unlinked team with 409', () => {
      given([created()]).when(resume()).thenThrows(409, undefined, /not linked/);
    });

    it('rejects an unknown team with 404', () => {
      given([]).when(resume()).thenThrows(404, undefined, /not found/);
    });
  });

  describe('keys', () => {
    const fold = (events: TeamEvent[]) => events.reduce(teamDecider.evolve, teamDecider.initialState);

    it('holds its name, case-insensitively', () => {
      expect(teamKeys(fold([created({ name: 'Platform' })]))).toEqual([{ scope: 'team.name', key: 'platform', value: 'Platform' }]);
    });

    it('holds its link while linked or paused: key the team, value the group', () => {
      const link = { scope: 'team.link', key: teamId, value: groupId };
      expect(teamKeys(fold([created(), linked()]))).toContainEqual(link);
      expect(teamKeys(fold([created(), linked(), paused()]))).toContainEqual(link);
      expect(teamKeys(fold([created(), linked(), unlinked()]))).toEqual([{ scope: 'team.name', key: 'platform', value: 'platform' }]);
    });
  });

  describe('ids', () => {
    it('names the stream after the id, which carries the team- prefix once', () => {
      expect(teamStreamId(teamId)).toBe(teamId);
      expect(teamStreamId(OWNERS_TEAM_ID)).toBe('team-owners');
      expect(isTeamId('group-1')).toBe(false);
      expect(isTeamId('team-')).toBe(false);
      expect(() => teamStreamId('user-1')).toThrow(TypeError);
    });
  });
});

const teamId = 'team-6b1f3c7e-0000-4000-8000-0000000000aa';
const groupId = '6b1f3c7e-0000-4000-8000-0000000000bb';
const otherGroup = '6b1f3c7e-0000-4000-8000-0000000000cc';
const robot = { id: '6b1f3c7e-0000-4000-8000-0000000000dd', name: 'ci-robot' };

type CreateData = Extract<TeamCommand, { type: 'CreateTeam' }>['data'];

function create(overrides: Partial<CreateData> = {}): TeamCommand {
  return { type: 'CreateTeam', data: { teamId, name: 'platform', isOwners: false, serviceAccounts: [], ...overrides }, context };
}
function createOwners(): TeamCommand {
  return { type: 'CreateTeam', data: { teamId: OWNERS_TEAM_ID, name: 'owners', isOwners: true, serviceAccounts: [] }, context };
}
const link = (group = groupId, team = teamId): TeamCommand => ({ type: 'LinkTeamToScimGroup', data: { teamId: team, groupId: group }, context });
const unlink = (): TeamCommand => ({ type: 'UnlinkTeam', data: { teamId, reason: 'unlinked' }, context });
const detach = (fromGroupId: string, reason: UnlinkReason): TeamCommand => ({ type: 'UnlinkTeam', data: { teamId, reason, fromGroupId }, context });
const pause = (): TeamCommand => ({ type: 'PauseTeamLink', data: { teamId }, context });
const resume = (): TeamCommand => ({ type: 'ResumeTeamLink', data: { teamId }, context });

function created(overrides: Partial<CreateData> = {}): TeamEvent {
  return { type: 'TeamCreated', data: { teamId, name: 'platform', isOwners: false, serviceAccounts: [], ...overrides }, metadata };
}
const ownersCreated = (): TeamEvent => ({ type: 'TeamCreated', data: { teamId: OWNERS_TEAM_ID, name: 'owners', isOwners: true, serviceAccounts: [] }, metadata });
const linked = (group = groupId): TeamEvent => ({ type: 'TeamLinkedToScimGroup', data: { teamId, groupId: group }, metadata });
const unlinked = (reason: UnlinkReason = 'unlinked', group = groupId): TeamEvent => ({ type: 'TeamUnlinkedFromScimGroup', data: { teamId, groupId: group, reason }, metadata });
const paused = (): TeamEvent => ({ type: 'TeamLinkPaused', data: { teamId, groupId }, metadata });
const resumed = (): TeamEvent => ({ type: 'TeamLinkResumed', data: { teamId, groupId }, metadata });
