import path from 'node:path';
import { projectRoot } from '../../shared/db/project-root';

interface AdminUiHelpers {
  scimState(attributes: unknown): 'enabled' | 'paused' | 'disabled';
  expiryFor(days: number, now: Date): string | undefined;
  formatDateTime(value: unknown, options?: { locale?: string; timeZone?: string; seconds?: boolean }): string;
  relativeTime(value: unknown, now: Date, locale?: string): string;
  errorMessage(status: number, body: unknown): string;
  actorLabel(attributes: Record<string, unknown>): string;
  plural(count: number, one: string, many: string): string;
  expiredTokensAlert(tokens: unknown[]): string;
  groupPagePath(number: number): string;
  auditSubjectOfStream(streamId: unknown): { kind: string; id: string } | null;
  changeText(change: unknown): string;
  localDateTimeToIso(value: unknown): string | undefined;
  localDateTimeValue(now: Date): string;
}

// app.js is a browser script, not a module: it exports its pure helpers only when Node loads it.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const ui = require(path.join(projectRoot(), 'services/scim-api/admin-ui/app.js')) as AdminUiHelpers;

describe('the SCIM settings page helpers', () => {
  describe('auditSubjectOfStream', () => {
    it('names the history of user, group and team streams, and of no other', () => {
      expect(ui.auditSubjectOfStream('user-6b1f3c7e-2b1d-4c55-8f0e-0d5b7a9c1e23')).toEqual({ kind: 'users', id: '6b1f3c7e-2b1d-4c55-8f0e-0d5b7a9c1e23' });
      expect(ui.auditSubjectOfStream('group-5d0c1f7a-8a0e-4d36-b6c1-2f4a3c9e7b10')).toEqual({ kind: 'groups', id: '5d0c1f7a-8a0e-4d36-b6c1-2f4a3c9e7b10' });
      expect(ui.auditSubjectOfStream('team-platform')).toEqual({ kind: 'teams', id: 'team-platform' });
      for (const other of ['scim-settings', 'scim-token-st-0123', 'account-5d0c1f7a-8a0e-4d36-b6c1-2f4a3c9e7b10', 'user-x', undefined]) expect(ui.auditSubjectOfStream(other)).toBeNull();
    });
  });

  describe('changeText', () => {
    it('writes an added, a removed and a changed value as JSON', () => {
      expect(ui.changeText({ op: 'added', path: 'title', after: 'CTO' })).toBe('+ title: "CTO"');
      expect(ui.changeText({ op: 'removed', path: 'emails[1]', before: { value: 'a@example.com' } })).toBe('- emails[1]: {"value":"a@example.com"}');
      expect(ui.changeText({ op: 'changed', path: 'active', before: true, after: false })).toBe('~ active: true → false');
    });
  });

  describe('localDateTimeToIso and localDateTimeValue', () => {
    it('turn a datetime-local value of the reader\'s zone into UTC and back, to the second', () => {
      const now = new Date(2026, 2, 1, 9, 30, 5, 678);
      expect(ui.localDateTimeValue(now)).toBe('2026-03-01T09:30:05');
      expect(ui.localDateTimeToIso('2026-03-01T09:30:05')).toBe(new Date(2026, 2, 1, 9, 30, 5).toISOString());
      expect(ui.localDateTimeToIso('2026-03-01T09:30')).toBe(new Date(2026, 2, 1, 9, 30).toISOString());
    });

    it('refuses anything else', () => {
      for (const value of ['', 'yesterday', '2026-03-01', '2026-03-01T09:30:00Z', undefined]) expect(ui.localDateTimeToIso(value)).toBeUndefined();
    });
  });

  describe('scimState', () => {
    it('reads disabled, enabled and paused from the settings attributes', () => {
      expect(ui.scimState({ enabled: false, paused: false })).toBe('disabled');
      expect(ui.scimState({ enabled: false, paused: true })).toBe('disabled');
      expect(ui.scimState({ enabled: true, paused: false })).toBe('enabled');
      expect(ui.scimState({ enabled: true, paused: true })).toBe('paused');
      expect(ui.scimState(undefined)).toBe('disabled');
    });
  });

  describe('expiryFor', () => {
    it('leaves 365 days to the API default, which is exactly that', () => {
      expect(ui.expiryFor(365, NOW)).toBeUndefined();
    });

    it('asks for 30 and 90 days ahead with a few minutes to spare for the trip to the server', () => {
      expect(ui.expiryFor(30, NOW)).toBe('2026-02-14T12:10:00.000Z');
      expect(ui.expiryFor(90, NOW)).toBe('2026-04-15T12:10:00.000Z');
    });

    it('rejects a duration that is not one of the presets', () => {
      expect(() => ui.expiryFor(10, NOW)).toThrow(RangeError);
    });
  });

  describe('formatDateTime', () => {
    it('formats in the given locale and time zone, with seconds on request', () => {
      expect(ui.formatDateTime('2026-01-15T12:00:05Z', { locale: 'en-GB', timeZone: 'UTC' })).toBe('15 Jan 2026, 12:00');
      expect(ui.formatDateTime('2026-01-15T12:00:05Z', { locale: 'en-GB', timeZone: 'UTC', seconds: true })).toBe('15 Jan 2026, 12:00:05');
    });

    it('shows nothing for no date, and an unparseable value as it came', () => {
      expect(ui.formatDateTime(null)).toBe('');
      expect(ui.formatDateTime('soon')).toBe('soon');
    });
  });

  describe('relativeTime', () => {
    it('counts days for token expiries, hours and minutes for recent use', () => {
      expect(ui.relativeTime('2026-04-15T12:10:00Z', NOW, 'en')).toBe('in 90 days');
      expect(ui.relativeTime('2027-01-15T12:00:00Z', NOW, 'en')).toBe('in 365 days');
      expect(ui.relativeTime('2026-01-16T12:00:00Z', NOW, 'en')).toBe('tomorrow');
      expect(ui.relativeTime('2026-01-15T09:00:00Z', NOW, 'en')).toBe('3 hours ago');
      expect(ui.relativeTime('2026-01-15T11:58:00Z', NOW, 'en')).toBe('2 minutes ago');
      expect(ui.relativeTime('2026-01-15T11:59:30Z', NOW, 'en')).toBe('now');
      expect(ui.relativeTime(null, NOW, 'en')).toBe('');
    });
  });

  describe('errorMessage', () => {
    it('shows the JSON:API error detail, else its title', () => {
      expect(ui.errorMessage(409, { errors: [{ status: '409', title: 'conflict', detail: 'team is already linked to a SCIM group' }] })).toBe(
        'team is already linked to a SCIM group',
      );
      expect(ui.errorMessage(422, { errors: [{ status: '422', title: 'unprocessable' }] })).toBe('unprocessable');
    });

    it('says what happened when the body says nothing', () => {
      expect(ui.errorMessage(502, null)).toBe('The request failed (HTTP 502).');
      expect(ui.errorMessage(0, null)).toMatch(/did not answer/);
    });
  });

  describe('actorLabel', () => {
    it('names the actor and the token it used', () => {
      expect(ui.actorLabel({ 'actor-kind': 'scim-token', 'actor-id': 'st-1', 'token-description': 'Entra ID' })).toBe('scim token st-1 (token “Entra ID”)');
      expect(ui.actorLabel({ 'actor-kind': 'admin', 'actor-id': 'bootstrap', 'token-description': null })).toBe('admin bootstrap');
      expect(ui.actorLabel({})).toBe('unknown');
    });
  });

  describe('expiredTokensAlert', () => {
    it('says nothing while no token has expired', () => {
      expect(ui.expiredTokensAlert([{ attributes: { expired: false } }, {}])).toBe('');
      expect(ui.expiredTokensAlert([])).toBe('');
    });

    it('counts the expired tokens and says what to do', () => {
      expect(ui.expiredTokensAlert([{ attributes: { expired: true } }])).toMatch(/^1 SCIM token has expired: .*revoke the expired one\.$/);
      expect(ui.expiredTokensAlert([{ attributes: { expired: true } }, { attributes: { expired: true } }, { attributes: { expired: false } }])).toMatch(
        /^2 SCIM tokens have expired: .*revoke the expired ones\.$/,
      );
    });
  });

  describe('groupPagePath', () => {
    it('asks for pages of 100 groups, brackets encoded', () => {
      expect(ui.groupPagePath(2)).toBe('/scim-groups?page%5Bnumber%5D=2&page%5Bsize%5D=100');
    });
  });
});

const NOW = new Date('2026-01-15T12:00:00Z');
