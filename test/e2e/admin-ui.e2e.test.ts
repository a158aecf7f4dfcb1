import { existsSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { Pool } from 'pg';
import { chromium, type Browser, type Locator, type Page } from 'playwright-core';
import { projectRoot } from '../../shared/db/project-root';
import { startAdminService, type AdminService } from '../helpers/admin-service';
import { GROUP_SCHEMA, newUser } from '../helpers/scim-api';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-quic',
  '--no-first-run',
  '--disable-component-update',
  '--disable-sync',
];
const ARTIFACTS = path.join(projectRoot(), 'test-artifacts');
/** The widths the page must fit: a laptop, and a phone held upright. */
const WIDTHS = [1280, 390] as const;
const CSP = "default-src 'self'; script-src 'self'; style-src 'self'; connect-src 'self'; frame-ancestors 'none'";

// Without a browser the page cannot be driven: a reason to skip on a workstation, a failure in CI.
const noBrowser = !existsSync(CHROMIUM) && process.env.CI !== 'true';
if (noBrowser) console.warn(`admin UI e2e skipped: no Chromium at ${CHROMIUM} (apt-get install -y chromium, or set CHROMIUM_PATH)`);

(noBrowser ? describe.skip : describe)('the SCIM settings page at /admin/scim', () => {
  let service: AdminService;
  let browser: Browser;
  let page: Page;
  const pageErrors: string[] = [];
  const foreignRequests: string[] = [];
  const leakyRequests: string[] = [];
  const notFound: string[] = [];
  const apiRequests: string[] = [];

  let scimToken = '';
  let userId = '';

  beforeAll(async () => {
    service = await startAdminService('admin_ui');
    browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
    const context = await browser.newContext({ baseURL: service.baseUrl, permissions: ['clipboard-read', 'clipboard-write'] });
    page = await context.newPage();
    page.setDefaultTimeout(10_000);
    page.on('pageerror', (error) => pageErrors.push(error.message));
    page.on('console', (message) => {
      if (/content security policy/i.test(message.text())) pageErrors.push(message.text());
      if (message.type() === 'error' && /404/.test(message.text())) notFound.push(message.text());
    });
    page.on('request', (request) => {
      if (new URL(request.url()).origin !== service.baseUrl) foreignRequests.push(request.url());
      if (request.url().includes(service.adminToken)) leakyRequests.push(request.url());
      if (new URL(request.url()).pathname.startsWith('/api/v2/')) apiRequests.push(`${request.method()} ${new URL(request.url()).pathname}`);
    });
    page.on('response', (response) => {
      if (response.status() === 404) notFound.push(response.url());
    });
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
    await service?.stop();
  });

  const byTestId = (id: string) => page.getByTestId(id);
  const withText = (locator: Locator, text: string | RegExp) => locator.filter({ hasText: text }).first().waitFor();
  const teamRow = (name: string) => page.locator(`[data-testid="team-row"][data-team-name="${name}"]`);
  const tokenRow = (description: string) => byTestId('token-row').filter({ has: page.getByText(description, { exact: true }) });

  function scim(token: string, method: string, resource: string, body?: unknown) {
    return fetch(`${service.baseUrl}/scim/v2${resource}`, {
      method,
      headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'application/scim+json' },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
  }

  function admin(method: string, resource: string, body?: unknown) {
    return fetch(`${service.baseUrl}/api/v2/admin${resource}`, {
      method,
      headers: { Authorization: `Bearer ${service.adminToken}`, 'Content-Type': 'application/vnd.api+json' },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
  }

  it('serves the page, its script and its styles with a strict CSP, nosniff and no-store', async () => {
    for (const [resource, type] of [
      ['/admin/scim', 'text/html'],
      ['/admin/scim/', 'text/html'],
      ['/admin/scim/app.js', 'text/javascript'],
      ['/admin/scim/styles.css', 'text/css'],
      ['/admin/scim/favicon.svg', 'image/svg+xml'],
    ] as const) {
      const res = await fetch(`${service.baseUrl}${resource}`);
      expect({ resource, status: res.status }).toEqual({ resource, status: 200 });
      expect(res.headers.get('content-type')).toContain(type);
      expect(res.headers.get('content-security-policy')).toBe(CSP);
      expect(res.headers.get('x-content-type-options')).toBe('nosniff');
      expect(res.headers.get('cache-control')).toBe('no-store');
    }
  });

  it('checks a wrong admin token with one request and says it was not accepted', async () => {
    await page.goto('/admin/scim');
    apiRequests.length = 0;
    await byTestId('admin-token-input').fill('not-an-admin-token-0123456789abcdef');
    await byTestId('sign-in-button').click();

    await withText(byTestId('error'), /not accepted/);
    await byTestId('sign-in').waitFor();
    expect(apiRequests).toEqual(['GET /api/v2/admin/scim-settings']);
    expect(await page.evaluate('sessionStorage.length')).toBe(0);
  });

  it('signs in with the admin token, kept in this tab\'s sessionStorage and in no URL', async () => {
    await page.goto('/admin/scim');
    await byTestId('admin-token-input').fill(service.adminToken);
    await byTestId('sign-in-button').click();

    await withText(byTestId('scim-state'), /^disabled$/);
    // Expressions evaluated in the page are strings: this project's TypeScript has no DOM types.
    expect(await page.evaluate('Object.values(sessionStorage)')).toEqual([service.adminToken]);
    expect(await page.evaluate('localStorage.length')).toBe(0);
    expect(page.url()).toBe(`${service.baseUrl}/admin/scim`);
  });

  it('enables SCIM', async () => {
    await byTestId('enable-scim').click();

    await withText(byTestId('scim-state'), /^enabled$/);
    await withText(byTestId('status'), /enabled/);
    expect(await byTestId('enable-scim').isHidden()).toBe(true);
  });

  it('asks before disabling, warning that every SCIM identity, group, membership, team link and token goes', async () => {
    await byTestId('disable-scim').click();

    const dialog = byTestId('confirm-dialog');
    await dialog.waitFor();
    const warning = await dialog.textContent();
    for (const removed of ['identity', 'group', 'membership', 'team link', 'token']) expect(warning).toContain(removed);
    await byTestId('confirm-cancel').click();
    await dialog.waitFor({ state: 'hidden' });
    expect(await byTestId('scim-state').textContent()).toBe('enabled');
  });

  it('creates a token, shows its value once, and /scim/v2 accepts it', async () => {
    await byTestId('token-description').fill('Entra ID');
    await byTestId('token-expiry').selectOption('90');
    await byTestId('create-token').click();

    await byTestId('token-dialog').waitFor();
    scimToken = await byTestId('token-value').inputValue();
    expect(scimToken.length).toBeGreaterThanOrEqual(32);
    expect(await byTestId('token-dialog').textContent()).toMatch(/shown only once/i);

    await byTestId('copy-token').click();
    await withText(byTestId('copy-status'), /copied|selected/i);
    const copy = await byTestId('copy-status').textContent();
    if (/copied/i.test(copy ?? '')) expect(await page.evaluate('navigator.clipboard.readText()')).toBe(scimToken);

    await byTestId('close-token-dialog').click();
    await byTestId('token-dialog').waitFor({ state: 'hidden' });
    expect(await byTestId('token-value').inputValue()).toBe('');
    await tokenRow('Entra ID').waitFor();
    expect(await tokenRow('Entra ID').textContent()).toMatch(/in (89|90) days/);
    expect(await page.content()).not.toContain(scimToken);

    const created = await scim(scimToken, 'POST', '/Users', newUser(USER_NAME, { active: true }));
    expect(created.status).toBe(201);
    userId = ((await created.json()) as { id: string }).id;
    expect((await scim(scimToken, 'GET', '/Users')).status).toBe(200);
  });

  it('revokes the token after confirmation, and the next request with it gets 401', async () => {
    await tokenRow('Entra ID').getByTestId('revoke-token').click();
    await byTestId('confirm-dialog').waitFor();
    await byTestId('confirm-ok').click();

    await tokenRow('Entra ID').waitFor({ state: 'detached' });
    await withText(byTestId('status'), /revoked/);
    expect((await scim(scimToken, 'GET', '/Users')).status).toBe(401);
  });

  it('links a SCIM group to a new team and lists the group\'s members in the team', async () => {
    const tokenRes = await admin('POST', '/scim-tokens', { data: { type: 'authentication-tokens', attributes: { description: 'Groups' } } });
    expect(tokenRes.status).toBe(201);
    const groupsToken = ((await tokenRes.json()) as { data: { attributes: { token: string } } }).data.attributes.token;
    const groupRes = await scim(groupsToken, 'POST', '/Groups', { schemas: [GROUP_SCHEMA], displayName: 'Platform engineers', members: [{ value: userId }] });
    expect(groupRes.status).toBe(201);
    const groupId = ((await groupRes.json()) as { id: string }).id;

    await byTestId('team-name').fill('platform');
    await byTestId('create-team').click();
    await teamRow('platform').waitFor();
    await teamRow('platform').getByTestId('link-group-select').selectOption(groupId);
    await teamRow('platform').getByTestId('link-group').click();

    await withText(teamRow('platform').getByTestId('team-linked-group'), 'Platform engineers');
    await eventually(
      async () => (await teamRow('platform').getByTestId('team-member').allTextContents()).some((text) => text.includes(USER_NAME)),
      () => byTestId('refresh-teams').click(),
    );
    await byTestId('pause-link').waitFor();
    await withText(teamRow('platform'), /members synced/);
  });

  it('flags an expired token with a badge and the section with an alert; it stays listed until revoked', async () => {
    const res = await admin('POST', '/scim-tokens', { data: { type: 'authentication-tokens', attributes: { description: 'Okta (old)' } } });
    const { id } = ((await res.json()) as { data: { id: string } }).data;
    // What a year would bring: the token's expiry passes.
    const pool = new Pool({ connectionString: service.databaseUrl });
    try {
      await pool.query(`UPDATE scim_tokens SET expires_at = now() - interval '1 day' WHERE id = $1`, [id]);
    } finally {
      await pool.end();
    }
    await page.reload();
    await tokenRow('Okta (old)').waitFor();

    expect(await tokenRow('Okta (old)').getByTestId('token-expired').textContent()).toBe('expired');
    expect(await byTestId('token-expired').count()).toBe(1);
    await withText(byTestId('expired-tokens-alert'), /1 SCIM token has expired/);
    expect(await byTestId('expired-tokens-alert').getAttribute('role')).toBe('alert');
  });

  it.each(WIDTHS)('fits every section into its card at %d px, and is screenshotted there', async (width) => {
    await byTestId('token-description').fill(`entra-id-production-tenant-${'x'.repeat(60)}`);
    await byTestId('create-token').click();
    await byTestId('close-token-dialog').click();
    await page.setViewportSize({ width, height: 900 });
    await byTestId('token-row').first().waitFor();

    const overflows = (await page.evaluate(OVERFLOWING_ELEMENTS)) as string[];
    await mkdir(ARTIFACTS, { recursive: true });
    await page.screenshot({ path: path.join(ARTIFACTS, `admin-ui-${width}.png`), fullPage: true });
    expect(overflows).toEqual([]);
    // The Revoke buttons are whole and on screen.
    for (const button of await byTestId('revoke-token').all()) {
      const box = (await button.boundingBox())!;
      expect(box.x).toBeGreaterThanOrEqual(0);
      expect(box.x + box.width).toBeLessThanOrEqual(width);
    }
  });

  it('shows who did what in the activity feed, refreshed on its own', async () => {
    // The user was created with the "Entra ID" token from outside the page.
    await withText(byTestId('activity-row'), 'Entra ID');
    expect(await byTestId('activity-row').count()).toBeGreaterThan(0);
  });

  it('renders names as text, never as markup', async () => {
    const name = '<img src=x onerror="window.__injected=1">';
    await byTestId('team-name').fill(name);
    await byTestId('create-team').click();

    await byTestId('status').filter({ hasText: 'is created' }).waitFor();
    const row = byTestId('team-row').filter({ has: page.getByRole('rowheader', { name, exact: true }) });
    await row.waitFor();
    expect(await row.locator('img').count()).toBe(0);
    expect(await page.evaluate('window.__injected')).toBeUndefined();
  });

  it("opens a user's history from the activity feed: each change, by whom", async () => {
    const provisioned = byTestId('activity-row').filter({ has: page.locator('code', { hasText: /^UserProvisioned$/ }) });
    await provisioned.first().getByTestId('activity-history').click();

    await withText(byTestId('audit-subject-heading'), `History of user ${USER_NAME}`);
    const rows = byTestId('audit-history-row');
    expect(await rows.first().getAttribute('data-event-type')).toBe('UserProvisioned');
    const first = await rows.first().textContent();
    expect(first).toContain(`+ userName: "${USER_NAME}"`);
    expect(first).toContain('SCIM token "Entra ID"');
    expect(await page.evaluate('document.activeElement && document.activeElement.id')).toBe('audit-subject-heading');
  });

  it('finds a group by the name it had before a rename, and shows it as it was then and as it is now', async () => {
    const before = new Date().toISOString();
    await new Promise((resolve) => setTimeout(resolve, 1100));
    const groupRes = await admin('GET', '/scim-groups');
    const groupId = ((await groupRes.json()) as { data: { id: string; attributes: { name: string } }[] }).data.find((g) => g.attributes.name === 'Platform engineers')!.id;
    const tokenRes = await admin('POST', '/scim-tokens', { data: { type: 'authentication-tokens', attributes: { description: 'Renamer' } } });
    const token = ((await tokenRes.json()) as { data: { attributes: { token: string } } }).data.attributes.token;
    const renamed = await scim(token, 'PATCH', `/Groups/${groupId}`, {
      schemas: ['urn:ietf:params:scim:api:messages:2.0:PatchOp'],
      Operations: [{ op: 'replace', path: 'displayName', value: 'Platform engineering' }],
    });
    expect(renamed.status).toBe(200);

    await byTestId('audit-query').fill('platform engineers');
    await byTestId('audit-search').click();
    const result = byTestId('audit-result').filter({ hasText: 'Platform engineering (group) · also Platform engineers' });
    await result.waitFor();
    await result.click();
    await withText(byTestId('audit-subject-heading'), 'History of group Platform engineering');
    await withText(byTestId('audit-changes').last(), '~ displayName: "Platform engineers" → "Platform engineering"');

    // A datetime-local value in the browser's own zone, to the second (rounded down: before the rename).
    const local = await page.evaluate(
      `(() => { const d = new Date(${JSON.stringify(before)}); const p = (n) => String(n).padStart(2, '0'); return d.getFullYear() + '-' + p(d.getMonth() + 1) + '-' + p(d.getDate()) + 'T' + p(d.getHours()) + ':' + p(d.getMinutes()) + ':' + p(d.getSeconds()); })()`,
    );
    await byTestId('audit-at').fill(local as string);
    await byTestId('audit-show-state').click();
    await withText(byTestId('audit-state-resource'), '"displayName": "Platform engineers"');
    const then = JSON.parse((await byTestId('audit-state-resource').textContent())!) as { id: string; members: { display: string }[] };
    expect(then).toMatchObject({ id: groupId, members: [{ display: USER_NAME }] });

    await byTestId('audit-at').fill((await page.evaluate(`(() => { const d = new Date(Date.now() + 1000); const p = (n) => String(n).padStart(2, '0'); return d.getFullYear() + '-' + p(d.getMonth() + 1) + '-' + p(d.getDate()) + 'T' + p(d.getHours()) + ':' + p(d.getMinutes()) + ':' + p(d.getSeconds()); })()`)) as string);
    await byTestId('audit-show-state').click();
    await withText(byTestId('audit-state-resource'), '"displayName": "Platform engineering"');
  });

  it("shows a team's members at a time, and says when a resource did not exist yet", async () => {
    await byTestId('audit-query').fill('platform');
    await byTestId('audit-search').click();
    await byTestId('audit-result').filter({ hasText: '(team)' }).first().click();
    await withText(byTestId('audit-subject-heading'), 'History of team platform');
    expect(await byTestId('audit-history-row').evaluateAll((rows) => rows.map((r) => r.getAttribute('data-event-type')))).toEqual(['TeamCreated', 'TeamLinkedToScimGroup']);

    await byTestId('audit-show-state').click();
    await withText(byTestId('audit-state'), 'Linked to the SCIM group Platform engineering');
    expect(await byTestId('audit-state-member').allTextContents()).toEqual([USER_NAME]);

    // The API answers this one 404 on purpose: it is not a missing page or file.
    const seen = notFound.length;
    await byTestId('audit-at').fill('2001-01-01T00:00:00');
    await byTestId('audit-show-state').click();
    await withText(byTestId('error'), /did not exist at 20(00|01)-/);
    const expected = notFound.splice(seen);
    expect(expected.some((entry) => entry.includes(`/api/v2/admin/audit/teams/`))).toBe(true);
  });

  it('finds nothing for a name nobody had, and says so', async () => {
    await byTestId('audit-query').fill('nobody-by-this-name');
    await byTestId('audit-search').click();
    await byTestId('audit-no-results').waitFor();
    expect(await byTestId('audit-result').count()).toBe(0);
    await withText(byTestId('status'), /0 matches/);
  });

  it.each(WIDTHS)('fits the history and the state at a time into their card at %d px', async (width) => {
    await page.setViewportSize({ width, height: 900 });
    await byTestId('audit-query').fill(USER_NAME);
    await byTestId('audit-search').click();
    await byTestId('audit-result').first().click();
    await withText(byTestId('audit-subject-heading'), USER_NAME);
    await byTestId('audit-show-state').click();
    await byTestId('audit-state-resource').waitFor();

    const overflows = (await page.evaluate(OVERFLOWING_ELEMENTS)) as string[];
    await page.locator('#audit-section').screenshot({ path: path.join(ARTIFACTS, `admin-ui-audit-${width}.png`) });
    expect(overflows).toEqual([]);
  });

  it('disables SCIM after confirmation and shows the removal of its data while it runs', async () => {
    const token = (await (await admin('POST', '/scim-tokens', { data: { type: 'authentication-tokens', attributes: { description: 'bulk' } } })).json()) as {
      data: { attributes: { token: string } };
    };
    for (let i = 0; i < 300; i++) expect((await scim(token.data.attributes.token, 'POST', '/Users', newUser(`leaving${i}@example.com`))).status).toBe(201);

    await byTestId('disable-scim').click();
    await byTestId('confirm-dialog').waitFor();
    await byTestId('confirm-ok').click();

    await withText(byTestId('cleanup-text'), /^Removing SCIM data: [\d,]+ of [\d,]+ identities, groups and tokens removed\.$/);
    await withText(byTestId('scim-state'), /^disabled$/);
    await byTestId('cleanup-progress').waitFor({ state: 'hidden', timeout: 60_000 });
    const cleanup = (await (await admin('GET', '/scim-cleanup')).json()) as { data: { attributes: { running: boolean; remaining: number } } };
    expect(cleanup.data.attributes).toMatchObject({ running: false, remaining: 0 });
  });

  it('signs out: the token is forgotten and nothing read with it stays on the page', async () => {
    await byTestId('sign-out').click();

    await byTestId('sign-in').waitFor();
    expect(await page.evaluate('sessionStorage.length')).toBe(0);
    expect(await byTestId('team-row').count()).toBe(0);
    expect(await byTestId('token-row').count()).toBe(0);
    expect(await byTestId('audit-history-row').count()).toBe(0);
    expect(await byTestId('audit-subject').isHidden()).toBe(true);
    await page.reload();
    await byTestId('sign-in').waitFor();
  });

  it('fetched nothing from outside the service, put the admin token in no URL, broke no CSP rule, and met no 404 (favicon included)', () => {
    expect(foreignRequests).toEqual([]);
    expect(leakyRequests).toEqual([]);
    expect(pageErrors).toEqual([]);
    expect(notFound).toEqual([]);
  });
});

/** Polls `done` for up to `timeoutMs`, nudging the page with `retry` between polls. */
async function eventually(done: () => Promise<boolean>, retry: () => Promise<unknown>, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await done())) {
    if (Date.now() > deadline) throw new Error(`not done within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 250));
    await retry();
  }
}

const USER_NAME = 'jane.doe@example.com';

/**
 * Evaluated in the page: every visible element of every card that reaches past the card's inner
 * edges, every element whose content is cut off or scrolls sideways, and a page that scrolls
 * sideways. Visually hidden elements (1-pixel clipped boxes) are left out.
 */
const OVERFLOWING_ELEMENTS = `(() => {
  const problems = [];
  const name = (el) => el.tagName.toLowerCase() + (el.id ? '#' + el.id : '') + (el.dataset.testid ? '[' + el.dataset.testid + ']' : '') + (el.className && typeof el.className === 'string' ? '.' + el.className.trim().split(/\\s+/).join('.') : '');
  const clippedAway = (el, card) => {
    for (let node = el; node && node !== card; node = node.parentElement) {
      const rect = node.getBoundingClientRect();
      if (node.hidden || rect.width <= 1 || rect.height <= 1 || node.classList.contains('visually-hidden')) return true;
    }
    return false;
  };
  for (const card of document.querySelectorAll('.card')) {
    if (card.closest('[hidden]') || card.getClientRects().length === 0) continue;
    const box = card.getBoundingClientRect();
    const style = getComputedStyle(card);
    const left = box.left + parseFloat(style.borderLeftWidth);
    const right = box.right - parseFloat(style.borderRightWidth);
    for (const el of card.querySelectorAll('*')) {
      if (el.tagName === 'OPTION' || clippedAway(el, card)) continue;
      const r = el.getBoundingClientRect();
      if (r.left < left - 0.5 || r.right > right + 0.5) {
        problems.push(card.id + ': ' + name(el) + ' spans ' + Math.round(r.left) + '..' + Math.round(r.right) + ', the card ' + Math.round(left) + '..' + Math.round(right));
      }
      const overflowX = getComputedStyle(el).overflowX;
      if (overflowX !== 'visible' && el.scrollWidth > el.clientWidth + 1) {
        problems.push(card.id + ': ' + name(el) + ' cuts off or scrolls ' + (el.scrollWidth - el.clientWidth) + ' px of its content');
      }
    }
  }
  if (document.documentElement.scrollWidth > window.innerWidth) {
    const wide = [...document.body.querySelectorAll('*')].filter(
      (el) => el.getClientRects().length > 0 && el.getBoundingClientRect().right + Math.max(0, el.scrollWidth - el.clientWidth) > window.innerWidth + 0.5,
    );
    problems.push('the page scrolls sideways: ' + document.documentElement.scrollWidth + ' px wide, past the window: ' + wide.slice(0, 5).map(name).join(', '));
  }
  return problems;
})()`;
