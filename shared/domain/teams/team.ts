import type { ContractData } from '../../events/contract';
import { eventMetadata, type CommandContext, type DomainEvent } from '../metadata';
import { ScimError, scimErrors } from '../../scim/errors';
import { uniqueKey, type UniqueKey } from '../../uniqueness/keys';

/**
 * A platform team. It may follow one SCIM group: its human members are then the group's active
 * members (service accounts stay). Which groups exist, which is the site-admin group and how big a
 * group is are other aggregates' facts: the application service checks them before the append.
 */

/** A team id already carries the `team-` prefix and names its stream as it is (design.md: `team-<id>`). */
export const OWNERS_TEAM_ID = 'team-owners';
export const OWNERS_TEAM_NAME = 'owners';

const TEAM_ID = /^team-[a-z0-9][a-z0-9-]{0,62}$/;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

export const isTeamId = (id: unknown): id is string => typeof id === 'string' && TEAM_ID.test(id);

export function teamStreamId(teamId: string): string {
  if (!isTeamId(teamId)) throw new TypeError(`not a team id: ${JSON.stringify(teamId)}`);
  return teamId;
}

export interface ServiceAccount {
  readonly id: string;
  readonly name: string;
}

export type UnlinkReason = 'unlinked' | 'group-deleted' | 'scim-disabled';

// The data of each event is declared once, in the published contract (shared/events/contract.ts).
export type TeamCreated = DomainEvent<'TeamCreated', ContractData<'TeamCreated'>>;
export type TeamLinkedToScimGroup = DomainEvent<'TeamLinkedToScimGroup', ContractData<'TeamLinkedToScimGroup'>>;
/** The members stay as they are: they just stop following the group. */
export type TeamUnlinkedFromScimGroup = DomainEvent<'TeamUnlinkedFromScimGroup', ContractData<'TeamUnlinkedFromScimGroup'>>;
export type TeamLinkPaused = DomainEvent<'TeamLinkPaused', ContractData<'TeamLinkPaused'>>;
/** The members catch up with the group at once. */
export type TeamLinkResumed = DomainEvent<'TeamLinkResumed', ContractData<'TeamLinkResumed'>>;

export type TeamEvent = TeamCreated | TeamLinkedToScimGroup | TeamUnlinkedFromScimGroup | TeamLinkPaused | TeamLinkResumed;

export const TEAM_EVENT_TYPES: readonly TeamEvent['type'][] = [
  'TeamCreated',
  'TeamLinkedToScimGroup',
  'TeamUnlinkedFromScimGroup',
  'TeamLinkPaused',
  'TeamLinkResumed',
];

interface ExistingTeam {
  readonly teamId: string;
  readonly name: string;
  readonly isOwners: boolean;
  readonly serviceAccounts: readonly ServiceAccount[];
}

export type TeamState =
  | { readonly status: 'Absent' }
  | ({ readonly status: 'Unlinked' } & ExistingTeam)
  | ({ readonly status: 'Linked' | 'LinkPaused'; readonly groupId: string } & ExistingTeam);

export const initialTeamState: TeamState = { status: 'Absent' };

export type CreateTeam = {
  readonly type: 'CreateTeam';
  readonly data: { readonly teamId: string; readonly name: string; readonly isOwners: boolean; readonly serviceAccounts: readonly ServiceAccount[] };
  readonly context: CommandContext;
};
export type LinkTeamToScimGroup = {
  readonly type: 'LinkTeamToScimGroup';
  readonly data: { readonly teamId: string; readonly groupId: string };
  readonly context: CommandContext;
};
/**
 * `fromGroupId` makes it a detachment from that group (it was deleted, or SCIM was disabled): a
 * team that no longer links to it is left alone instead of rejected.
 */
