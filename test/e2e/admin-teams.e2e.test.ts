import { randomUUID } from 'node:crypto';
import express, { type NextFunction, type Request, type Response } from 'express';
import request from 'supertest';
import { activityRoutes } from '../../services/scim-api/admin/activity-routes';
import { scimGroupsRoutes } from '../../services/scim-api/admin/scim-groups-routes';
import { createTeamCommands, linkedTeamCount, type TeamCommands } from '../../services/scim-api/commands/teams';
import { teamsRoutes } from '../../services/scim-api/admin/teams-routes';
import { polledCheckpoints } from '../../services/scim-api/read/checkpoint-stream';
import { ReadYourWrites } from '../../services/scim-api/read/read-your-writes';
import { createTeamQueries, type TeamQueries } from '../../services/scim-api/read/team-queries';
import { createCommandDependencies, handleCommand, type CommandDependencies } from '../../shared/commands/handle-command';
import { createStreamWriter } from '../../shared/commands/stream-writer';
import type { CommandContext } from '../../shared/domain/metadata';
import { SETTINGS_STREAM, settingsDecider } from '../../shared/domain/settings/settings';
import { OWNERS_TEAM_ID } from '../../shared/domain/teams/team';
import { jsonApiErrorMiddleware } from '../../services/scim-api/admin/json-api';
import { serviceLogger } from '../helpers/service-logs';
import { GROUP_SCHEMA, newUser, patchOp, startScimApi, type ScimApiUnderTest } from '../helpers/scim-api';

const JSON_API = 'application/vnd.api+json';
const ADMIN = { kind: 'admin', id: 'at-e2e' } as const;

/**
 * The admin team routes over a running SCIM API's database and store, mounted as the admin router
 * will mount them: authenticated (req.actor set), JSON:API bodies, ScimError rendered as JSON:API.
 * The limits are lowered: 3 members per linkable group, 2 teams per group.
 */
