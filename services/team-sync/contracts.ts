import { z } from 'zod';
import { createEnvelopeParser, type KnownEvent, type ParsedEvent } from '../../shared/events/consumer-parser';
import { EVENT_CONTRACTS, eventContract } from '../../shared/events/contract';

/**
 * The events team-sync reads: the published contract (users, groups, accounts) and the team and
 * SCIM-settings events, which shared/events/contract.ts does not publish yet. Their schemas follow
 * shared/domain/teams/team.ts and shared/domain/settings/settings.ts; once the shared contract
 * carries them, drop TEAM_AND_SETTINGS_CONTRACTS and parse with parseEnvelope.
 */

const teamId = z.string().regex(/^team-[a-z0-9][a-z0-9-]{0,62}$/).meta({ description: 'The team id, also its stream.' });
const groupId = z.guid();
const serviceAccount = z.object({ id: z.guid(), name: z.string().min(1) });
const empty = z.object({});

export const TEAM_AND_SETTINGS_CONTRACTS = {
  TeamCreated: eventContract({
    description: 'A platform team was created, with its service accounts.',
    version: 1,
    data: z.object({ teamId, name: z.string().min(1), isOwners: z.boolean(), serviceAccounts: z.array(serviceAccount) }),
  }),
  TeamLinkedToScimGroup: eventContract({
    description: "A team follows a SCIM group: its human members become the group's active members.",
    version: 1,
    data: z.object({ teamId, groupId }),
  }),
  TeamUnlinkedFromScimGroup: eventContract({
    description: 'A team stopped following its group; its members stay as they are.',
    version: 1,
    data: z.object({ teamId, groupId, reason: z.enum(['unlinked', 'group-deleted', 'scim-disabled']) }),
  }),
  TeamLinkPaused: eventContract({ description: "A team's link is paused: members kept, no updates.", version: 1, data: z.object({ teamId, groupId }) }),
  TeamLinkResumed: eventContract({ description: "A team's link is resumed: members reconciled at once.", version: 1, data: z.object({ teamId, groupId }) }),
  ScimEnabled: eventContract({ description: 'SCIM was enabled.', version: 1, data: empty }),
  ScimPaused: eventContract({ description: 'SCIM was paused.', version: 1, data: empty }),
  ScimResumed: eventContract({ description: 'SCIM was resumed.', version: 1, data: empty }),
  ScimDisabled: eventContract({ description: 'SCIM was disabled; admin grants stay.', version: 1, data: empty }),
  SiteAdminGroupSet: eventContract({
    description: "The site-admin group: its active members' accounts are site admins.",
    version: 1,
    data: z.object({ groupId, previousGroupId: groupId.nullable() }),
  }),
  SiteAdminGroupCleared: eventContract({
    description: 'No site-admin group any more; existing grants stay.',
    version: 1,
    data: z.object({ previousGroupId: groupId }),
  }),
} as const;

export const TEAM_SYNC_CONTRACTS = { ...EVENT_CONTRACTS, ...TEAM_AND_SETTINGS_CONTRACTS } as const;

export type TeamSyncContracts = typeof TEAM_SYNC_CONTRACTS;
export type TeamSyncEvent = KnownEvent<TeamSyncContracts>;
export type ParsedTeamSyncEvent = ParsedEvent<TeamSyncContracts>;

/** Parses (validates, upcasts) one message value; throws InvalidEventError for a poison message. */
export const parseTeamSyncEnvelope: (value: Buffer | string) => ParsedTeamSyncEvent = createEnvelopeParser(TEAM_SYNC_CONTRACTS);
