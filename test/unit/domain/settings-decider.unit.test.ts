import { settingsDecider, type SettingsCommand, type SettingsEvent } from '../../../shared/domain/settings/settings';
import { context, metadata, specification } from '../../helpers/decider-spec';

const given = specification(settingsDecider);

describe('settings decider', () => {
  describe('UpdateScimSettings (a settings PATCH)', () => {
    it('enables, pauses and sets the site-admin group in one decision, in that order', () => {
      given([])
        .when(update({ enabled: true, paused: true, siteAdminGroupId: GROUP }))
        .then([event('ScimEnabled'), event('ScimPaused'), { type: 'SiteAdminGroupSet', data: { groupId: GROUP, previousGroupId: null }, metadata }]);
    });

    it('changes nothing when every change is already so', () => {
      given([event('ScimEnabled')]).when(update({ enabled: true, paused: false, siteAdminGroupId: null })).thenNothing();
    });

    it('treats paused:false while disabled as already so (the platform resets paused when SCIM is disabled)', () => {
      given([]).when(update({ paused: false })).thenNothing();
    });

    it('rejects pausing while disabled with 409, whatever else the request asked for', () => {
      given([]).when(update({ paused: true, siteAdminGroupId: null })).thenThrows(409, undefined, /enable it before pausing/);
    });

    it('rejects a site-admin group while disabled with 409, so enabling in the same request is not half done', () => {
      given([]).when(update({ siteAdminGroupId: GROUP })).thenThrows(409, undefined, /disabled/);
      given([]).when(update({ enabled: true, siteAdminGroupId: GROUP })).then([event('ScimEnabled'), { type: 'SiteAdminGroupSet', data: { groupId: GROUP, previousGroupId: null }, metadata }]);
    });

    it('resumes a paused SCIM and clears the group', () => {
      given([event('ScimEnabled'), event('ScimPaused'), { type: 'SiteAdminGroupSet', data: { groupId: GROUP, previousGroupId: null }, metadata }])
        .when(update({ paused: false, siteAdminGroupId: null }))
        .then([event('ScimResumed'), { type: 'SiteAdminGroupCleared', data: { previousGroupId: GROUP }, metadata }]);
    });
  });
});

const GROUP = '0b4b8a4e-3c1f-4d59-9a55-5f7d2f0c9e11';

function update(data: Extract<SettingsCommand, { type: 'UpdateScimSettings' }>['data']): SettingsCommand {
  return { type: 'UpdateScimSettings', data, context };
}

function event(type: 'ScimEnabled' | 'ScimPaused' | 'ScimResumed'): SettingsEvent {
  return { type, data: {}, metadata };
}