describe('admin API: teams and their SCIM group mapping', () => {
  let api: ScimApiUnderTest;
  let app: express.Express;
  let commands: TeamCommands;
  let queries: TeamQueries;
  let readYourWrites: ReadYourWrites;
  let deps: CommandDependencies;

  beforeAll(async () => {
    api = await startScimApi('admin_teams');
    readYourWrites = new ReadYourWrites(polledCheckpoints(api.db.pool, 'platform'), 5_000);
    deps = createCommandDependencies(api.store, createStreamWriter(api.db.pool, api.store), (position) => readYourWrites.acknowledge(position));
    commands = createTeamCommands({ deps, pool: api.db.pool, rules: { maxGroupMembers: 3, maxTeamsPerGroup: 2 } });
    queries = createTeamQueries(api.db.pool);
    await commands.ensureOwnersTeam(systemContext());
    const clock = { now: () => new Date() };
    app = express();
    app.use((req: Request, _res: Response, next: NextFunction) => {
      req.id = randomUUID();
      req.log = serviceLogger();
      req.actor = ADMIN;
      next();
    });
    app.use(express.json({ type: [JSON_API, 'application/json'] }));
    app.use('/api/v2/admin/teams', teamsRoutes({ commands, queries, readYourWrites, clock }));
    app.use('/api/v2/admin/scim-groups', scimGroupsRoutes({ queries, readYourWrites }));
    app.use('/api/v2/admin/scim-activity', activityRoutes({ pool: api.db.pool, readYourWrites }));
    app.use(jsonApiErrorMiddleware);
  });

  afterAll(async () => {
    await api.close();
  });

  const admin = (method: 'get' | 'post' | 'patch' | 'delete', path: string, body?: unknown) => {
    const test = request(app)[method](`/api/v2/admin${path}`);
    return body === undefined ? test : test.set('Content-Type', JSON_API).send(JSON.stringify(body));
  };
  const mapping = (groupId: string) => ({ data: { type: 'scim-group-mapping', attributes: { 'scim-group-id': groupId } } });
  const link = (teamId: string, groupId: string) => admin('post', `/teams/${teamId}/scim-group-mapping`, mapping(groupId));
  const pause = (teamId: string, paused: boolean) =>
    admin('patch', `/teams/${teamId}/scim-group-mapping`, { data: { type: 'scim-group-mappings', attributes: { 'scim-sync-paused': paused } } });
  const team = async (teamId: string) => {
    await scimSettled();
    return (await admin('get', `/teams/${teamId}`)).body.data.attributes;
  };

  let teamCounter = 0;
  async function createTeam(serviceAccounts?: unknown[]): Promise<string> {
    const attributes = { name: `team ${++teamCounter}`, ...(serviceAccounts ? { 'service-accounts': serviceAccounts } : {}) };
    const res = await admin('post', '/teams', { data: { type: 'teams', attributes } });
    expect(res.status).toBe(201);
    return res.body.data.id as string;
  }

  let userCounter = 0;
  /** A SCIM user; its platform account id is what team members and site admins are made of. */
  async function createUser(active = true): Promise<{ id: string; userName: string; accountId: string }> {
    const userName = `member${++userCounter}@example.com`;
    const res = await api.scim('post', '/Users', newUser(userName, { active }));
    expect(res.status).toBe(201);
    const { rows } = await api.db.pool.query<{ account_id: string }>('SELECT account_id FROM scim_read.users WHERE id = $1', [res.body.id]);
    return { id: res.body.id as string, userName, accountId: rows[0]!.account_id };
  }

  let groupCounter = 0;
  async function createGroup(members: { id: string }[]): Promise<string> {
    const res = await api.scim('post', '/Groups', { schemas: [GROUP_SCHEMA], displayName: `group ${++groupCounter}`, members: members.map((m) => ({ value: m.id })) });
    expect(res.status).toBe(201);
    return res.body.id as string;
  }

  const setActive = (userId: string, active: boolean) => api.scim('patch', `/Users/${userId}`, patchOp({ op: 'replace', path: 'active', value: active }));
  const addMembers = (groupId: string, ...users: { id: string }[]) =>
    api.scim('patch', `/Groups/${groupId}`, patchOp({ op: 'add', path: 'members', value: users.map((u) => ({ value: u.id })) }));
  const removeMember = (groupId: string, user: { id: string }) =>
    api.scim('patch', `/Groups/${groupId}`, patchOp({ op: 'remove', path: `members[value eq "${user.id}"]` }));

  /** The SCIM API's own read-your-writes: its GET returns once the read model holds its writes. */
  /** The platform read model holds every write so far (SCIM writes included, which this app did not acknowledge). */
  const scimSettled = async () => {
    const head = await api.store.headPosition();
    if (head) readYourWrites.acknowledge(head);
    await readYourWrites.wait();
  };

  async function members(teamId: string): Promise<{ 'account-id': string; kind: string; username: string; 'scim-username': string | null }[]> {
    await scimSettled();
    const res = await admin('get', `/teams/${teamId}`);
    expect(res.status).toBe(200);
    return res.body.data.attributes.members;
  }
  const accountIds = async (teamId: string) => (await members(teamId)).map((m) => m['account-id']).sort();
  const sorted = (...users: { accountId: string }[]) => users.map((u) => u.accountId).sort();

  /** As the settings service will: the settings decider, appended through this app's dependencies. */
  async function setSiteAdminGroup(groupId: string | null): Promise<void> {
    await handleCommand(deps, SETTINGS_STREAM, settingsDecider, { type: 'SetSiteAdminGroup', data: { groupId }, context: systemContext() });
  }
  async function siteAdmins(): Promise<string[]> {
    await scimSettled();
    await readYourWrites.wait();
    return (await queries.siteAdmins()).sort();
  }

  describe('POST /teams and GET /teams', () => {
    it('creates a team with its service accounts: 201, a TeamCreated event', async () => {
      const res = await admin('post', '/teams', { data: { type: 'teams', attributes: { name: 'Platform', 'service-accounts': ['ci-robot'] } } });
      expect(res.status).toBe(201);
      expect(res.headers['content-type']).toMatch(/^application\/vnd\.api\+json/);
      expect(res.body.data).toMatchObject({
        type: 'teams',
        attributes: {
          name: 'Platform',
          'users-count': 0,
          'scim-linked': false,
          'scim-group-name': null,
          'scim-updated-at': null,
          'scim-sync-paused': false,
          'is-owners': false,
          'scim-group-id': null,
        },
      });
      expect(res.body.data.id).toMatch(/^team-[0-9a-f-]{36}$/);
      expect(res.body.data.attributes.members).toEqual([
        { 'account-id': expect.any(String), username: 'ci-robot', kind: 'service-account', 'scim-username': null, 'scim-updated-at': null },
      ]);
      const events = await api.store.readStream(res.body.data.id);
      expect(events.map((e) => e.type)).toEqual(['TeamCreated']);
      expect(events[0]!.metadata).toMatchObject({ actor: ADMIN });
    });

    it('rejects a name another team has, in any case, with 409', async () => {
      await admin('post', '/teams', { data: { type: 'teams', attributes: { name: 'Security' } } });
      const res = await admin('post', '/teams', { data: { type: 'teams', attributes: { name: 'SECURITY' } } });
      expect(res.status).toBe(409);
      expect(res.body).toEqual({ errors: [{ status: '409', title: 'conflict', detail: expect.stringMatching(/team name "SECURITY" is already taken/) }] });
    });

    it('rejects the owners team name (it exists from the start) with 409', async () => {
      expect((await admin('post', '/teams', { data: { type: 'teams', attributes: { name: 'Owners' } } })).status).toBe(409);
    });

    it('rejects a document of another type with 400, a missing or mistyped attribute with 422', async () => {
      expect((await admin('post', '/teams', { data: { type: 'users', attributes: { name: 'x' } } })).status).toBe(400);
      expect((await admin('post', '/teams', { data: { type: 'teams', attributes: {} } })).status).toBe(422);
      expect((await admin('post', '/teams', { data: { type: 'teams', attributes: { name: 'x', 'service-accounts': 'robot' } } })).status).toBe(422);
    });

    it('rejects U+0000 or a lone surrogate in a name with 422 and creates nothing', async () => {
      const before = (await admin('get', '/teams')).body.data.length;
      for (const name of ['nul\u0000team', 'lone\ud800team']) {
        const res = await admin('post', '/teams', { data: { type: 'teams', attributes: { name } } });
        expect(res.status).toBe(422);
        expect(res.body.errors[0]).toMatchObject({ status: '422', source: { pointer: '/data/attributes/name' }, detail: expect.stringMatching(/U\+0000 or an unpaired surrogate/) });
      }
      const robot = await admin('post', '/teams', { data: { type: 'teams', attributes: { name: 'robots', 'service-accounts': [{ name: 'r\udc00' }] } } });
      expect(robot.status).toBe(422);
      expect(robot.body.errors[0].source).toEqual({ pointer: '/data/attributes/service-accounts/0/name' });
      expect((await admin('get', '/teams')).body.data.length).toBe(before);
    });

    it('lists every team, the owners team first', async () => {
      const res = await admin('get', '/teams');
      expect(res.status).toBe(200);
      expect(res.body.data[0]).toMatchObject({ id: OWNERS_TEAM_ID, type: 'teams', attributes: { name: 'owners', 'is-owners': true, 'scim-linked': false, members: [] } });
      expect(res.body.data.map((t: { attributes: { name: string } }) => t.attributes.name)).toEqual(expect.arrayContaining(['Platform', 'Security']));
    });

    it('answers 404 for an unknown team, and for an id that could not be one', async () => {
      expect((await admin('get', `/teams/team-${randomUUID()}`)).status).toBe(404);
      expect((await admin('get', '/teams/group-1')).status).toBe(404);
    });
  });

  describe('POST /teams/:id/scim-group-mapping (link)', () => {
    it('replaces the human members with the group\'s active members and keeps service accounts', async () => {
      const [alice, bob, carol] = [await createUser(), await createUser(), await createUser()];
      const first = await createGroup([alice]);
      const second = await createGroup([bob, carol]);
      const teamId = await createTeam([{ name: 'deploy-bot' }]);
      const robot = (await members(teamId))[0]!;
      expect((await link(teamId, first)).status).toBe(204);
      expect(await accountIds(teamId)).toEqual([robot['account-id'], alice.accountId].sort());
      // Unlinking keeps the members as they are; linking again replaces them.
      expect((await admin('delete', `/teams/${teamId}/scim-group-mapping`)).status).toBe(204);
      expect(await accountIds(teamId)).toEqual([robot['account-id'], alice.accountId].sort());
      const res = await link(teamId, second);
      expect(res.status).toBe(204);
      expect(res.text).toBe('');
      expect(await team(teamId)).toMatchObject({
        'scim-linked': true,
        'scim-group-id': second,
        'scim-group-name': expect.stringMatching(/^group /),
        'scim-sync-paused': false,
        'scim-updated-at': expect.stringMatching(/^\d{4}-\d\d-\d\dT/),
        'users-count': 2,
      });
      expect(await accountIds(teamId)).toEqual([robot['account-id'], bob.accountId, carol.accountId].sort());
      expect(await members(teamId)).toContainEqual({
        'account-id': bob.accountId,
        username: bob.userName,
        kind: 'user',
        'scim-username': bob.userName,
        'scim-updated-at': expect.stringMatching(/^\d{4}-\d\d-\d\dT/),
      });
      expect((await api.store.readStream(teamId)).map((e) => e.type)).toEqual([
        'TeamCreated',
        'TeamLinkedToScimGroup',
        'TeamUnlinkedFromScimGroup',
        'TeamLinkedToScimGroup',
      ]);
    });

    it('leaves a deactivated user out, adds them when reactivated, and takes out one who leaves the group', async () => {
      const [alice, bob] = [await createUser(), await createUser(false)];
      const groupId = await createGroup([alice, bob]);
      const teamId = await createTeam();
      await link(teamId, groupId);
      expect(await accountIds(teamId)).toEqual(sorted(alice));
      await setActive(bob.id, true);
      expect(await accountIds(teamId)).toEqual(sorted(alice, bob));
      await setActive(alice.id, false);
      expect(await accountIds(teamId)).toEqual(sorted(bob));
      await removeMember(groupId, bob);
      expect(await accountIds(teamId)).toEqual([]);
      const carol = await createUser();
      await addMembers(groupId, carol);
      expect(await accountIds(teamId)).toEqual(sorted(carol));
      await api.scim('delete', `/Users/${carol.id}`);
      expect(await accountIds(teamId)).toEqual([]);
    });

    it('rejects the owners team with 422', async () => {
      const groupId = await createGroup([await createUser()]);
      const res = await link(OWNERS_TEAM_ID, groupId);
      expect(res.status).toBe(422);
      expect(res.body.errors[0]).toMatchObject({ status: '422', title: 'unprocessable entity', detail: expect.stringContaining('Owners team SCIM linking is not yet supported') });
    });

    it('rejects the site-admin group with 422', async () => {
      const groupId = await createGroup([await createUser()]);
      await setSiteAdminGroup(groupId);
      try {
        const res = await link(await createTeam(), groupId);
        expect(res.status).toBe(422);
        expect(res.body.errors[0].detail).toContain('The site admin group cannot be linked to a team');
      } finally {
        await setSiteAdminGroup(null);
      }
    });

    it('rejects a group over the member limit (lowered to 3 here) with 413', async () => {
      const users = [await createUser(), await createUser(), await createUser(), await createUser()];
      const groupId = await createGroup(users);
      const teamId = await createTeam();
      const res = await link(teamId, groupId);
      expect(res.status).toBe(413);
      expect(res.body.errors[0].detail).toMatch(/over 3 members cannot be linked.*has 4/);
      // Three is fine.
      await removeMember(groupId, users[0]!);
      expect((await link(teamId, groupId)).status).toBe(204);
    });

    it('rejects a team that is already linked with 409, to another group or the same', async () => {
      const groupId = await createGroup([await createUser()]);
      const other = await createGroup([await createUser()]);
      const teamId = await createTeam();
      expect((await link(teamId, groupId)).status).toBe(204);
      for (const target of [other, groupId]) {
        const res = await link(teamId, target);
        expect(res.status).toBe(409);
        // go-tfe's ErrSCIMTeamAlreadyMapped is exactly "conflict\n\n" + this detail.
        expect(res.body.errors).toEqual([{ status: '409', title: 'conflict', detail: 'Team is already linked to a SCIM group' }]);
      }
    });

    it('rejects a link past the teams-per-group limit (lowered to 2 here) with 422', async () => {
      const groupId = await createGroup([await createUser()]);
      const teams = [await createTeam(), await createTeam(), await createTeam()];
      expect((await link(teams[0]!, groupId)).status).toBe(204);
      expect((await link(teams[1]!, groupId)).status).toBe(204);
      const res = await link(teams[2]!, groupId);
      expect(res.status).toBe(422);
      expect(res.body.errors[0].detail).toMatch(/links to at most 2 teams/);
      expect(await linkedTeamCount(api.db.pool, groupId)).toBe(2);
      // An unlink frees a place.
      await admin('delete', `/teams/${teams[0]}/scim-group-mapping`);
      expect((await link(teams[2]!, groupId)).status).toBe(204);
    });

    it('answers 404 for an unknown group, an unknown team, and a deleted group', async () => {
      const teamId = await createTeam();
      expect((await link(teamId, randomUUID())).status).toBe(404);
      expect((await link(teamId, 'not-a-uuid')).status).toBe(404);
      expect((await link(`team-${randomUUID()}`, await createGroup([]))).status).toBe(404);
      const deleted = await createGroup([]);
      await api.scim('delete', `/Groups/${deleted}`);
      expect((await link(teamId, deleted)).status).toBe(404);
    });

    it('rejects a body without scim-group-id with 422, and one of another type with 400', async () => {
      const teamId = await createTeam();
      const missing = await admin('post', `/teams/${teamId}/scim-group-mapping`, { data: { type: 'scim-group-mapping', attributes: {} } });
      expect(missing.status).toBe(422);
      expect(missing.body.errors[0].source).toEqual({ pointer: '/data/attributes/scim-group-id' });
      expect((await admin('post', `/teams/${teamId}/scim-group-mapping`, { data: { type: 'teams', attributes: { 'scim-group-id': randomUUID() } } })).status).toBe(400);
      expect((await api.store.readStream(teamId)).map((e) => e.type)).toEqual(['TeamCreated']);
    });

    it('accepts the singular type of the platform\'s page and the plural go-tfe sends', async () => {
      const groupId = await createGroup([await createUser()]);
      for (const type of ['scim-group-mapping', 'scim-group-mappings']) {
        const teamId = await createTeam();
        expect((await admin('post', `/teams/${teamId}/scim-group-mapping`, { data: { type, attributes: { 'scim-group-id': groupId } } })).status).toBe(204);
      }
    });
  });

  describe('PATCH /teams/:id/scim-group-mapping (pause, resume)', () => {
    it('pauses: keeps the members and stops updates; resumes: reconciles at once', async () => {
      const [alice, bob, carol] = [await createUser(), await createUser(), await createUser()];
      const groupId = await createGroup([alice, bob]);
      const teamId = await createTeam();
      await link(teamId, groupId);
      const linkedAt = (await team(teamId))['scim-updated-at'] as string;
      const paused = await pause(teamId, true);
      expect(paused.status).toBe(204);
      expect(await team(teamId)).toMatchObject({ 'scim-linked': true, 'scim-sync-paused': true, 'scim-updated-at': linkedAt });

      await addMembers(groupId, carol);
      await removeMember(groupId, alice);
      await setActive(bob.id, false);
      expect(await accountIds(teamId)).toEqual(sorted(alice, bob));

      expect((await team(teamId))['scim-updated-at']).toBe(linkedAt);

      const resumed = await pause(teamId, false);
      expect(resumed.status).toBe(204);
      const after = await team(teamId);
      expect(after).toMatchObject({ 'scim-sync-paused': false, 'scim-group-id': groupId });
      expect(Date.parse(after['scim-updated-at'])).toBeGreaterThan(Date.parse(linkedAt));
      expect(await accountIds(teamId)).toEqual(sorted(carol));
      // And it follows again.
      await setActive(bob.id, true);
      expect(await accountIds(teamId)).toEqual(sorted(bob, carol));
    });

    it('changes nothing when pausing a paused link or resuming an active one', async () => {
      const teamId = await createTeam();
      await link(teamId, await createGroup([await createUser()]));
      expect((await pause(teamId, false)).status).toBe(204);
      expect((await pause(teamId, true)).status).toBe(204);
      expect((await pause(teamId, true)).status).toBe(204);
      expect((await api.store.readStream(teamId)).map((e) => e.type)).toEqual(['TeamCreated', 'TeamLinkedToScimGroup', 'TeamLinkPaused']);
    });

    it('rejects a team that is not linked with 409, in the words go-tfe compares', async () => {
      const teamId = await createTeam();
      for (const res of [await pause(teamId, true), await pause(teamId, false), await admin('delete', `/teams/${teamId}/scim-group-mapping`)]) {
        expect(res.status).toBe(409);
        expect(res.body.errors).toEqual([{ status: '409', title: 'conflict', detail: 'Team is not linked to a SCIM group' }]);
      }
    });

    it('rejects scim-sync-paused missing or not a boolean with 422, and changes nothing', async () => {
      const teamId = await createTeam();
      await link(teamId, await createGroup([await createUser()]));
      for (const attributes of [{}, { 'scim-sync-paused': 'true' }, { 'scim-sync-paused': 1 }, { 'scim-sync-paused': null }, { paused: true }]) {
        const res = await admin('patch', `/teams/${teamId}/scim-group-mapping`, { data: { type: 'scim-group-mapping', attributes } });
        expect({ attributes, status: res.status }).toEqual({ attributes, status: 422 });
        expect(res.body.errors[0]).toMatchObject({ status: '422', source: { pointer: '/data/attributes/scim-sync-paused' }, detail: expect.stringMatching(/must be a boolean/) });
      }
      expect((await api.store.readStream(teamId)).map((e) => e.type)).toEqual(['TeamCreated', 'TeamLinkedToScimGroup']);
    });
  });

  describe('when a linked group is deleted', () => {
    it('detaches every team linked to it; their members stay', async () => {
      const alice = await createUser();
      const groupId = await createGroup([alice]);
      const teams = [await createTeam(), await createTeam()];
      for (const teamId of teams) await link(teamId, groupId);
      expect(await api.scim('delete', `/Groups/${groupId}`).then((r) => r.status)).toBe(204);
      // What the SCIM API does after a GroupDeleted: a second call changes nothing.
      await commands.detachGroupFromTeams(groupId, systemContext(), 'group-deleted');
      await commands.detachGroupFromTeams(groupId, systemContext(), 'group-deleted');
      for (const teamId of teams) {
        const events = await api.store.readStream(teamId);
        expect(events.map((e) => e.type)).toEqual(['TeamCreated', 'TeamLinkedToScimGroup', 'TeamUnlinkedFromScimGroup']);
        expect(events[2]!.data).toEqual({ teamId, groupId, reason: 'group-deleted' });
        await scimSettled();
        const res = await admin('get', `/teams/${teamId}`);
        expect(res.body.data.attributes).toMatchObject({ 'scim-linked': false, 'scim-group-id': null, 'scim-group-name': null, 'scim-updated-at': null, 'scim-sync-paused': false });
        expect(res.body.data.attributes.members.map((m: { 'account-id': string }) => m['account-id'])).toEqual(sorted(alice));
      }
      expect(await linkedTeamCount(api.db.pool, groupId)).toBe(0);
    });
  });

  describe('the site-admin group', () => {
    it('grants its active members, follows its membership, revokes on change, revokes nobody when cleared', async () => {
      const [alice, bob, carol, dave] = [await createUser(), await createUser(), await createUser(false), await createUser()];
      const first = await createGroup([alice, bob, carol]);
      const second = await createGroup([bob, dave]);

      // Setting it revokes every SCIM grant its active members do not hold (an earlier test's group
      // was set and cleared: its member kept the grant until now).
      await setSiteAdminGroup(first);
      expect(await siteAdmins()).toEqual(sorted(alice, bob));
      await setActive(carol.id, true);
      expect(await siteAdmins()).toEqual(sorted(alice, bob, carol));
      await setActive(alice.id, false);
      await removeMember(first, carol);
      expect(await siteAdmins()).toEqual(sorted(bob));
      await setActive(alice.id, true);
      expect(await siteAdmins()).toEqual(sorted(alice, bob));

      // Changing it revokes the previous members' SCIM grants and grants the new ones.
      await setSiteAdminGroup(second);
      expect(await siteAdmins()).toEqual(sorted(bob, dave));

      // Clearing it revokes nobody, and the grants stop following the group.
      await setSiteAdminGroup(null);
      expect(await siteAdmins()).toEqual(sorted(bob, dave));
      await removeMember(second, dave);
      await addMembers(second, alice);
      expect(await siteAdmins()).toEqual(sorted(bob, dave));
    });
  });

  describe('GET /scim-groups', () => {
    it('lists the provisioned groups with their member counts and linked teams', async () => {
      const groupId = await createGroup([await createUser(), await createUser()]);
      const teamId = await createTeam();
      await link(teamId, groupId);
      await scimSettled();
      const res = await admin('get', `/scim-groups?page[size]=100`);
      expect(res.status).toBe(200);
      const group = res.body.data.find((g: { id: string }) => g.id === groupId);
      expect(group).toEqual({ id: groupId, type: 'scim-groups', attributes: { name: expect.stringMatching(/^group /), 'member-count': 2, 'linked-team-ids': [teamId] } });
    });

    it('filters by a case-insensitive part of the name, with % and _ matched literally', async () => {
      const prefix = `Q${randomUUID().slice(0, 8)}`;
      for (const name of ['this-group-exists', 'matching-group-1', 'matching-group-2', 'CaSe-InSeNsItIvE-gRoUp', '50%_off']) {
        expect((await api.scim('post', '/Groups', { schemas: [GROUP_SCHEMA], displayName: `${prefix}-${name}` })).status).toBe(201);
      }
      await scimSettled();
      const count = async (q: string) => (await admin('get', `/scim-groups?q=${encodeURIComponent(q)}`)).body.meta.pagination['total-count'];
      expect(await count(`${prefix}-matching-group-`)).toBe(2);
      expect(await count(`${prefix.toLowerCase()}-case-insensitive-group`)).toBe(1);
      expect(await count(`${prefix}-does-not-exist`)).toBe(0);
      expect(await count(`${prefix}-50%_`)).toBe(1);
      expect(await count(`${prefix}-5_`)).toBe(0);
    });

    it('pages 20 by default with links and meta.pagination; a page past the end is empty', async () => {
      const prefix = `P${randomUUID().slice(0, 8)}`;
      for (let i = 0; i < 23; i++) await api.scim('post', '/Groups', { schemas: [GROUP_SCHEMA], displayName: `${prefix}-${String(i).padStart(2, '0')}` });
      await scimSettled();
      const first = await admin('get', `/scim-groups?q=${prefix}`);
      expect(first.body.data).toHaveLength(20);
      expect(first.body.meta.pagination).toEqual({ 'current-page': 1, 'page-size': 20, 'prev-page': null, 'next-page': 2, 'total-pages': 2, 'total-count': 23 });
      const base = `${first.request.url.split('?')[0]}?page%5Bnumber%5D=`;
      expect(first.body.links).toEqual({
        self: `${base}1&page%5Bsize%5D=20&q=${prefix}`,
        first: `${base}1&page%5Bsize%5D=20&q=${prefix}`,
        prev: null,
        next: `${base}2&page%5Bsize%5D=20&q=${prefix}`,
        last: `${base}2&page%5Bsize%5D=20&q=${prefix}`,
      });
      const second = await admin('get', `/scim-groups?q=${prefix}&page%5Bnumber%5D=2`);
      expect(second.body.data.map((g: { attributes: { name: string } }) => g.attributes.name)).toEqual([`${prefix}-20`, `${prefix}-21`, `${prefix}-22`]);
      expect(second.body.meta.pagination).toMatchObject({ 'current-page': 2, 'prev-page': 1, 'next-page': null });
      const small = await admin('get', `/scim-groups?q=${prefix}&page[size]=10&page[number]=3`);
      expect(small.body.meta.pagination).toEqual({ 'current-page': 3, 'page-size': 10, 'prev-page': 2, 'next-page': null, 'total-pages': 3, 'total-count': 23 });
      const beyond = await admin('get', `/scim-groups?q=${prefix}&page[size]=10&page[number]=9`);
      expect(beyond.body.data).toEqual([]);
      expect(beyond.body.meta.pagination).toMatchObject({ 'current-page': 9, 'total-count': 23, 'total-pages': 3, 'next-page': null });
      const none = await admin('get', `/scim-groups?q=${prefix}-none`);
      expect(none.body).toMatchObject({ data: [], meta: { pagination: { 'current-page': 1, 'total-pages': 1, 'total-count': 0, 'prev-page': null, 'next-page': null } } });
    });

    it.each([
      ['page[number]=0', 'page[number]'],
      ['page[number]=two', 'page[number]'],
      ['page[size]=101', 'page[size]'],
      ['page[size]=-1', 'page[size]'],
      ['q=a&q=b', 'q'],
      ['q=%00', 'q'],
    ])('answers 400 naming the parameter for %s', async (query, parameter) => {
      const res = await admin('get', `/scim-groups?${query}`);
      expect(res.status).toBe(400);
      expect(res.body.errors[0]).toMatchObject({ status: '400', source: { parameter } });
    });
  });

  describe('GET /scim-activity', () => {
    it('lists the most recent events, newest first, with actor, request id and the token\'s description', async () => {
      const teamId = await createTeam();
      await createUser();
      await scimSettled();
      const res = await admin('get', '/scim-activity?limit=2');
      expect(res.status).toBe(200);
      expect(res.body.data).toHaveLength(2);
      const [provisioned, created] = res.body.data;
      expect(provisioned).toMatchObject({
        type: 'scim-activities',
        attributes: { 'event-type': 'UserProvisioned', 'actor-kind': 'scim-token', 'token-description': 'SCIM_BOOTSTRAP_TOKEN', summary: `user member${userCounter}@example.com provisioned` },
      });
      expect(created).toMatchObject({
        attributes: { 'event-type': 'TeamCreated', 'stream-id': teamId, 'actor-kind': 'admin', 'actor-id': ADMIN.id, 'token-description': null, summary: `team team ${teamCounter} created` },
      });
      expect(created.attributes['request-id']).toMatch(/^[0-9a-f-]{36}$/);
      expect(Date.parse(created.attributes['occurred-at'])).toBeLessThanOrEqual(Date.parse(provisioned.attributes['occurred-at']));
    });

    it('answers 50 by default and rejects a limit outside 1..200 with 400', async () => {
      expect((await admin('get', '/scim-activity')).body.data).toHaveLength(50);
      for (const limit of ['0', '201', 'ten', '1.5']) expect((await admin('get', `/scim-activity?limit=${limit}`)).status).toBe(400);
      expect((await admin('get', '/scim-activity?limit=200')).status).toBe(200);
    });
  });
});

function systemContext(): CommandContext {
  const id = randomUUID();
  return { commandId: id, requestId: id, correlationId: id, actor: { kind: 'system', id: 'e2e' }, source: {}, now: new Date().toISOString() };
}
