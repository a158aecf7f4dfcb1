import net from 'node:net';
import type { AddressInfo } from 'node:net';
import { createHttpServer } from '../../../shared/process/http-server';

/** The raw answer to `request` from a server on a loopback port. */
function exchange(port: number, request: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    const socket = net.connect({ host: '127.0.0.1', port });
    socket.on('data', (chunk: Buffer) => chunks.push(chunk));
    socket.on('error', reject);
    socket.on('close', () => resolve(Buffer.concat(chunks).toString('latin1')));
    socket.end(request);
  });
}

describe('createHttpServer', () => {
  it('answers a request with an unknown Expect through the listener of the moment, not with a bare 417 (RFC 9110 §10.1.1)', async () => {
    const starting = (_req: unknown, res: import('node:http').ServerResponse) => void res.writeHead(503, { 'Content-Type': 'application/json' }).end('{"starting":true}');
    const server = createHttpServer(starting, { requestTimeoutMs: 5000, headersTimeoutMs: 5000, keepAliveTimeoutMs: 1000 });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    try {
      const request = 'GET /scim/v2/Users HTTP/1.1\r\nHost: x\r\nExpect: garbage\r\nConnection: close\r\n\r\n';
      expect(await exchange(port, request)).toMatch(/^HTTP\/1\.1 503 [^]*\{"starting":true\}\r\n0\r\n\r\n$/);
      // The app that replaces the starting listener answers it too.
      server.off('request', starting);
      server.on('request', (_req, res) => void res.writeHead(200, { 'Content-Type': 'application/json' }).end('{"app":true}'));
      expect(await exchange(port, request)).toMatch(/^HTTP\/1\.1 200 [^]*\{"app":true\}\r\n0\r\n\r\n$/);
    } finally {
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  });
});
