import { setTimeout as delay } from 'node:timers/promises';
import { readCheckpoint } from '../../projections/runtime/checkpoints';
import { platformProjection } from '../../projections/platform/projection';
import { PLATFORM_READ_SCHEMA } from '../../projections/platform/tables';
import type { Projection } from '../../projections/runtime/projection';
import { rebuildProjection } from '../../projections/runtime/rebuild';
import { inlineReads } from '../../projections/runtime/runner';
import { scimProjection } from '../../projections/scim/projection';
import { SCIM_READ_SCHEMA } from '../../projections/scim/tables';
import { createTeamCommands } from '../../services/scim-api/commands/teams';
import { createCommandDependencies, handleCommand } from '../../shared/commands/handle-command';
import { createStreamWriter } from '../../shared/commands/stream-writer';
import { inTransaction } from '../../shared/db/pool';
import type { CommandContext } from '../../shared/domain/metadata';
import { SETTINGS_STREAM, settingsDecider, type SettingsCommand } from '../../shared/domain/settings/settings';
import { createTokenDecider, tokenStreamId } from '../../shared/domain/tokens/token';
import type { RecordedEvent } from '../../shared/eventstore/port';
import { comparePositions } from '../../shared/eventstore/position';
import { GROUP_SCHEMA, newUser, patchOp, startScimApi, type ScimApiUnderTest } from '../helpers/scim-api';

const PLATFORM_TABLES = ['users', 'groups', 'group_members', 'accounts', 'teams', 'team_members', 'site_admins', 'settings', 'tokens', 'activity', 'subject_names'] as const;
const SCIM_TABLES = ['users', 'groups', 'group_members', 'resource_counts'] as const;

const admin: CommandContext = {
  commandId: 'projection-spec',
  requestId: 'projection-spec',
  correlationId: 'projection-spec',
  actor: { kind: 'admin', id: 'at-spec' },
  source: {},
  now: new Date().toISOString(),
};

