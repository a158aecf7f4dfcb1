import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { GROUP_SCHEMA, ERROR, SCIM_TOKEN, newUser, startScimApi, type ScimApiUnderTest } from '../helpers/scim-api';

/** POSTs a new user with the raw header lines given (supertest sends one Host only); resolves status and parsed body. */
async function postUserWithHeaderLines(api: ScimApiUnderTest, lines: string[]): Promise<{ status: number; body: Record<string, unknown> }> {
  const server = api.app.listen(0, '127.0.0.1');
  await new Promise((resolve) => server.once('listening', resolve));
  const { port } = server.address() as AddressInfo;
  const payload = JSON.stringify(newUser('two-hosts@example.com'));
  try {
    return await new Promise((resolve, reject) => {
      const headers = [...lines, 'Authorization', `Bearer ${SCIM_TOKEN}`, 'Content-Type', 'application/scim+json', 'Content-Length', String(Buffer.byteLength(payload))];
      const req = http.request({ host: '127.0.0.1', port, method: 'POST', path: '/scim/v2/Users', headers, setHost: false }, (res) => {
        let text = '';
        res.setEncoding('utf8').on('data', (chunk: string) => (text += chunk)).on('end', () => resolve({ status: res.statusCode ?? 0, body: JSON.parse(text) as Record<string, unknown> }));
      });
      req.on('error', reject).end(payload);
    });
  } finally {
    await new Promise((resolve) => server.close(resolve));
  }
}

const TWO_HOSTS = { schemas: [ERROR], status: '400', scimType: 'invalidSyntax', detail: 'the request has more than one Host header (RFC 9112 §3.2)' };

/**
 * meta.location, Location and $ref name where the client reached the service, from SCIM_BASE_URL
 * or the request's Host (X-Forwarded-* only from a trusted proxy), never a scheme or host a
 * client made up; an invalid one is 400 before anything is written.
 */