export type UnlinkTeam = {
  readonly type: 'UnlinkTeam';
  readonly data: { readonly teamId: string; readonly reason: UnlinkReason; readonly fromGroupId?: string };
  readonly context: CommandContext;
};
export type PauseTeamLink = { readonly type: 'PauseTeamLink'; readonly data: { readonly teamId: string }; readonly context: CommandContext };
export type ResumeTeamLink = { readonly type: 'ResumeTeamLink'; readonly data: { readonly teamId: string }; readonly context: CommandContext };

export type TeamCommand = CreateTeam | LinkTeamToScimGroup | UnlinkTeam | PauseTeamLink | ResumeTeamLink;

const MAX_NAME_LENGTH = 128;

/** The platform's 422: a request that is well formed but breaks a rule of what it asks for. */
export const unprocessable = (detail: string) => new ScimError(422, undefined, detail);

export function evolveTeam(state: TeamState, event: TeamEvent): TeamState {
  if (event.type === 'TeamCreated') {
    if (state.status !== 'Absent') return state;
    const { teamId, name, isOwners, serviceAccounts } = event.data;
    return { status: 'Unlinked', teamId, name, isOwners, serviceAccounts };
  }
  if (state.status === 'Absent') return state;
  const { teamId, name, isOwners, serviceAccounts } = state;
  const team = { teamId, name, isOwners, serviceAccounts };
  switch (event.type) {
    case 'TeamLinkedToScimGroup':
      return { status: 'Linked', ...team, groupId: event.data.groupId };
    case 'TeamUnlinkedFromScimGroup':
      return { status: 'Unlinked', ...team };
    case 'TeamLinkPaused':
      return state.status === 'Linked' ? { ...state, status: 'LinkPaused' } : state;
    case 'TeamLinkResumed':
      return state.status === 'LinkPaused' ? { ...state, status: 'Linked' } : state;
    default:
      // Events of newer versions: ignored, never fatal.
      return state;
  }
}

type Existing = Exclude<TeamState, { status: 'Absent' }>;
type WithLink = Extract<TeamState, { status: 'Linked' | 'LinkPaused' }>;

function requireExisting(state: TeamState, teamId: string): Existing {
  if (state.status === 'Absent') throw scimErrors.notFound(`team ${teamId} not found`);
  return state;
}

/**
 * The platform's error details, word for word: go-tfe compares whole error strings
 * (`ErrSCIMTeamAlreadyMapped`, `ErrSCIMGroupMappingTeamNotLinked`: "conflict\n\n" + detail) and
 * looks for the 422 details as substrings (`ErrSCIMGroupMappingOwnersTeam`).
 */
export const TEAM_LINK_ERRORS = {
  alreadyLinked: 'Team is already linked to a SCIM group',
  notLinked: 'Team is not linked to a SCIM group',
  ownersTeam: 'Owners team SCIM linking is not yet supported: the owners team cannot be linked to a SCIM group',
  siteAdminGroup: 'The site admin group cannot be linked to a team',
} as const;

/** api-docs/admin/team-scim-group-mapping: unlinking or pausing a team without a link is 409. */
function requireLink(state: TeamState, teamId: string): WithLink {
  const team = requireExisting(state, teamId);
  if (team.status === 'Unlinked') throw scimErrors.conflict(TEAM_LINK_ERRORS.notLinked);
  return team;
}

function assertName(name: string): void {
  if (name.trim() === '' || name.length > MAX_NAME_LENGTH || /\p{Cc}/u.test(name)) {
    throw scimErrors.invalidValue(`name is required: at most ${MAX_NAME_LENGTH} characters, no control characters`);
  }
}

function assertServiceAccounts(accounts: readonly ServiceAccount[]): void {
  const ids = new Set<string>();
  for (const account of accounts) {
    if (!UUID.test(account.id)) throw scimErrors.invalidValue(`service account id ${JSON.stringify(account.id)} must be a lower-case UUID`);
    if (ids.has(account.id)) throw scimErrors.invalidValue(`service account ${account.id} is listed twice`);
    ids.add(account.id);
    assertName(account.name);
  }
}