describe('the read-model projections (scim, kept inline; platform, in log order)', () => {
  let api: ScimApiUnderTest;
  let events: RecordedEvent[];
  let teamIds: { a: string; b: string; c: string };
  let userIds: string[];

  beforeAll(async () => {
    api = await startScimApi('scim_projection');
    // A workload that touches every event type.
    const ids: string[] = [];
    for (let i = 0; i < 8; i++) ids.push((await api.scim('post', '/Users', newUser(`p${i}@example.com`, { externalId: `x${i}`, title: `t${i}` }))).body.id);
    await api.scim('patch', `/Users/${ids[0]}`, patchOp({ op: 'replace', path: 'active', value: false }));
    await api.scim('patch', `/Users/${ids[0]}`, patchOp({ op: 'replace', path: 'active', value: true }));
    await api.scim('patch', `/Users/${ids[1]}`, patchOp({ op: 'replace', value: { userName: 'P1-renamed@example.com', title: 'new' } }));
    await api.scim('patch', `/Users/${ids[1]}`, patchOp({ op: 'remove', path: 'title' }));
    const g1 = (await api.scim('post', '/Groups', { schemas: [GROUP_SCHEMA], displayName: 'G1', members: ids.slice(0, 4).map((value) => ({ value })) })).body.id;
    const g2 = (await api.scim('post', '/Groups', { schemas: [GROUP_SCHEMA], displayName: 'G2', externalId: 'g2' })).body.id;
    await api.scim('patch', `/Groups/${g1}`, patchOp({ op: 'add', path: 'members', value: [{ value: ids[5] }] }));
    await api.scim('patch', `/Groups/${g1}`, patchOp({ op: 'remove', path: `members[value eq "${ids[0]}"]` }));
    await api.scim('put', `/Groups/${g2}`, { schemas: [GROUP_SCHEMA], displayName: 'G2 renamed', externalId: 'g2b', members: ids.slice(4).map((value) => ({ value })) });
    await api.scim('patch', `/Groups/${g2}`, patchOp({ op: 'replace', path: 'members', value: [{ value: ids[6] }, { value: ids[2] }] }));
    await api.scim('delete', `/Users/${ids[2]}`);
    await api.scim('delete', `/Groups/${g1}`);

    // Teams, links, pauses, the site-admin group and tokens: the admin side of the read model.
    const deps = createCommandDependencies(api.store, createStreamWriter(api.db.pool, api.store, [scimProjection]));
    const teams = createTeamCommands({ deps, pool: api.db.pool });
    const settings = (command: SettingsCommand) => handleCommand(deps, SETTINGS_STREAM, settingsDecider, command);
    const member = (value: string | undefined) => ({ value: value! });
    const g3 = (await api.scim('post', '/Groups', { schemas: [GROUP_SCHEMA], displayName: 'G3', members: [ids[3], ids[4], ids[5]].map(member) })).body.id;
    const g4 = (await api.scim('post', '/Groups', { schemas: [GROUP_SCHEMA], displayName: 'G4', members: [ids[6], ids[7]].map(member) })).body.id;
    const robot = { id: '0b0b0b0b-0000-4000-8000-000000000001', name: 'ci-robot' };
    const tA = (await teams.create({ name: 'A', serviceAccounts: [robot] }, admin)).state as { teamId: string };
    const tB = (await teams.create({ name: 'B' }, admin)).state as { teamId: string };
    const tC = (await teams.create({ name: 'C' }, admin)).state as { teamId: string };
    await teams.link(tA.teamId, g3, admin);
    await teams.link(tB.teamId, g3, admin);
    await teams.pause(tB.teamId, admin);
    await teams.link(tC.teamId, g4, admin);
    await api.scim('patch', `/Users/${ids[3]}`, patchOp({ op: 'replace', path: 'active', value: false }));
    await api.scim('patch', `/Groups/${g3}`, patchOp({ op: 'add', path: 'members', value: [member(ids[0])] }));
    await teams.resume(tB.teamId, admin);
    await teams.unlink(tC.teamId, admin);
    await settings({ type: 'SetSiteAdminGroup', data: { groupId: g4 }, context: admin });
    await api.scim('patch', `/Users/${ids[7]}`, patchOp({ op: 'replace', path: 'active', value: false }));
    await api.scim('patch', `/Users/${ids[7]}`, patchOp({ op: 'replace', path: 'active', value: true }));
    await settings({ type: 'SetSiteAdminGroup', data: { groupId: g3 }, context: admin });
    await api.scim('patch', `/Groups/${g3}`, patchOp({ op: 'remove', path: `members[value eq "${ids[4]}"]` }));
    await api.scim('put', `/Groups/${g3}`, { schemas: [GROUP_SCHEMA], displayName: 'G3', members: [ids[0], ids[3], ids[5], ids[6]].map(member) });
    await settings({ type: 'SetSiteAdminGroup', data: { groupId: null }, context: admin });
    await teams.link(tC.teamId, g4, admin);
    await api.scim('delete', `/Groups/${g4}`);
    await teams.detachGroupFromTeams(g4, admin, 'group-deleted');
    await settings({ type: 'PauseScim', context: admin });
    await settings({ type: 'ResumeScim', context: admin });
    await settings({ type: 'SetSiteAdminGroup', data: { groupId: g2 }, context: admin });
    await settings({ type: 'DisableScim', context: admin });
    await settings({ type: 'EnableScim', context: admin });
    const tokens = createTokenDecider();
    const tokenId = 'st-projection-spec';
    await handleCommand(deps, tokenStreamId(tokenId), tokens, { type: 'CreateScimToken', data: { tokenId, description: 'Entra ID', expiresAt: inDays(90) }, context: admin });
    await handleCommand(deps, tokenStreamId(tokenId), tokens, { type: 'RevokeScimToken', data: { tokenId, reason: 'revoked' }, context: admin });
    teamIds = { a: tA.teamId, b: tB.teamId, c: tC.teamId };
    userIds = ids;
    events = await settled(api);
  }, 60_000);

  afterAll(async () => {
    await api.close();
  });

  async function dump(schema: string, tables: readonly string[] = PLATFORM_TABLES): Promise<Record<string, unknown[]>> {
    const result: Record<string, unknown[]> = {};
    for (const table of tables) {
      const { rows } = await api.db.pool.query(`SELECT * FROM "${schema}".${table} t ORDER BY 1, 2, t::text`);
      result[table] = rows;
    }
    return result;
  }

  /** Applies `sequence` into a fresh schema, `batch` events per apply call. */
  async function project(schema: string, sequence: readonly RecordedEvent[], projection: Projection = platformProjection, batch = 1): Promise<void> {
    await api.db.pool.query(`CREATE SCHEMA "${schema}"`);
    await api.db.pool.query(projection.createTables(schema));
    const handled = sequence.filter((e) => projection.canHandle(e));
    await inTransaction(api.db.pool, async (client) => {
      for (let i = 0; i < handled.length; i += batch) await projection.apply(client, handled.slice(i, i + batch), schema);
    });
  }

  it('covers every event type of the domain', () => {
    expect(new Set(events.map((e) => e.type))).toEqual(
      new Set([
        'UserProvisioned', 'UserDeactivated', 'UserReactivated', 'UserAttributesChanged', 'UserDeleted',
        'GroupCreated', 'GroupMembersAdded', 'GroupMembersRemoved', 'GroupRenamed', 'GroupExternalIdChanged', 'GroupMembersReplaced', 'GroupDeleted',
        'TeamCreated', 'TeamLinkedToScimGroup', 'TeamUnlinkedFromScimGroup', 'TeamLinkPaused', 'TeamLinkResumed',
        'ScimEnabled', 'ScimPaused', 'ScimResumed', 'ScimDisabled', 'SiteAdminGroupSet', 'SiteAdminGroupCleared',
        'ScimTokenCreated', 'ScimTokenRevoked',
      ]),
    );
  });

  it('scim: builds the rows the writers kept inline, one event or a whole log at a time, delivered once or twice', async () => {
    const live = await dump(SCIM_READ_SCHEMA, SCIM_TABLES);
    await project('scim_one_by_one', events, scimProjection);
    await project('scim_all_at_once', events, scimProjection, events.length);
    await project('scim_each_twice', events.flatMap((e) => [e, e]), scimProjection, 7);
    await project('scim_history_twice', [...events, ...events], scimProjection, 5);
    expect(await dump('scim_one_by_one', SCIM_TABLES)).toEqual(live);
    expect(await dump('scim_all_at_once', SCIM_TABLES)).toEqual(live);
    expect(await dump('scim_each_twice', SCIM_TABLES)).toEqual(live);
    expect(await dump('scim_history_twice', SCIM_TABLES)).toEqual(live);
    expect(live.users).toHaveLength(8);
    expect((live.users as { deleted: boolean }[]).filter((u) => u.deleted)).toHaveLength(1);
    // G2 keeps its roster (6, and 2 who was deleted), G3 has four; the deleted G1 and G4 none.
    expect(live.group_members).toHaveLength(6);
  });

  it('platform: leaves the same rows when every event is delivered twice', async () => {
    await project('once', events);
    await project('each_twice', events.flatMap((e) => [e, e]));
    await project('history_twice', [...events, ...events]);
    // In batches too, where runs of provisionings are written together.
    await project('each_twice_batched', events.flatMap((e) => [e, e]), platformProjection, 9);
    await project('all_at_once', events, platformProjection, events.length);
    const once = await dump('once');
    expect(await dump('each_twice')).toEqual(once);
    expect(await dump('history_twice')).toEqual(once);
    expect(await dump('each_twice_batched')).toEqual(once);
    expect(await dump('all_at_once')).toEqual(once);
    expect(once.users).toHaveLength(8);
    // G2 kept two members, one of whom was deleted (and so left every group); G3 has four.
    expect(once.group_members).toHaveLength(5);
    expect(once.activity).toHaveLength(events.length);
  });

  it('ends with the members, grants and settings the rules give', async () => {
    const { rows: members } = await api.db.pool.query<{ team_id: string; account_id: string; kind: string }>(
      `SELECT team_id, account_id, kind FROM "${PLATFORM_READ_SCHEMA}".team_members ORDER BY team_id, account_id`,
    );
    const account = async (userId: string) =>
      (await api.db.pool.query<{ account_id: string }>(`SELECT account_id FROM "${PLATFORM_READ_SCHEMA}".users WHERE id = $1`, [userId])).rows[0]!.account_id;
    const of = (teamId: string) => members.filter((m) => m.team_id === teamId).map((m) => m.account_id).sort();
    const accounts = async (...indexes: number[]) => (await Promise.all(indexes.map((i) => account(userIds[i]!)))).sort();
    // G3 is 0, 3 (deactivated), 5, 6: the followers A and B have the active ones, A its robot too.
    expect(of(teamIds.a)).toEqual([...(await accounts(0, 5, 6)), '0b0b0b0b-0000-4000-8000-000000000001'].sort());
    expect(of(teamIds.b)).toEqual(await accounts(0, 5, 6));
    // C was detached from the deleted G4 and kept its members (6 and 7).
    expect(of(teamIds.c)).toEqual(await accounts(6, 7));
    const { rows: teams } = await api.db.pool.query(`SELECT id, scim_group_id, link_paused FROM "${PLATFORM_READ_SCHEMA}".teams WHERE id = $1`, [teamIds.c]);
    expect(teams).toEqual([{ id: teamIds.c, scim_group_id: null, link_paused: false }]);
    // G3's grants (0, 5, 6 after 4 left) stayed through the clear; setting G2 (6) revoked the others;
    // disabling SCIM revoked nobody.
    const { rows: admins } = await api.db.pool.query<{ account_id: string }>(`SELECT account_id FROM "${PLATFORM_READ_SCHEMA}".site_admins ORDER BY 1`);
    expect(admins.map((r) => r.account_id)).toEqual(await accounts(6));
    const { rows: settings } = await api.db.pool.query(`SELECT status, site_admin_group_id FROM "${PLATFORM_READ_SCHEMA}".settings`);
    expect(settings).toEqual([{ status: 'enabled', site_admin_group_id: null }]);
  });

  it('platform: equals the live read model, row for row', async () => {
    expect(await dump(PLATFORM_READ_SCHEMA)).toEqual(await dump('once'));
  });

  it('rebuilds both from position zero into fresh tables equal to the live ones, and swaps them in', async () => {
    const live = await dump(PLATFORM_READ_SCHEMA);
    const result = await rebuildProjection({ pool: api.db.pool, store: api.store, projection: platformProjection });
    expect(result.events).toBe(events.length);
    expect(await dump(PLATFORM_READ_SCHEMA)).toEqual(live);
    const liveScim = await dump(SCIM_READ_SCHEMA, SCIM_TABLES);
    const readCommitted = inlineReads(api.store, scimProjection)!;
    await rebuildProjection({ pool: api.db.pool, store: api.store, projection: scimProjection, readCommitted });
    expect(await dump(SCIM_READ_SCHEMA, SCIM_TABLES)).toEqual(liveScim);
    // The service keeps answering from the swapped-in tables.
    expect((await api.scim('get', '/Users?filter=' + encodeURIComponent('userName eq "p1-renamed@example.com"'))).body.totalResults).toBe(1);
  });

  it('writes only the rows that differ when a large roster is replaced', async () => {
    const ids: string[] = [];
    for (let i = 0; i < 60; i++) ids.push((await api.scim('post', '/Users', newUser(`roster${i}@example.com`))).body.id);
    const group = (await api.scim('post', '/Groups', { schemas: [GROUP_SCHEMA], displayName: 'Roster', members: ids.slice(0, 50).map((value) => ({ value })) })).body.id;
    // A row's xmin is the transaction that wrote it: rows left alone keep theirs.
    const rows = async () =>
      new Map(
        (await api.db.pool.query<{ user_id: string; xmin: string }>(`SELECT user_id, xmin::text FROM "${SCIM_READ_SCHEMA}".group_members WHERE group_id = $1`, [group])).rows.map(
          (r) => [r.user_id, r.xmin],
        ),
      );
    const before = await rows();
    // 45 stay, 5 leave, 10 join.
    const roster = [...ids.slice(5, 50), ...ids.slice(50, 60)];
    await api.scim('patch', `/Groups/${group}`, patchOp({ op: 'replace', path: 'members', value: roster.map((value) => ({ value })) }));
    await api.scim('get', `/Groups/${group}`);
    const after = await rows();
    const left = [...before.keys()].filter((id) => !after.has(id));
    const written = [...after].filter(([id, xmin]) => before.get(id) !== xmin);
    expect(left).toHaveLength(5);
    expect(written).toHaveLength(10);
    expect(after.size).toBe(55);
  });
});

function inDays(days: number): string {
  return new Date(Date.now() + days * 24 * 60 * 60 * 1000).toISOString();
}

/**
 * Every event appended, once all are visible to readers (an append is hidden while an older
 * transaction, such as a projection batch, is open), and once the live read model holds them.
 */
async function settled(api: ScimApiUnderTest): Promise<RecordedEvent[]> {
  for (;;) {
    const { rows } = await api.db.pool.query<{ count: string }>('SELECT count(*)::text AS count FROM events');
    const events = await api.allEvents();
    const last = events.at(-1)?.position;
    const checkpoint = await readCheckpoint(api.db.pool, platformProjection.name);
    if (events.length === Number(rows[0]!.count) && last && checkpoint && comparePositions(checkpoint, last) >= 0) return events;
    await delay(20);
  }
}
