import { randomUUID } from 'node:crypto';
import { loadTeamSyncConfig, TeamSyncConfigError, teamSyncGroupId } from '../../../services/team-sync/config';
import { parseTeamSyncEnvelope } from '../../../services/team-sync/contracts';
import { InvalidEventError } from '../../../shared/events/consumer-parser';

describe('team-sync configuration', () => {
  it('defaults: schema team_sync, port 8081, a 10 s session, the service database', () => {
    expect(loadTeamSyncConfig({})).toEqual({ TEAM_SYNC_SCHEMA: 'team_sync', TEAM_SYNC_PORT: 8081, TEAM_SYNC_SESSION_TIMEOUT_MS: 10_000 });
  });

  it('names the consumer group after the database and schema holding the offsets, unless TEAM_SYNC_GROUP_ID says', () => {
    const service = 'postgres://postgres@127.0.0.1:5432/scim';
    expect(teamSyncGroupId(loadTeamSyncConfig({}), service)).toBe('team-sync.scim.team_sync');
    expect(teamSyncGroupId(loadTeamSyncConfig({}), 'postgres://postgres@127.0.0.1:5432/checkout_two')).toBe('team-sync.checkout_two.team_sync');
    expect(teamSyncGroupId(loadTeamSyncConfig({ TEAM_SYNC_DATABASE_URL: 'postgres://u@h:5432/sync', TEAM_SYNC_SCHEMA: 'mine' }), service)).toBe('team-sync.sync.mine');
    expect(teamSyncGroupId(loadTeamSyncConfig({ TEAM_SYNC_GROUP_ID: 'sync-b' }), service)).toBe('sync-b');
  });

  it('reads TEAM_SYNC_* values', () => {
    expect(
      loadTeamSyncConfig({
        TEAM_SYNC_GROUP_ID: 'sync-b',
        TEAM_SYNC_SCHEMA: 'sync_b',
        TEAM_SYNC_PORT: '9001',
        TEAM_SYNC_DATABASE_URL: 'postgres://u@h:5432/other',
        TEAM_SYNC_SESSION_TIMEOUT_MS: '6000',
      }),
    ).toEqual({
      TEAM_SYNC_GROUP_ID: 'sync-b',
      TEAM_SYNC_SCHEMA: 'sync_b',
      TEAM_SYNC_PORT: 9001,
      TEAM_SYNC_DATABASE_URL: 'postgres://u@h:5432/other',
      TEAM_SYNC_SESSION_TIMEOUT_MS: 6000,
    });
  });

  it('rejects a schema name that would need quoting, a bad port and a non-Postgres URL, naming each variable', () => {
    try {
      loadTeamSyncConfig({ TEAM_SYNC_SCHEMA: 'Team-Sync"; drop', TEAM_SYNC_PORT: '70000', TEAM_SYNC_DATABASE_URL: 'mysql://x/y' });
      throw new Error('accepted');
    } catch (error) {
      expect(error).toBeInstanceOf(TeamSyncConfigError);
      const problems = (error as TeamSyncConfigError).problems;
      expect(problems).toEqual([
        expect.stringMatching(/^TEAM_SYNC_SCHEMA: expected a Postgres schema name/),
        expect.stringMatching(/^TEAM_SYNC_PORT: /),
        expect.stringMatching(/^TEAM_SYNC_DATABASE_URL: expected a postgres:\/\/ URL/),
      ]);
    }
  });
});

describe('parseTeamSyncEnvelope', () => {
  const envelope = (type: string, data: Record<string, unknown>, schemaVersion = 1) =>
    JSON.stringify({
      id: randomUUID(),
      type,
      schemaVersion,
      streamId: 'team-abc',
      revision: '3',
      position: '12/7',
      occurredAt: '2026-01-01T00:00:00.000Z',
      data,
      metadata: {
        requestId: 'r',
        correlationId: 'c',
        causationId: 'k',
        actor: { kind: 'admin', id: 'a' },
        source: {},
        occurredAt: '2026-01-01T00:00:00.000Z',
        schemaVersion,
      },
    });

  it('knows the team and settings events the shared contract does not publish yet', () => {
    const groupId = randomUUID();
    const accountId = randomUUID();
    expect(
      parseTeamSyncEnvelope(envelope('TeamCreated', { teamId: 'team-abc', name: 'A', isOwners: false, serviceAccounts: [{ id: accountId, name: 'bot' }] })),
    ).toMatchObject({ known: true, type: 'TeamCreated', revision: 3n, data: { serviceAccounts: [{ id: accountId, name: 'bot' }] } });
    expect(parseTeamSyncEnvelope(envelope('TeamUnlinkedFromScimGroup', { teamId: 'team-abc', groupId, reason: 'group-deleted' }))).toMatchObject({
      known: true,
      data: { reason: 'group-deleted' },
    });
    expect(parseTeamSyncEnvelope(envelope('SiteAdminGroupSet', { groupId, previousGroupId: null }))).toMatchObject({ known: true });
    expect(parseTeamSyncEnvelope(envelope('ScimDisabled', {}))).toMatchObject({ known: true });
  });

  it('still parses the published events (upcast and validated by the shared contract)', () => {
    const userId = randomUUID();
    expect(parseTeamSyncEnvelope(envelope('UserDeactivated', { userId }))).toMatchObject({ known: true, type: 'UserDeactivated', data: { userId } });
  });

  it('returns an unknown type or a newer version as one to skip', () => {
    expect(parseTeamSyncEnvelope(envelope('TeamRenamed', { teamId: 'team-abc' }))).toMatchObject({ known: false, reason: 'unknown-type' });
    expect(parseTeamSyncEnvelope(envelope('TeamLinkPaused', { teamId: 'team-abc' }, 2))).toMatchObject({ known: false, reason: 'newer-version' });
  });

  it('throws InvalidEventError for a known event whose data breaks its contract', () => {
    expect(() => parseTeamSyncEnvelope(envelope('TeamLinkPaused', { teamId: 'team-abc', groupId: 'not-a-uuid' }))).toThrow(InvalidEventError);
  });
});