function create(command: CreateTeam, state: TeamState): TeamEvent[] {
  const { teamId, name, isOwners, serviceAccounts } = command.data;
  if (state.status !== 'Absent') {
    // The same creation again (a retried ensure of the owners team) changes nothing.
    if (state.name === name && state.isOwners === isOwners) return [];
    throw scimErrors.conflict(`team ${teamId} already exists`);
  }
  if (!isTeamId(teamId)) throw scimErrors.invalidValue(`${JSON.stringify(teamId)} is not a team id`);
  assertName(name);
  assertServiceAccounts(serviceAccounts);
  return [{ type: 'TeamCreated', data: { teamId, name, isOwners, serviceAccounts }, metadata: eventMetadata(command.context) }];
}

/** scim-behaviour.md, Administration: a team links to at most one group; the owners team to none. */
function link(command: LinkTeamToScimGroup, state: TeamState): TeamEvent[] {
  const { teamId, groupId } = command.data;
  const team = requireExisting(state, teamId);
  if (team.isOwners) throw unprocessable(TEAM_LINK_ERRORS.ownersTeam);
  if (team.status !== 'Unlinked') throw scimErrors.conflict(TEAM_LINK_ERRORS.alreadyLinked);
  return [{ type: 'TeamLinkedToScimGroup', data: { teamId, groupId }, metadata: eventMetadata(command.context) }];
}

function unlink(command: UnlinkTeam, state: TeamState): TeamEvent[] {
  const { teamId, reason, fromGroupId } = command.data;
  if (fromGroupId !== undefined && (state.status === 'Absent' || state.status === 'Unlinked' || state.groupId !== fromGroupId)) return [];
  const team = requireLink(state, teamId);
  return [{ type: 'TeamUnlinkedFromScimGroup', data: { teamId, groupId: team.groupId, reason }, metadata: eventMetadata(command.context) }];
}

function pause(command: PauseTeamLink, state: TeamState): TeamEvent[] {
  const team = requireLink(state, command.data.teamId);
  if (team.status === 'LinkPaused') return [];
  return [{ type: 'TeamLinkPaused', data: { teamId: team.teamId, groupId: team.groupId }, metadata: eventMetadata(command.context) }];
}

function resume(command: ResumeTeamLink, state: TeamState): TeamEvent[] {
  const team = requireLink(state, command.data.teamId);
  if (team.status === 'Linked') return [];
  return [{ type: 'TeamLinkResumed', data: { teamId: team.teamId, groupId: team.groupId }, metadata: eventMetadata(command.context) }];
}

export function decideTeam(command: TeamCommand, state: TeamState): TeamEvent[] {
  switch (command.type) {
    case 'CreateTeam':
      return create(command, state);
    case 'LinkTeamToScimGroup':
      return link(command, state);
    case 'UnlinkTeam':
      return unlink(command, state);
    case 'PauseTeamLink':
      return pause(command, state);
    case 'ResumeTeamLink':
      return resume(command, state);
    default: {
      const _never: never = command;
      throw new Error(`unknown command ${JSON.stringify(_never)}`);
    }
  }
}

export const teamDecider = { decide: decideTeam, evolve: evolveTeam, initialState: initialTeamState };

/** key: the team id; value: the group, so a group's teams can be found and counted in unique_keys. */
export function teamLinkKey(teamId: string, groupId: string): UniqueKey {
  return { scope: 'team.link', key: teamId, value: groupId };
}

/** A team's name is unique (case-insensitive); a linked (or paused) team holds its link. */
export function teamKeys(state: TeamState): UniqueKey[] {
  if (state.status === 'Absent') return [];
  const keys = [uniqueKey('team.name', state.name)];
  if (state.status !== 'Unlinked') keys.push(teamLinkKey(state.teamId, state.groupId));
  return keys;
}
