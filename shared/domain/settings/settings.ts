import type { ContractData } from '../../events/contract';
import { eventMetadata, type CommandContext, type DomainEvent } from '../metadata';
import { scimErrors } from '../../scim/errors';

/** The single `scim-settings` stream: SCIM's state and its site-admin group. */
export const SETTINGS_STREAM = 'scim-settings';

// The data of each event is declared once, in the published contract (shared/events/contract.ts).
export type ScimEnabled = DomainEvent<'ScimEnabled', ContractData<'ScimEnabled'>>;
export type ScimPaused = DomainEvent<'ScimPaused', ContractData<'ScimPaused'>>;
export type ScimResumed = DomainEvent<'ScimResumed', ContractData<'ScimResumed'>>;
/** SCIM identities, groups, memberships, team links and tokens go; accounts, teams and admin grants stay. */
export type ScimDisabled = DomainEvent<'ScimDisabled', ContractData<'ScimDisabled'>>;
export type SiteAdminGroupSet = DomainEvent<'SiteAdminGroupSet', ContractData<'SiteAdminGroupSet'>>;
/** Revokes nobody: existing grants stay, they just stop following a group. */
export type SiteAdminGroupCleared = DomainEvent<'SiteAdminGroupCleared', ContractData<'SiteAdminGroupCleared'>>;

export type SettingsEvent = ScimEnabled | ScimPaused | ScimResumed | ScimDisabled | SiteAdminGroupSet | SiteAdminGroupCleared;

export const SETTINGS_EVENT_TYPES: readonly SettingsEvent['type'][] = [
  'ScimEnabled',
  'ScimPaused',
  'ScimResumed',
  'ScimDisabled',
  'SiteAdminGroupSet',
  'SiteAdminGroupCleared',
];

export type ScimStatus = 'disabled' | 'enabled' | 'paused';

export interface SettingsState {
  readonly status: ScimStatus;
  readonly siteAdminGroupId: string | null;
  /** False until the first settings event: a fresh install. */
  readonly initialised: boolean;
}

export const initialSettingsState: SettingsState = { status: 'disabled', siteAdminGroupId: null, initialised: false };

export function evolveSettings(state: SettingsState, event: SettingsEvent): SettingsState {
  const next = { ...state, initialised: true };
  switch (event.type) {
    case 'ScimEnabled':
    case 'ScimResumed':
      return { ...next, status: 'enabled' };
    case 'ScimPaused':
      return { ...next, status: 'paused' };
    case 'ScimDisabled':
      return { ...next, status: 'disabled', siteAdminGroupId: null };
    case 'SiteAdminGroupSet':
      return { ...next, siteAdminGroupId: event.data.groupId };
    case 'SiteAdminGroupCleared':
      return { ...next, siteAdminGroupId: null };
    default:
      return state;
  }
}

export type SettingsCommand =
  | { readonly type: 'EnableScim'; readonly context: CommandContext }
  | { readonly type: 'PauseScim'; readonly context: CommandContext }
  | { readonly type: 'ResumeScim'; readonly context: CommandContext }
  | { readonly type: 'DisableScim'; readonly context: CommandContext }
  /** `groupId` null clears; the caller has checked the group exists and links to no team. */
  | { readonly type: 'SetSiteAdminGroup'; readonly data: { readonly groupId: string | null }; readonly context: CommandContext }
  /**
   * api-docs/admin/scim-settings PATCH: the given changes, in this order, as one append (all of
   * them or none): enable, pause or resume, then the site-admin group. `enabled: false` is not a
   * change a PATCH can ask for (disabling is DeleteScim's: DisableScim).
   */
  | { readonly type: 'UpdateScimSettings'; readonly data: SettingsChanges; readonly context: CommandContext };

/** What a settings PATCH asks for; an omitted field stays as it is. */
export interface SettingsChanges {
  readonly enabled?: true;
  readonly paused?: boolean;
  /** `null` clears the site-admin group; the caller has checked a group id exists and links to no team. */
  readonly siteAdminGroupId?: string | null;
}

/**
 * Each change of an UpdateScimSettings decided on the state the previous ones leave. `paused:
 * false` while SCIM is disabled asks for what is already so (the platform resets `paused` to false
 * whenever SCIM is disabled) and changes nothing.
 * @throws ScimError 409 when a change makes no sense in the state it meets (pausing while disabled).
 */
function decideUpdate(command: Extract<SettingsCommand, { type: 'UpdateScimSettings' }>, state: SettingsState): SettingsEvent[] {
  const { enabled, paused, siteAdminGroupId } = command.data;
  const { context } = command;
  const steps: SettingsCommand[] = [];
  if (enabled === true) steps.push({ type: 'EnableScim', context });
  if (paused === true) steps.push({ type: 'PauseScim', context });
  if (paused === false) steps.push({ type: 'ResumeScim', context });
  if (siteAdminGroupId !== undefined) steps.push({ type: 'SetSiteAdminGroup', data: { groupId: siteAdminGroupId }, context });
  const events: SettingsEvent[] = [];
  let current = state;
  for (const step of steps) {
    if (step.type === 'ResumeScim' && current.status === 'disabled') continue;
    for (const event of decideSettings(step, current)) {
      events.push(event);
      current = evolveSettings(current, event);
    }
  }
  return events;
}

/** A change that is already true changes nothing; a change that makes no sense in the state is 409. */
export function decideSettings(command: SettingsCommand, state: SettingsState): SettingsEvent[] {
  const metadata = eventMetadata(command.context);
  switch (command.type) {
    case 'UpdateScimSettings':
      return decideUpdate(command, state);
    case 'EnableScim':
      if (state.status === 'enabled') return [];
      if (state.status === 'paused') return [{ type: 'ScimResumed', data: {}, metadata }];
      return [{ type: 'ScimEnabled', data: {}, metadata }];
    case 'PauseScim':
      if (state.status === 'paused') return [];
      if (state.status === 'disabled') throw scimErrors.conflict('SCIM is disabled: enable it before pausing');
      return [{ type: 'ScimPaused', data: {}, metadata }];
    case 'ResumeScim':
      if (state.status === 'enabled') return [];
      if (state.status === 'disabled') throw scimErrors.conflict('SCIM is disabled: enable it, there is nothing to resume');
      return [{ type: 'ScimResumed', data: {}, metadata }];
    case 'DisableScim':
      // Disabling again still records the intent, so a cleanup a crash cut short is redone.
      if (state.status === 'disabled' && state.initialised) return [];
      return [{ type: 'ScimDisabled', data: {}, metadata }];
    case 'SetSiteAdminGroup': {
      const { groupId } = command.data;
      if (groupId === state.siteAdminGroupId) return [];
      if (groupId === null) return [{ type: 'SiteAdminGroupCleared', data: { previousGroupId: state.siteAdminGroupId! }, metadata }];
      if (state.status === 'disabled') throw scimErrors.conflict('SCIM is disabled: there are no SCIM groups');
      return [{ type: 'SiteAdminGroupSet', data: { groupId, previousGroupId: state.siteAdminGroupId }, metadata }];
    }
    default: {
      const _never: never = command;
      throw new Error(`unknown command ${JSON.stringify(_never)}`);
    }
  }
}

export const settingsDecider = { decide: decideSettings, evolve: evolveSettings, initialState: initialSettingsState };
