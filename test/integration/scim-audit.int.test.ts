import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { PassThrough } from 'node:stream';
import { scimProjection } from '../../projections/scim/projection';
import { runCli } from '../../services/audit/cli';
import { exportRecord } from '../../services/audit/export';
import { projectRoot } from '../../shared/db/project-root';
import type { RecordedEvent } from '../../shared/eventstore/port';
import { formatPosition } from '../../shared/eventstore/position';
import { buildAuditHistory, CI_BOT, ENTRA_AGENT, type AuditHistory } from '../helpers/audit-history';
import { serviceTeamView } from '../helpers/team-sync';

/**
 * scim-audit, every command, against a history built through the real SCIM and admin APIs
 * (test/helpers/audit-history.ts), on the Postgres store. The commands run in process (runCli,
 * the same function the binary runs); one test runs the binary itself.
 */
describe('scim-audit', () => {
  let h: AuditHistory;
  let events: RecordedEvent[];
  let dir: string;
  const BASE_URL = 'https://scim.test/scim/v2';

  beforeAll(async () => {
    h = await buildAuditHistory('scim_audit');
    events = await h.events();
    dir = mkdtempSync(path.join(tmpdir(), 'scim-audit-'));
  });

  afterAll(async () => {
    await h?.api.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  const env = () => ({ DATABASE_URL: h.api.db.url, SCIM_BASE_URL: BASE_URL });

  async function cli(...argv: string[]): Promise<{ code: number; out: string; err: string }> {
    const stdout = new PassThrough();
    const stderr = new PassThrough();
    let out = '';
    let err = '';
    stdout.on('data', (chunk: Buffer) => (out += chunk.toString('utf8')));
    stderr.on('data', (chunk: Buffer) => (err += chunk.toString('utf8')));
    const code = await runCli(argv, { stdout, stderr, env: env() });
    return { code, out, err };
  }

  /** The position of a stream's event at `revision`. */
  const at = (streamId: string, revision: number) => formatPosition(events.find((e) => e.streamId === streamId && e.revision === BigInt(revision))!.position);
  const by = (requestId: string) => {
    const event = events.find((e) => e.metadata.requestId === requestId)!;
    const ip = (event.metadata.source as { ip: string }).ip;
    return event.metadata.actor && (event.metadata.actor as { kind: string }).kind === 'admin'
      ? `    by administrator at-bootstrap; request ${requestId}; from ${ip}`
      : `    by SCIM token "Entra ID" (${h.tokenId}); request ${requestId}; from ${ip} "${ENTRA_AGENT}"`;
  };

  describe('history', () => {
    it("tells a user's history, found by a name it no longer has: each event with time, type, diff, token, request and source", async () => {
      const user = `user-${h.janeId}`;
      const result = await cli('history', 'user', 'JANE.DOE@example.com');

      expect(result).toEqual({ code: 0, err: '', out: expect.any(String) });
      expect(result.out).toBe(
        [
          `History of user ${h.janeId} "janet.doe@example.com", also known as "jane.doe@example.com", "ext-jane": 4 events`,
          '',
          `2026-03-01T09:10:00.000Z  UserProvisioned  revision 0, position ${at(user, 0)}`,
          by('step-jane'),
          '    + userName: "jane.doe@example.com"',
          '    + name: {"givenName":"Jane","familyName":"Doe"}',
          '    + title: "Engineer"',
          '    + emails: [{"type":"work","value":"jane.doe@example.com","primary":true}]',
          '    + externalId: "ext-jane"',
          '    + active: true',
          '',
          `2026-03-01T09:50:00.000Z  UserAttributesChanged  revision 1, position ${at(user, 1)}`,
          by('step-rename'),
          '    ~ userName: "jane.doe@example.com" → "janet.doe@example.com"',
          '',
          `2026-03-01T09:50:00.000Z  UserDeactivated  revision 2, position ${at(user, 2)}`,
          by('step-rename'),
          '    ~ active: true → false',
          '',
          `2026-03-01T10:10:00.000Z  UserReactivated  revision 3, position ${at(user, 3)}`,
          by('step-reactivate'),
          '    ~ active: false → true',
          '',
        ].join('\n'),
      );
    });

    it('finds the same user by its userName now, its externalId and its id', async () => {
      const first = (await cli('history', 'user', 'jane.doe@example.com')).out;
      for (const ref of ['janet.doe@example.com', 'ext-jane', h.janeId, h.janeId.toUpperCase()]) {
        expect({ ref, ...(await cli('history', 'user', ref)) }).toEqual({ ref, code: 0, err: '', out: first });
      }
    });

    it("names a group's members as they were named then, and shows its rename", async () => {
      const group = `group-${h.groupId}`;
      const result = await cli('history', 'group', 'engineering');

      expect(result.out).toBe(
        [
          `History of group ${h.groupId} "Platform Engineering", also known as "Engineering": 3 events`,
          '',
          `2026-03-01T09:30:00.000Z  GroupCreated  revision 0, position ${at(group, 0)}`,
          by('step-group'),
          '    + displayName: "Engineering"',
          `    + members: "jane.doe@example.com (${h.janeId})"`,
          '',
          `2026-03-01T10:00:00.000Z  GroupRenamed  revision 1, position ${at(group, 1)}`,
          by('step-group-patch'),
          '    ~ displayName: "Engineering" → "Platform Engineering"',
          '',
          `2026-03-01T10:00:00.000Z  GroupMembersAdded  revision 2, position ${at(group, 2)}`,
          by('step-group-patch'),
          `    + members: "john.roe@example.com (${h.johnId})"`,
          '',
        ].join('\n'),
      );
      expect(result.code).toBe(0);
    });

    it("tells a team's history by its name: link, pause and resume by the administrator", async () => {
      const result = await cli('history', 'team', 'platform');

      expect(result.out).toBe(
        [
          `History of team ${h.teamId} "platform": 4 events`,
          '',
          `2026-03-01T09:40:00.000Z  TeamCreated  revision 0, position ${at(h.teamId, 0)}`,
          by('step-team'),
          '    + name: "platform"',
          '    + linkPaused: false',
          `    + serviceAccounts: "ci-bot (${CI_BOT})"`,
          '',
          `2026-03-01T09:40:00.000Z  TeamLinkedToScimGroup  revision 1, position ${at(h.teamId, 1)}`,
          by('step-link'),
          `    ~ scimGroup: null → "Engineering (${h.groupId})"`,
          '',
          `2026-03-01T10:20:00.000Z  TeamLinkPaused  revision 2, position ${at(h.teamId, 2)}`,
          by('step-pause'),
          '    ~ linkPaused: false → true',
          '',
          `2026-03-01T10:40:00.000Z  TeamLinkResumed  revision 3, position ${at(h.teamId, 3)}`,
          by('step-resume'),
          '    ~ linkPaused: true → false',
          '',
        ].join('\n'),
      );
    });

    it("tells the settings' and a token's history, the token found by its description", async () => {
      const settings = await cli('history', 'settings');
      expect(settings.out).toBe(
        [
          'History of the SCIM settings (stream scim-settings): 1 event',
          '',
          `2026-03-01T08:00:00.000Z  ScimEnabled  revision 0, position ${at('scim-settings', 0)}`,
          '    by system (start-up); request start-up-1772352000000',
          '    ~ status: "disabled" → "enabled"',
          '',
        ].join('\n'),
      );
      const token = await cli('history', 'token', 'entra id');
      expect(token.out).toBe(
        [
          `History of token ${h.tokenId} "Entra ID": 1 event`,
          '',
          `2026-03-01T09:00:00.000Z  ScimTokenCreated  revision 0, position ${at(`scim-token-${h.tokenId}`, 0)}`,
          by('step-token'),
          '    + description: "Entra ID"',
          '    + createdAt: "2026-03-01T09:00:00.000Z"',
          '    + expiresAt: "2027-03-01T09:00:00.000Z"',
          '    + status: "active"',
          '',
        ].join('\n'),
      );
    });

    it('prints JSON with --json, naming the schema version each event was written with', async () => {
      const result = await cli('history', 'user', h.johnId, '--json');
      const history = JSON.parse(result.out);

      expect(history.subject).toEqual({ kind: 'user', id: h.johnId, streamId: `user-${h.johnId}`, name: 'john.roe@example.com', names: ['john.roe@example.com'] });
      expect(history.entries.map((e: { type: string; schemaVersion: number }) => [e.type, e.schemaVersion])).toEqual([
        ['UserProvisioned', 1],
        ['UserDeleted', 2],
      ]);
      expect(history.entries[1]).toMatchObject({
        occurredAt: '2026-03-01T10:30:00.000Z',
        actor: { kind: 'scim-token', id: h.tokenId, tokenDescription: 'Entra ID' },
        origin: { requestId: 'step-delete', userAgent: ENTRA_AGENT },
        changes: [
          { op: 'changed', path: 'active', before: true, after: false },
          { op: 'added', path: 'deleted', after: true },
        ],
        data: { userId: h.johnId, reason: 'deleted' },
      });
    });

    it('exits 1 naming both users when a name belonged to two of them, and 1 when it belonged to none', async () => {
      expect(await cli('history', 'user', 'john.roe@example.com')).toEqual({
        code: 1,
        out: '',
        err: `scim-audit: "john.roe@example.com" named 2 users: ${h.johnId} (john.roe@example.com), ${h.johnAgainId} (john.roe@example.com); give the id\n`,
      });
      expect(await cli('history', 'group', 'Nobody')).toEqual({
        code: 1,
        out: '',
        err: 'scim-audit: no group "Nobody" in the event log (by id or displayName, now or in the past)\n',
      });
    });
  });

  describe('as-of', () => {
    /** The output as one line of JSON, so key order counts: as-of must render exactly what GET answered. */
    const asOf = async (...argv: string[]) => {
      const result = await cli('as-of', ...argv);
      expect(result).toEqual({ code: 0, err: '', out: expect.any(String) });
      return JSON.stringify(JSON.parse(result.out));
    };

    it('renders the user exactly as GET answered right after each step', async () => {
      for (const [step, snapshot] of Object.entries(h.jane)) {
        expect({ step, body: await asOf(snapshot.at, 'user', h.janeId) }).toEqual({ step, body: JSON.stringify(snapshot.body) });
      }
    });

    it('renders the state between the two events of one PATCH: renamed, not yet deactivated', async () => {
      const between = at(`user-${h.janeId}`, 1);
      const renamed = h.jane.renamed!.body as { meta: Record<string, unknown> };
      const expected = { ...renamed, active: true, meta: { ...renamed.meta, version: 'W/"1"' } };

      expect(await asOf(between, 'user', h.janeId)).toBe(JSON.stringify(expected));
      expect(await asOf(at(`user-${h.janeId}`, 2), 'user', h.janeId)).toBe(JSON.stringify(h.jane.renamed!.body));
    });

    it('finds the user by the name it got later, and shows the name it had then', async () => {
      expect(await asOf('2026-03-01T09:45:00Z', 'user', 'janet.doe@example.com')).toBe(JSON.stringify(h.jane.grouped!.body));
    });

    it('renders the group at each step: created, renamed with a new member, without its deleted member', async () => {
      for (const [step, snapshot] of Object.entries(h.group)) {
        expect({ step, body: await asOf(snapshot.at, 'group', 'Platform Engineering') }).toEqual({ step, body: JSON.stringify(snapshot.body) });
      }
    });

    it('projects attributes as the SCIM query parameters do', async () => {
      expect(JSON.parse(await asOf('2026-03-01T10:00:00Z', 'user', h.janeId, '--attributes', 'userName,groups.display'))).toEqual({
        schemas: ['urn:ietf:params:scim:schemas:core:2.0:User'],
        id: h.janeId,
        userName: 'janet.doe@example.com',
        groups: [{ display: 'Platform Engineering' }],
      });
      expect(JSON.parse(await asOf('2026-03-01T10:00:00Z', 'group', h.groupId, '--excluded-attributes', 'members,meta'))).toEqual({
        schemas: ['urn:ietf:params:scim:schemas:core:2.0:Group'],
        id: h.groupId,
        displayName: 'Platform Engineering',
      });
    });

    it('exits 1 where a GET would have answered 404: before the user existed, after it was deleted', async () => {
      expect(await cli('as-of', '2026-03-01T09:05:00Z', 'user', h.janeId)).toEqual({
        code: 1,
        out: '',
        err: `scim-audit: User ${h.janeId} did not exist at 2026-03-01T09:05:00.000Z: it was created at 2026-03-01T09:10:00.000Z\n`,
      });
      expect(await cli('as-of', '2026-03-01', 'user', h.janeId)).toMatchObject({ code: 1, err: expect.stringContaining('did not exist at 2026-03-01T00:00:00.000Z') });
      expect(await cli('as-of', '2026-03-01T10:35:00Z', 'user', h.johnId)).toEqual({
        code: 1,
        out: '',
        err: `scim-audit: User ${h.johnId} did not exist at 2026-03-01T10:35:00.000Z: it was deleted at 2026-03-01T10:30:00.000Z\n`,
      });
    });

    it("gives the team's effective members at each instant: linked, deactivated, joined, paused, resumed", async () => {
      const members = async (instant: string) => {
        const team = JSON.parse((await cli('as-of', instant, 'team', 'platform', '--json')).out) as { members: { username: string; kind: string }[]; linkPaused: boolean };
        return [...team.members.map((m) => m.username).sort(), team.linkPaused ? '(paused)' : '(following)'];
      };
      expect(await cli('as-of', '2026-03-01T09:35:00Z', 'team', 'platform')).toEqual({
        code: 1,
        out: '',
        err: `scim-audit: Team ${h.teamId} did not exist at 2026-03-01T09:35:00.000Z: it was created at 2026-03-01T09:40:00.000Z\n`,
      });
      expect(await members(at(h.teamId, 0))).toEqual(['ci-bot', '(following)']);
      expect(await members('2026-03-01T09:40:00Z')).toEqual(['ci-bot', 'jane.doe@example.com', '(following)']);
      expect(await members('2026-03-01T09:50:00Z')).toEqual(['ci-bot', '(following)']);
      expect(await members('2026-03-01T10:00:00Z')).toEqual(['ci-bot', 'john.roe@example.com', '(following)']);
      expect(await members('2026-03-01T10:10:00Z')).toEqual(['ci-bot', 'jane.doe@example.com', 'john.roe@example.com', '(following)']);
      // Paused: john's deletion at 10:30 does not reach the team until the link resumes.
      expect(await members('2026-03-01T10:30:00Z')).toEqual(['ci-bot', 'jane.doe@example.com', 'john.roe@example.com', '(paused)']);
      expect(await members('2026-03-01T10:40:00Z')).toEqual(['ci-bot', 'jane.doe@example.com', '(following)']);
    });

    it("gives today the team members the service's read model holds, as text", async () => {
      const now = new Date().toISOString();
      const result = await cli('as-of', now, 'team', h.teamId);
      const service = (await serviceTeamView(h.api.db.pool)).teamMembers.filter((m) => m.teamId === h.teamId);
      const width = Math.max(8, ...service.map((m) => m.username.length));

      expect(result).toEqual({
        code: 0,
        err: '',
        out: [
          `Team ${h.teamId} "platform" at ${now}: linked to SCIM group "Platform Engineering" (${h.groupId}), following its active members`,
          '2 members:',
          ...service.map((m) => `  ${m.username.padEnd(width)}  ${m.kind.padEnd(15)}  ${m.accountId}`),
          '',
        ].join('\n'),
      });
    });
  });

  describe('export', () => {
    const lines = (text: string) => text.split('\n').filter((line) => line !== '');

    it('writes every event as one JSON line, as it was recorded', async () => {
      const result = await cli('export', '--quiet');
      expect(result.code).toBe(0);
      expect(lines(result.out)).toEqual(events.map((e) => JSON.stringify(exportRecord(e))));
      expect(JSON.parse(lines(result.out).find((l) => l.includes('"UserDeleted"'))!)).toMatchObject({ schemaVersion: 2, data: { reason: 'deleted' } });
    });

    it('exports a part of the log: after a position up to a position, or from a time to a time', async () => {
      const byPosition = await cli('export', '--quiet', '--from', formatPosition(events[2]!.position), '--to', formatPosition(events[5]!.position));
      expect(lines(byPosition.out)).toEqual(events.slice(3, 6).map((e) => JSON.stringify(exportRecord(e))));

      const byTime = await cli('export', '--quiet', '--from', '2026-03-01T09:50:00Z', '--to', '2026-03-01T10:00:00Z');
      expect(lines(byTime.out).map((l) => JSON.parse(l).metadata.requestId)).toEqual(['step-rename', 'step-rename', 'step-group-patch', 'step-group-patch']);
    });

    it('writes CSV with a header, data and metadata as JSON', async () => {
      const result = await cli('export', '--quiet', '--format', 'csv');
      const [header, ...rows] = lines(result.out);
      expect(header).toBe('position,id,stream_id,revision,type,schema_version,occurred_at,recorded_at,actor_kind,actor_id,request_id,data,metadata');
      expect(rows).toHaveLength(events.length);
      const jane = events.find((e) => e.type === 'UserProvisioned')!;
      expect(rows[events.indexOf(jane)]).toBe(
        [
          formatPosition(jane.position),
          jane.id,
          jane.streamId,
          '0',
          'UserProvisioned',
          '1',
          '2026-03-01T09:10:00.000Z',
          jane.recordedAt.toISOString(),
          'scim-token',
          h.tokenId,
          'step-jane',
          `"${JSON.stringify(jane.data).replace(/"/g, '""')}"`,
          `"${JSON.stringify(jane.metadata).replace(/"/g, '""')}"`,
        ].join(','),
      );
    });

    it('chains the lines, ends with the digest it prints, and verify-export finds the file intact', async () => {
      for (const format of ['ndjson', 'csv']) {
        const file = path.join(dir, `chained.${format}`);
        const exported = await cli('export', '--chain', '--format', format, '--out', file, '--json');
        const summary = JSON.parse(exported.err);
        expect(summary).toMatchObject({ events: events.length, file, first: formatPosition(events[0]!.position), last: formatPosition(events.at(-1)!.position) });
        expect(readFileSync(file, 'utf8').trimEnd().split('\n').at(-1)).toContain(summary.digest);

        expect(await cli('verify-export', file, '--digest', summary.digest)).toEqual({
          code: 0,
          err: '',
          out: `OK: ${file}: ${events.length} events (${format}), every line chained to the one before, digest ${summary.digest}\n`,
        });
      }
    });

    describe('verify-export', () => {
      let original: string[];
      const tampered = (name: string, change: (lines: string[]) => string[]) => {
        const file = path.join(dir, name);
        writeFileSync(file, `${change([...original]).join('\n')}\n`);
        return file;
      };

      beforeAll(async () => {
        const file = path.join(dir, 'original.ndjson');
        await cli('export', '--chain', '--quiet', '--out', file);
        original = readFileSync(file, 'utf8').trimEnd().split('\n');
      });

      it('catches an edited line', async () => {
        const file = tampered('edited.ndjson', (l) => {
          l[4] = l[4]!.replace('"revision":"', '"revision":"9');
          return l;
        });
        expect(await cli('verify-export', file)).toEqual({
          code: 1,
          err: '',
          out: [`TAMPERED: ${file}: 1 problem in ${events.length} event lines (ndjson):`, '  line 5: its content does not match its hash: the line was edited', ''].join('\n'),
        });
      });

      it('catches a dropped line', async () => {
        const file = tampered('dropped.ndjson', (l) => [...l.slice(0, 6), ...l.slice(7)]);
        expect(await cli('verify-export', file)).toEqual({
          code: 1,
          err: '',
          out: [
            `TAMPERED: ${file}: 2 problems in ${events.length - 1} event lines (ndjson):`,
            '  line 7: it does not follow line 6: a line before it is missing (or the one before was rewritten with a new hash)',
            `  line ${events.length}: the digest line counts ${events.length} events, the file holds ${events.length - 1}`,
            '',
          ].join('\n'),
        });
      });

      it('catches two swapped lines', async () => {
        const file = tampered('swapped.ndjson', (l) => [...l.slice(0, 3), l[4]!, l[3]!, ...l.slice(5)]);
        expect(await cli('verify-export', file)).toEqual({
          code: 1,
          err: '',
          out: [
            `TAMPERED: ${file}: 3 problems in ${events.length} event lines (ndjson):`,
            '  line 4: it does not follow line 3: it belongs right after line 5 (lines out of order)',
            '  line 5: it does not follow line 4: it belongs right after line 3 (lines out of order)',
            '  line 6: it does not follow line 5: it belongs right after line 4 (lines out of order)',
            '',
          ].join('\n'),
        });
      });

      it('catches a file cut short, and a digest that is not the one printed', async () => {
        const cut = tampered('cut.ndjson', (l) => l.slice(0, -1));
        expect((await cli('verify-export', cut)).out).toContain(`line ${events.length + 1}: there is no digest line: the file was cut short`);
        const other = 'ab'.repeat(32);
        const result = await cli('verify-export', tampered('same.ndjson', (l) => l), '--digest', other);
        expect(result.code).toBe(1);
        expect(result.out).toContain(`the digest is not the one given (${other})`);
      });
    });
  });

  describe('verify and rebuild', () => {
    it('finds the live read models and claims equal to the log', async () => {
      const result = await cli('verify');
      expect(result.code).toBe(0);
      expect(result.out).toMatch(/^scim: rebuilt from \d+ events \(to \d+\/\d+\) into scratch tables \(group_members 2, groups 1, resource_counts \d+, users 3\)\n {2}the live read model matches the log, row for row\n/);
      expect(result.out).toContain('claims: 10 keys the resources hold, compared with unique_keys');
      expect(result.out.endsWith('OK: no drift (1 comparison round)\n')).toBe(true);
    });

    it('reports a corrupted read-model row column by column, and exits 1', async () => {
      await h.api.db.pool.query(`UPDATE scim_read.users SET user_name = 'mallory@example.com' WHERE id = $1`, [h.janeId]);

      const result = await cli('verify', 'scim', '--rounds', '2');
      expect(result.code).toBe(1);
      expect(result.out).toContain(
        [`  1 difference:`, `  users (id=${h.janeId}):`, `      user_name: live "mallory@example.com", log "janet.doe@example.com"`, ''].join('\n'),
      );
      expect(result.out.endsWith('DRIFT: the differences above stayed through 2 comparison rounds\n')).toBe(true);

      const json = JSON.parse((await cli('verify', 'scim', '--json')).out);
      expect(json).toMatchObject({ ok: false, projections: [{ name: 'scim', differenceCount: 1, differences: [{ table: 'users', key: { id: h.janeId } }] }] });
      expect(json.projections[0].differences[0].live.user_name).toBe('mallory@example.com');
      expect(json.projections[0].differences[0].expected.user_name).toBe('janet.doe@example.com');
    });

    it('rebuilds the read models with the rate, and the corrupted row is repaired', async () => {
      const result = await cli('rebuild', 'scim');
      expect(result).toEqual({ code: 0, err: '', out: expect.stringMatching(new RegExp(String.raw`^scim: rebuilt from \d+ events in \d+\.\d s \([\d,]+ events\/s\), swapped in at \d+\/\d+ \(version ${scimProjection.version}\)\n$`)) });
      expect((await cli('verify', 'scim')).code).toBe(0);
    });

    it('reports a claim missing from unique_keys', async () => {
      const { rows } = await h.api.db.pool.query(`DELETE FROM unique_keys WHERE scope = 'user.email' AND key = 'jane.doe@example.com' RETURNING *`);
      try {
        const result = await cli('verify', 'claims');
        expect(result.code).toBe(1);
        expect(result.out).toContain(`  user.email "jane.doe@example.com": missing from unique_keys; user-${h.janeId} holds "jane.doe@example.com"\n`);
      } finally {
        const r = rows[0];
        await h.api.db.pool.query(`INSERT INTO unique_keys (scope, key, value, owner_stream, owner_id, state) VALUES ($1, $2, $3, $4, $5, $6)`, [r.scope, r.key, r.value, r.owner_stream, r.owner_id, r.state]);
      }
      expect((await cli('verify', 'claims')).code).toBe(0);
    });

    it('reports a claim no resource holds', async () => {
      await h.api.db.pool.query(`INSERT INTO unique_keys (scope, key, value, owner_stream, owner_id, state) VALUES ('group.displayName', 'ghosts', 'Ghosts', 'group-x', 'x', 'confirmed')`);
      try {
        const result = await cli('verify', 'claims');
        expect(result.code).toBe(1);
        expect(result.out).toContain('  group.displayName "ghosts": claimed by group-x (confirmed), which holds no such key\n');
      } finally {
        await h.api.db.pool.query(`DELETE FROM unique_keys WHERE owner_stream = 'group-x'`);
      }
    });
  });

  describe('usage', () => {
    it('exits 2 with the reason for a bad instant, an unknown kind, a missing option or a bad digest', async () => {
      expect(await cli('as-of', 'yesterday', 'user', 'x')).toEqual({
        code: 2,
        out: '',
        err: 'scim-audit: the instant "yesterday" is neither a time (RFC 3339, e.g. 2026-03-01T09:30:00Z, or a date, 2026-03-01, meaning its start in UTC) nor a log position (<commit>/<prepare>, e.g. 7514/1202)\n',
      });
      expect(await cli('history', 'account', 'x')).toEqual({
        code: 2,
        out: '',
        err: "error: command-argument value 'account' is invalid for argument 'kind'. Allowed choices are user, group, team, settings, token.\n(scim-audit <command> --help shows how to use it)\n",
      });
      expect(await cli('republish')).toMatchObject({ code: 2, err: expect.stringContaining("required option '--from <position>' not specified") });
      expect(await cli('republish', '--from', '2026-03-01')).toMatchObject({ code: 2, err: 'scim-audit: --from must be a log position (<commit>/<prepare>, e.g. 7514/1202), not a time\n' });
      expect(await cli('verify-export', 'x', '--digest', 'abc')).toEqual({ code: 2, out: '', err: 'scim-audit: --digest must be 64 hexadecimal digits (a SHA-256)\n' });
      expect(await cli('history', 'user')).toEqual({ code: 2, out: '', err: 'scim-audit: history user needs a reference: scim-audit history user <ref>\n' });
    });

    it('has --help on every command', async () => {
      for (const command of ['history', 'as-of', 'export', 'verify-export', 'verify', 'rebuild', 'republish']) {
        const result = await cli(command, '--help');
        expect({ command, code: result.code, usage: result.out.split('\n')[0] }).toEqual({ command, code: 0, usage: expect.stringMatching(new RegExp(`^Usage: scim-audit ${command} `)) });
      }
    });

    it('runs as the scim-audit command (package.json bin)', async () => {
      const child = spawn(process.execPath, [path.join(projectRoot(), 'scripts/scim-audit.js'), 'history', 'settings'], { env: { ...process.env, ...env() } });
      let out = '';
      child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString('utf8')));
      const code = await new Promise((resolve) => child.once('exit', resolve));
      expect(code).toBe(0);
      expect(out).toBe((await cli('history', 'settings')).out);
    });
  });
});
