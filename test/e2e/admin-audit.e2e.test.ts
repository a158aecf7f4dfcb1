import { formatPosition } from '../../shared/eventstore/position';
import { buildAuditHistory, CI_BOT, type AuditHistory } from '../helpers/audit-history';
import { serviceTeamView } from '../helpers/team-sync';

/**
 * /api/v2/admin/audit over HTTP: the answers of scim-audit for the settings page, against a
 * history built through the SCIM and admin APIs (test/helpers/audit-history.ts).
 */
describe('the admin audit API (/api/v2/admin/audit)', () => {
  let h: AuditHistory;
  const JSON_API = 'application/vnd.api+json';

  beforeAll(async () => {
    h = await buildAuditHistory('admin_audit');
  });

  afterAll(() => h?.api.close());

  describe('GET /audit/subjects?q=', () => {
    it('finds a user by a name it had in the past, with every name it had and the one it has now', async () => {
      const res = await h.api.admin('get', '/audit/subjects?q=JANE.D');
      expect(res.status).toBe(200);
      expect(res.headers['content-type']).toContain(JSON_API);
      expect(res.body).toEqual({
        data: [{ type: 'audit-subjects', id: h.janeId, attributes: { kind: 'user', name: 'janet.doe@example.com', names: ['ext-jane', 'jane.doe@example.com', 'janet.doe@example.com'], deleted: false } }],
      });
    });

    it('finds users, groups and teams by the start of a name, a deleted user marked as such', async () => {
      const john = await h.api.admin('get', '/audit/subjects?q=john');
      expect(john.body.data.map((d: { id: string; attributes: { deleted: boolean } }) => [d.id, d.attributes.deleted]).sort()).toEqual(
        [
          [h.johnId, true],
          [h.johnAgainId, false],
        ].sort(),
      );
      const platform = await h.api.admin('get', '/audit/subjects?q=platform');
      expect(platform.body.data.map((d: { attributes: { kind: string; name: string } }) => [d.attributes.kind, d.attributes.name])).toEqual([
        ['team', 'platform'],
        ['group', 'Platform Engineering'],
      ]);
      expect((await h.api.admin('get', `/audit/subjects?q=${h.groupId}`)).body.data.map((d: { id: string }) => d.id)).toEqual([h.groupId]);
    });

    it('treats % and _ as themselves, and answers 400 naming the parameter for a missing q or a bad limit', async () => {
      expect((await h.api.admin('get', '/audit/subjects?q=%25')).body).toEqual({ data: [] });
      for (const [path, parameter, detail] of [
        ['/audit/subjects', 'q', 'q is required: the start of a name or an id'],
        ['/audit/subjects?q=j&limit=0', 'limit', 'limit must be a whole number from 1 to 100'],
        ['/audit/subjects?q=a&q=b', 'q', 'q must be given once, as a plain value'],
      ]) {
        const res = await h.api.admin('get', path!);
        expect({ path, status: res.status, body: res.body }).toEqual({ path, status: 400, body: { errors: [{ status: '400', title: 'bad request', detail, source: { parameter } }] } });
      }
    });
  });

  describe('GET /audit/{users|groups|teams}/:id/history', () => {
    it("lists a user's events with what changed, the token by its description, the request and its source", async () => {
      const res = await h.api.admin('get', `/audit/users/${h.janeId}/history`);
      expect(res.status).toBe(200);
      expect(res.body.meta).toEqual({ subject: { kind: 'user', id: h.janeId, name: 'janet.doe@example.com', names: ['jane.doe@example.com', 'ext-jane', 'janet.doe@example.com'] } });
      const events = await h.events();
      const rename = events.find((e) => e.metadata.requestId === 'step-rename')!;
      expect(res.body.data[1]).toEqual({
        type: 'audit-events',
        id: rename.id,
        attributes: {
          position: formatPosition(rename.position),
          revision: '1',
          'event-type': 'UserAttributesChanged',
          'schema-version': 1,
          'read-as': null,
          'occurred-at': '2026-03-01T09:50:00.000Z',
          'actor-kind': 'scim-token',
          'actor-id': h.tokenId,
          'actor-label': `SCIM token "Entra ID" (${h.tokenId})`,
          'token-description': 'Entra ID',
          'request-id': 'step-rename',
          'source-ip': (rename.metadata.source as { ip: string }).ip,
          'user-agent': 'Azure AD SCIM Provisioning',
          changes: [{ op: 'changed', path: 'userName', before: 'jane.doe@example.com', after: 'janet.doe@example.com' }],
          data: { userId: h.janeId, set: { userName: 'janet.doe@example.com' }, unset: [] },
        },
      });
      expect(res.body.data.map((d: { attributes: { 'event-type': string } }) => d.attributes['event-type'])).toEqual(['UserProvisioned', 'UserAttributesChanged', 'UserDeactivated', 'UserReactivated']);
    });

    it("lists a group's and a team's events", async () => {
      const group = await h.api.admin('get', `/audit/groups/${h.groupId}/history`);
      expect(group.body.data.map((d: { attributes: { changes: unknown[] } }) => d.attributes.changes)).toEqual([
        [
          { op: 'added', path: 'displayName', after: 'Engineering' },
          { op: 'added', path: 'members', after: `jane.doe@example.com (${h.janeId})` },
        ],
        [{ op: 'changed', path: 'displayName', before: 'Engineering', after: 'Platform Engineering' }],
        [{ op: 'added', path: 'members', after: `john.roe@example.com (${h.johnId})` }],
      ]);
      const team = await h.api.admin('get', `/audit/teams/${h.teamId}/history`);
      expect(team.body.data.map((d: { attributes: { 'event-type': string; 'actor-label': string } }) => [d.attributes['event-type'], d.attributes['actor-label']])).toEqual([
        ['TeamCreated', 'administrator at-bootstrap'],
        ['TeamLinkedToScimGroup', 'administrator at-bootstrap'],
        ['TeamLinkPaused', 'administrator at-bootstrap'],
        ['TeamLinkResumed', 'administrator at-bootstrap'],
      ]);
    });

    it('answers 404 as a JSON:API error for an unknown id, a malformed one or an unknown kind', async () => {
      for (const [path, detail] of [
        ['/audit/users/0b6f1c8e-3c55-4f5e-9a57-1d1a3c0f2e44/history', 'no user 0b6f1c8e-3c55-4f5e-9a57-1d1a3c0f2e44 in the event log'],
        ['/audit/groups/not-a-uuid/history', 'no group not-a-uuid in the event log'],
        ['/audit/teams/platform/history', 'no team platform in the event log'],
        ['/audit/accounts/x/history', 'no API endpoint at GET /api/v2/admin/audit/accounts/x/history'],
      ]) {
        const res = await h.api.admin('get', path!);
        expect({ path, status: res.status, type: res.headers['content-type'], body: res.body }).toEqual({
          path,
          status: 404,
          type: expect.stringContaining(JSON_API),
          body: { errors: [{ status: '404', title: 'not found', detail }] },
        });
      }
    });

    it('answers 405 with Allow for another method, and 401 without an admin token', async () => {
      const res = await h.api.admin('post', `/audit/users/${h.janeId}/history`, { data: {} });
      expect(res.status).toBe(405);
      expect(res.headers.allow).toBe('GET, HEAD');
      expect((await h.api.admin('get', `/audit/users/${h.janeId}/history`, undefined, 'not-a-token-0123456789abcdef0123456789')).status).toBe(401);
    });
  });

  describe('GET /audit/{users|groups|teams}/:id/as-of?at=', () => {
    it('gives the user exactly as GET /scim/v2/Users/{id} answered then, at a time or a position', async () => {
      for (const snapshot of Object.values(h.jane)) {
        const res = await h.api.admin('get', `/audit/users/${h.janeId}/as-of?at=${encodeURIComponent(snapshot.at)}`);
        expect(res.status).toBe(200);
        expect(res.body).toEqual({ data: { type: 'scim-users-as-of', id: h.janeId, attributes: { at: snapshot.at, resource: snapshot.body } } });
      }
      const events = await h.events();
      const between = formatPosition(events.find((e) => e.streamId === `user-${h.janeId}` && e.type === 'UserAttributesChanged')!.position);
      const res = await h.api.admin('get', `/audit/users/${h.janeId}/as-of?at=${between}`);
      expect(res.body.data.attributes).toMatchObject({ at: between, resource: { userName: 'janet.doe@example.com', active: true, meta: { version: 'W/"1"' } } });
    });

    it('gives the group as GET answered then', async () => {
      for (const snapshot of Object.values(h.group)) {
        const res = await h.api.admin('get', `/audit/groups/${h.groupId}/as-of?at=${encodeURIComponent(snapshot.at)}`);
        expect(res.body).toEqual({ data: { type: 'scim-groups-as-of', id: h.groupId, attributes: { at: snapshot.at, resource: snapshot.body } } });
      }
    });

    it("gives a team's effective members then, and now the service's own", async () => {
      const paused = await h.api.admin('get', `/audit/teams/${h.teamId}/as-of?at=2026-03-01T10:30:00Z`);
      expect(paused.body.data).toEqual({
        type: 'team-members-as-of',
        id: h.teamId,
        attributes: {
          at: '2026-03-01T10:30:00.000Z',
          name: 'platform',
          'is-owners': false,
          'scim-group-id': h.groupId,
          'scim-group-display-name': 'Platform Engineering',
          'link-paused': true,
          members: expect.arrayContaining([
            { 'account-id': CI_BOT, kind: 'service-account', username: 'ci-bot' },
            expect.objectContaining({ kind: 'user', username: 'jane.doe@example.com' }),
            expect.objectContaining({ kind: 'user', username: 'john.roe@example.com' }),
          ]),
        },
      });
      expect(paused.body.data.attributes.members).toHaveLength(3);
      const now = await h.api.admin('get', `/audit/teams/${h.teamId}/as-of?at=${encodeURIComponent(new Date().toISOString())}`);
      const service = (await serviceTeamView(h.api.db.pool)).teamMembers.filter((m) => m.teamId === h.teamId);
      expect(now.body.data.attributes.members).toEqual(service.map((m) => ({ 'account-id': m.accountId, kind: m.kind, username: m.username })));
    });

    it('answers 404 when it did not exist then, and 400 naming `at` when it is missing or not an instant', async () => {
      const before = await h.api.admin('get', `/audit/users/${h.janeId}/as-of?at=2026-03-01T09:00:00Z`);
      expect(before.status).toBe(404);
      expect(before.body.errors[0].detail).toBe(`User ${h.janeId} did not exist at 2026-03-01T09:00:00.000Z: it was created at 2026-03-01T09:10:00.000Z`);
      for (const query of ['', '?at=', '?at=yesterday', '?at=2026-03-01T09:00:00']) {
        const res = await h.api.admin('get', `/audit/groups/${h.groupId}/as-of${query}`);
        expect({ query, status: res.status, parameter: res.body.errors?.[0]?.source }).toEqual({ query, status: 400, parameter: { parameter: 'at' } });
      }
    });
  });
});