describe('URLs the service writes', () => {
  describe('with SCIM_BASE_URL', () => {
    let api: ScimApiUnderTest;
    beforeAll(async () => {
      api = await startScimApi('urls_configured', { TRUST_PROXY: 'loopback' });
    });
    afterAll(async () => {
      await api.close();
    });

    it('uses it whatever Host and X-Forwarded-* say', async () => {
      const res = await api.scim('post', '/Users', newUser('configured@example.com'), {
        Host: 'evil.example.com',
        'X-Forwarded-Host': 'evil2.example.com',
        'X-Forwarded-Proto': 'javascript',
      });
      expect(res.status).toBe(201);
      expect(res.headers.location).toBe(`https://scim.test/scim/v2/Users/${res.body.id}`);
      expect(res.body.meta.location).toBe(res.headers.location);
    });

    it('answers 400 invalidSyntax to two Host lines though URLs use SCIM_BASE_URL (RFC 9112 §3.2), writing nothing', async () => {
      const before = (await api.allEvents()).length;
      expect(await postUserWithHeaderLines(api, ['Host', 'scim.test', 'Host', 'evil.example.com'])).toEqual({ status: 400, body: TWO_HOSTS });
      expect((await api.allEvents()).length).toBe(before);
    });
  });

  describe('without SCIM_BASE_URL, trusting no proxy (the default)', () => {
    let api: ScimApiUnderTest;
    beforeAll(async () => {
      api = await startScimApi('urls_untrusted', { SCIM_BASE_URL: '' });
    });
    afterAll(async () => {
      await api.close();
    });

    it('builds Location, meta.location and member $ref on the Host header, ignoring X-Forwarded-*', async () => {
      const forged = { Host: 'scim.internal:8080', 'X-Forwarded-Host': 'evil.example.com', 'X-Forwarded-Proto': 'javascript' };
      const user = await api.scim('post', '/Users', newUser('untrusted@example.com'), forged);
      expect(user.status).toBe(201);
      expect(user.headers.location).toBe(`http://scim.internal:8080/scim/v2/Users/${user.body.id}`);
      expect(user.body.meta.location).toBe(user.headers.location);

      const group = await api.scim('post', '/Groups', { schemas: [GROUP_SCHEMA], displayName: 'Untrusted', members: [{ value: user.body.id }] }, forged);
      expect(group.status).toBe(201);
      expect(group.headers.location).toBe(`http://scim.internal:8080/scim/v2/Groups/${group.body.id}`);
      expect(group.body.members).toEqual([{ value: user.body.id, display: 'untrusted@example.com', $ref: `http://scim.internal:8080/scim/v2/Users/${user.body.id}`, type: 'User' }]);
    });

    it.each([
      ['a host with a path', 'evil.example.com/x'],
      ['a host with user info', 'user@evil.example.com'],
      ['a port out of range', 'scim.example.com:70000'],
      ['two hosts', 'a.example.com, b.example.com'],
    ])('answers 400 invalidSyntax to %s in Host, before writing anything', async (_what, host) => {
      const before = (await api.allEvents()).length;
      const res = await api.scim('post', '/Users', newUser(`bad-host-${before}@example.com`), { Host: host });
      expect(res.status).toBe(400);
      expect(res.body).toEqual({
        schemas: [ERROR],
        status: '400',
        scimType: 'invalidSyntax',
        detail: "the Host header (or the trusted proxy's X-Forwarded-Host) is not a valid host[:port]",
      });
      expect((await api.allEvents()).length).toBe(before);
    });

    it('answers 400 invalidSyntax to two Host lines (RFC 9112 §3.2) instead of building Location on the first', async () => {
      const before = (await api.allEvents()).length;
      expect(await postUserWithHeaderLines(api, ['Host', 'scim.internal', 'Host', 'evil.example.com'])).toEqual({ status: 400, body: TWO_HOSTS });
      expect((await api.allEvents()).length).toBe(before);
      expect((await postUserWithHeaderLines(api, ['Host', 'scim.internal'])).status).toBe(201);
    });

    it('answers 400 as a JSON:API error on the admin API, whose links are built on the same root', async () => {
      const bad = await api.admin('get', '/scim-groups').set('Host', 'evil.example.com/x');
      expect(bad.status).toBe(400);
      expect(bad.body).toEqual({ errors: [{ status: '400', title: 'bad request', detail: "the Host header (or the trusted proxy's X-Forwarded-Host) is not a valid host[:port]" }] });

      const good = await api.admin('get', '/scim-groups').set('Host', 'admin.internal').set('X-Forwarded-Host', 'evil.example.com');
      expect(good.status).toBe(200);
      expect(good.body.links.self).toBe('http://admin.internal/api/v2/admin/scim-groups?page%5Bnumber%5D=1&page%5Bsize%5D=20');
    });
  });

  describe('without SCIM_BASE_URL, behind a trusted proxy (TRUST_PROXY=loopback)', () => {
    let api: ScimApiUnderTest;
    beforeAll(async () => {
      api = await startScimApi('urls_trusted', { SCIM_BASE_URL: '', TRUST_PROXY: 'loopback' });
    });
    afterAll(async () => {
      await api.close();
    });

    it("builds URLs on the proxy's X-Forwarded-Proto and X-Forwarded-Host", async () => {
      const res = await api.scim('post', '/Users', newUser('trusted@example.com'), {
        Host: '127.0.0.1:8080',
        'X-Forwarded-Proto': 'https',
        'X-Forwarded-Host': 'SCIM.Example.com',
      });
      expect(res.status).toBe(201);
      expect(res.headers.location).toBe(`https://scim.example.com/scim/v2/Users/${res.body.id}`);
      expect(res.body.meta.location).toBe(res.headers.location);
    });

    it.each([
      ['X-Forwarded-Proto: javascript', { 'X-Forwarded-Proto': 'javascript', 'X-Forwarded-Host': 'scim.example.com' }, 'X-Forwarded-Proto must be http or https'],
      ['X-Forwarded-Proto: data', { 'X-Forwarded-Proto': 'data', 'X-Forwarded-Host': 'scim.example.com' }, 'X-Forwarded-Proto must be http or https'],
      ['X-Forwarded-Host with a path', { 'X-Forwarded-Proto': 'https', 'X-Forwarded-Host': 'evil.example.com/%2f' }, "the Host header (or the trusted proxy's X-Forwarded-Host) is not a valid host[:port]"],
    ])('still refuses %s (400, nothing written)', async (_what, headers, detail) => {
      const before = (await api.allEvents()).length;
      const res = await api.scim('post', '/Users', newUser(`refused-${before}@example.com`), headers);
      expect(res.status).toBe(400);
      expect(res.body).toEqual({ schemas: [ERROR], status: '400', scimType: 'invalidSyntax', detail });
      expect((await api.allEvents()).length).toBe(before);
    });
  });
});
