import http from 'node:http';
import type { AddressInfo } from 'node:net';
import fc from 'fast-check';
import { ERROR, GROUP_SCHEMA, SCIM_TOKEN, newUser, startScimApi, type ScimApiUnderTest } from '../helpers/scim-api';
import { hostileRequest, toWire, type WireRequest } from '../helpers/hostile-requests';

/** RFC 7644 §3.12 scimType values; a 400 must carry one. */
const SCIM_TYPES = ['invalidFilter', 'tooMany', 'uniqueness', 'mutability', 'invalidSyntax', 'invalidPath', 'noTarget', 'invalidValue', 'invalidVers', 'sensitive'];

interface WireResponse {
  readonly status: number;
  readonly headers: http.IncomingHttpHeaders;
  readonly text: string;
}

describe('the /scim/v2 HTTP surface under generated hostile requests (property)', () => {
  let api: ScimApiUnderTest;
  let server: http.Server;
  let ids: { user: string; otherUser: string; group: string };
  beforeAll(async () => {
    api = await startScimApi('scim_http_fuzz');
    const user = (await api.scim('post', '/Users', newUser('fuzz-target@example.com'))).body.id as string;
    const otherUser = (await api.scim('post', '/Users', newUser('fuzz-member@example.com'))).body.id as string;
    const group = (await api.scim('post', '/Groups', { schemas: [GROUP_SCHEMA], displayName: 'Fuzz', members: [{ value: user }] })).body.id as string;
    ids = { user, otherUser, group };
    // A real socket: paths with malformed escapes and any method reach the app exactly as sent.
    server = await new Promise<http.Server>((resolve) => {
      const listening = api.app.listen(0, '127.0.0.1', () => resolve(listening));
    });
  });
  afterAll(async () => {
    await new Promise<void>((resolve) => server.close(() => resolve()));
    await api.close();
  });

  function send(request: WireRequest): Promise<WireResponse> {
    const { port } = server.address() as AddressInfo;
    return new Promise((resolve, reject) => {
      const outgoing = http.request(
        { host: '127.0.0.1', port, method: request.method, path: `/scim/v2${request.path}`, headers: { ...request.headers, ...(request.body ? { 'Content-Length': String(request.body.length) } : {}) } },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (chunk: Buffer) => chunks.push(chunk));
          res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, text: Buffer.concat(chunks).toString('utf8') }));
          res.on('error', reject);
        },
      );
      outgoing.on('error', reject);
      outgoing.end(request.body);
    });
  }

  it('never answers 5xx but 501 for /Me and /Bulk; every 4xx is a SCIM error; a rejected request appends nothing', async () => {
    const statuses = new Map<number, number>();
    await fc.assert(
      fc.asyncProperty(hostileRequest, async (generated) => {
        const request = toWire(generated, ids, SCIM_TOKEN);
        const before = await api.store.headPosition();
        const res = await send(request);
        statuses.set(res.status, (statuses.get(res.status) ?? 0) + 1);
        // 501 only for the endpoints RFC 7644 defines and the service leaves out (/Me, /Bulk, the root .search).
        if (res.status === 501) expect(request.path.split('?')[0]).toMatch(/^\/(?:Me(?:\/.*)?|Bulk\/?|\.search\/?)$/i);
        else expect(res.status).toBeLessThan(500);
        if (res.status < 400) return;
        expect((await api.store.headPosition())).toEqual(before);
        if (request.method === 'HEAD') return;
        expect(res.headers['content-type']).toBe('application/scim+json; charset=utf-8');
        const body = JSON.parse(res.text) as { schemas: unknown; status: unknown; scimType?: unknown; detail: unknown };
        expect(body.schemas).toEqual([ERROR]);
        expect(body.status).toBe(String(res.status));
        expect(typeof body.detail).toBe('string');
        if (res.status === 400) expect(SCIM_TYPES).toContain(body.scimType);
        if (res.status === 405) expect(res.headers.allow).toEqual(expect.any(String));
        if (res.status === 429 || res.status === 503) expect(res.headers['retry-after']).toMatch(/^\d+$/);
      }),
      { numRuns: 400 },
    );
    // The generator reaches the write path and the read path, not only the early rejections.
    expect([...statuses.keys()]).toEqual(expect.arrayContaining([200, 400, 404, 405, 415]));
    expect((statuses.get(200) ?? 0) + (statuses.get(201) ?? 0) + (statuses.get(204) ?? 0)).toBeGreaterThan(20);
  }, 300_000);
});
