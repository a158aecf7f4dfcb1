import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { projectRoot } from '../../../shared/db/project-root';
import { startAdminService, type AdminService } from '../../helpers/admin-service';
import { GROUP_SCHEMA } from '../../helpers/scim-api';
import { decodeProblems, goTfeError, goTfePagination, loadGoTfeCalls, substitute, valueAt, type GoTfeCall } from './go-tfe-client';

const DAY_MS = 24 * 60 * 60 * 1000;
const REPORT = path.join(projectRoot(), 'test-artifacts', 'go-tfe-contract.md');

/**
 * Every admin SCIM call of hashicorp/go-tfe (fixtures/), replayed byte for byte against the whole
 * service over HTTP in the order go-tfe's own integration tests make them, each answer judged as
 * go-tfe judges it. The result of every call is written to test-artifacts/go-tfe-contract.md.
 */
describe('go-tfe admin SCIM calls against the service', () => {
  const calls = loadGoTfeCalls();
  const replayed = new Set<string>();
  const results: string[] = [];
  let service: AdminService;
  const vars: Record<string, string> = {};

  beforeAll(async () => {
    // The groups the list calls page through are made faster than the SCIM limit of 10 per second allows.
    service = await startAdminService('go_tfe_contract', { SCIM_RATE_LIMIT_PER_SECOND: '1000' });
    vars.adminToken = service.adminToken;
    vars.ownersTeamId = 'team-owners';
  }, 60_000);

  afterAll(async () => {
    await service?.stop();
    await mkdir(path.dirname(REPORT), { recursive: true });
    await writeFile(
      REPORT,
      ['# go-tfe admin SCIM calls against the service', '', '| go-tfe call | request | expected | got |', '|---|---|---|---|', ...results, ''].join('\n'),
    );
  });

  interface Replayed {
    readonly status: number;
    readonly body: unknown;
    readonly error: string | undefined;
  }

  /** Sends the fixture's exact bytes and checks status, error string and decoding as go-tfe would. */
  async function replay(name: string, extra: Record<string, string> = {}): Promise<Replayed> {
    const call = calls.get(name);
    if (!call) throw new Error(`no fixture call ${name}`);
    const values = { ...vars, ...extra };
    const { method, headers, body } = call.request;
    const url = `${service.baseUrl}${substitute(call.request.path, values)}`;
    const sent = body === null ? undefined : substitute(body, values);
    const res = await fetch(url, {
      method,
      headers: Object.fromEntries(Object.entries(headers).map(([k, v]) => [k, substitute(v, values)])),
      ...(sent === undefined ? {} : { body: sent }),
    });
    const text = await res.text();
    const parsed: unknown = text ? JSON.parse(text) : null;
    const error = goTfeError(res.status, text);
    record(call, res.status, error);
    expect({ call: name, status: res.status }).toEqual({ call: name, status: call.expect.status });
    if (res.status >= 400) expect(res.headers.get('content-type')).toMatch(/^application\/vnd\.api\+json/);
    if (call.expect.error?.equals !== undefined) expect(error).toBe(call.expect.error.equals);
    if (call.expect.error?.contains !== undefined) expect(error).toContain(call.expect.error.contains);
    if (call.expect.decode) expect({ call: name, problems: decodeProblems(call.expect.decode, parsed) }).toEqual({ call: name, problems: [] });
    for (const [key, dotted] of Object.entries(call.capture ?? {})) vars[key] = String(valueAt(parsed, dotted));
    replayed.add(name);
    return { status: res.status, body: parsed, error };
  }

  function record(call: GoTfeCall, status: number, error: string | undefined): void {
    const expected = `${call.expect.status}${call.expect.error ? ` ${JSON.stringify(call.expect.error.equals ?? call.expect.error.contains)}` : ''}`;
    const got = `${status}${error ? ` ${JSON.stringify(error)}` : ''}${status === call.expect.status ? ' ✓' : ' ✗'}`;
    const cell = (text: string) => text.replace(/\|/g, '\\|');
    results.push(`| \`${cell(call.call)}\` | ${call.request.method} ${cell(call.request.path)} | ${cell(expected)} | ${cell(got)} |`);
  }

  const attributes = (r: Replayed) => (r.body as { data: { attributes: Record<string, unknown> } }).data.attributes;
  const data = (r: Replayed) => (r.body as { data: { id: string; attributes: Record<string, unknown> }[] }).data;

  async function scimGroup(displayName: string): Promise<string> {
    const res = await fetch(`${service.baseUrl}/scim/v2/Groups`, {
      method: 'POST',
      headers: { Authorization: `Bearer ${vars.scimToken}`, 'Content-Type': 'application/scim+json' },
      body: JSON.stringify({ schemas: [GROUP_SCHEMA], displayName }),
    });
    expect(res.status).toBe(201);
    return ((await res.json()) as { id: string }).id;
  }

  async function team(name: string): Promise<string> {
    const res = await fetch(`${service.baseUrl}/api/v2/admin/teams`, {
      method: 'POST',
      headers: { Authorization: `Bearer ${service.adminToken}`, 'Content-Type': 'application/vnd.api+json' },
      body: JSON.stringify({ data: { type: 'teams', attributes: { name } } }),
    });
    expect(res.status).toBe(201);
    return ((await res.json()) as { data: { id: string } }).data.id;
  }

  it('NewClient: GET /api/v2/ping answers without a body', async () => {
    await replay('ping');
  });

  it('SCIM settings: Read on a fresh install, Update{Enabled: true}', async () => {
    const fresh = await replay('settings.read');
    expect((fresh.body as { data: { id: string } }).data.id).toBe('scim');
    expect(attributes(fresh)).toMatchObject({ enabled: false, paused: false });
    expect(attributes(await replay('settings.update.enable'))).toMatchObject({ enabled: true, paused: false });
  });

  it('tokens: Create, CreateWithOptions (60, 29 and 365 days; 400 days refused), List, Read', async () => {
    const created = await replay('tokens.create');
    expect(attributes(created)).toMatchObject({ description: 'Test Description', 'last-used-at': null });
    expect(attributes(created).token).toEqual(expect.any(String));
    expect(Math.abs(Date.parse(String(attributes(created)['created-at'])) - Date.now())).toBeLessThan(10_000);
    expect(Math.abs(Date.parse(String(attributes(created)['expired-at'])) - (Date.now() + 365 * DAY_MS))).toBeLessThan(10_000);

    const withOptions = await replay('tokens.create-with-options');
    expect(Math.abs(Date.parse(String(attributes(withOptions)['expired-at'])) - (Date.now() + 60 * DAY_MS))).toBeLessThan(10_000);
    await replay('tokens.create-with-options.29-days');
    await replay('tokens.create-with-options.365-days');
    await replay('tokens.create-with-options.400-days');

    const listed = data(await replay('tokens.list'));
    expect(listed.map((t) => t.id)).toEqual(expect.arrayContaining([vars.tokenId, vars.optionsTokenId]));
    for (const t of listed) expect(t.attributes.token).toBeNull();

    const read = await replay('tokens.read');
    expect(attributes(read)).toMatchObject({ description: 'Test Description', token: null });
    await replay('tokens.read.unknown');
  });

  it('SCIM groups: List(nil) and List with a query and a page', async () => {
    vars.groupId = await scimGroup('engineering');
    vars.otherGroupId = await scimGroup('platform');
    vars.prefix = 'contract';
    for (let i = 0; i < 4; i++) await scimGroup(`contract-random-${i}`);
    for (let i = 0; i < 6; i++) await scimGroup(`contract-idp-group-${i}`);

    const all = await replay('groups.list');
    expect(data(all)).toHaveLength(12);
    expect(goTfePagination(all.body)).toEqual({ CurrentPage: 1, PreviousPage: 0, NextPage: 0, TotalCount: 12, TotalPages: 1 });
    expect(data(all).find((g) => g.id === vars.groupId)?.attributes.name).toBe('engineering');

    const page = await replay('groups.list.query-page');
    expect(data(page)).toHaveLength(3);
    expect(goTfePagination(page.body)).toEqual({ CurrentPage: 2, PreviousPage: 1, NextPage: 0, TotalCount: 6, TotalPages: 2 });
  });

  it('group mappings: Create, then the errors go-tfe names (already mapped, owners team, unknown group or team)', async () => {
    vars.teamId = await team('contract team');
    await replay('mapping.create');
    expect(attributes(await replay('teams.read'))).toMatchObject({ 'scim-linked': true, 'scim-group-name': 'engineering', 'scim-sync-paused': false });
    await replay('mapping.create.already-mapped');
    await replay('mapping.create.owners-team');
    await replay('mapping.create.unknown-group');
    await replay('mapping.create.unknown-team');
  });

  it('group mappings: Update pauses and resumes, the same value again is fine', async () => {
    await replay('mapping.update.pause');
    expect(attributes(await replay('teams.read'))['scim-sync-paused']).toBe(true);
    await replay('mapping.update.pause');
    expect(attributes(await replay('teams.read'))['scim-sync-paused']).toBe(true);
    await replay('mapping.update.resume');
    expect(attributes(await replay('teams.read'))['scim-sync-paused']).toBe(false);
  });

  it('SCIM settings: the site-admin group (set, unknown, kept across a pause, cleared with null); it cannot be linked', async () => {
    const set = await replay('settings.update.site-admin-group', { groupId: vars.otherGroupId! });
    expect(attributes(set)).toMatchObject({ 'site-admin-group-scim-id': vars.otherGroupId, 'site-admin-group-display-name': 'platform' });
    const unlinkedTeam = await team('contract site admins');
    await replay('mapping.create.site-admin-group', { teamId: unlinkedTeam, groupId: vars.otherGroupId! });
    await replay('settings.update.site-admin-group.unknown');
    expect(attributes(await replay('settings.update.pause'))).toMatchObject({ paused: true, 'site-admin-group-scim-id': vars.otherGroupId });
    expect(attributes(await replay('settings.update.resume'))).toMatchObject({ paused: false });
    const cleared = await replay('settings.update.clear-site-admin-group');
    expect(attributes(cleared)).toMatchObject({ 'site-admin-group-scim-id': null, 'site-admin-group-display-name': null });
  });

  it('group mappings: Delete, then Delete and Update of a team without a link are 409', async () => {
    await replay('mapping.delete');
    expect(attributes(await replay('teams.read'))).toMatchObject({ 'scim-linked': false, 'scim-group-name': null });
    await replay('mapping.delete.not-linked');
    await replay('mapping.update.not-linked');
  });

  it('tokens: Delete (at /api/v2/authentication-tokens/:id), then Read and Delete of it are 404', async () => {
    await replay('tokens.delete');
    const gone = calls.get('tokens.read')!;
    const res = await fetch(`${service.baseUrl}${substitute(gone.request.path, vars)}`, { headers: { Authorization: `Bearer ${service.adminToken}` } });
    expect(goTfeError(res.status, await res.text())).toBe('resource not found');
    await replay('tokens.delete.unknown');
  });

  it('SCIM settings: Update{Enabled: false} is 422 and changes nothing; Delete disables', async () => {
    await replay('settings.update.disable');
    expect(attributes(await replay('settings.read'))).toMatchObject({ enabled: true });
    await replay('settings.delete');
    expect(attributes(await replay('settings.read'))).toEqual({ enabled: false, paused: false, 'site-admin-group-scim-id': null, 'site-admin-group-display-name': null });
  });

  it('replayed every fixture call', () => {
    expect([...calls.keys()].filter((name) => !replayed.has(name))).toEqual([]);
  });
});
