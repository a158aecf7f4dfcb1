import type { Server } from 'node:http';
import { connect, type Socket } from 'node:net';
import { loadConfig } from '../../shared/config';
import { start } from '../../services/scim-api/main';
import { serviceLogger } from '../helpers/service-logs';
import { createTestDatabase, type TestDatabase } from '../helpers/postgres';

/** Opens a connection, writes `sent`, and resolves with what the server answered and when it closed, in ms after the write. */
function sendAndWait(port: number, sent: string, limitMs: number): Promise<{ answer: string; closedAfterMs: number }> {
  return new Promise((resolve, reject) => {
    const socket: Socket = connect(port, '127.0.0.1');
    let answer = '';
    let sentAt = 0;
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error(`the server kept the connection open for ${limitMs} ms; it answered: ${JSON.stringify(answer)}`));
    }, limitMs);
    socket.setEncoding('utf8');
    socket.on('connect', () => {
      sentAt = Date.now();
      socket.write(sent);
    });
    socket.on('data', (chunk: string) => (answer += chunk));
    socket.on('error', () => undefined);
    socket.on('close', () => {
      clearTimeout(timer);
      resolve({ answer, closedAfterMs: Date.now() - sentAt });
    });
  });
}

describe('slow clients (HTTP_REQUEST_TIMEOUT_MS, HTTP_HEADERS_TIMEOUT_MS, HTTP_KEEP_ALIVE_TIMEOUT_MS)', () => {
  let db: TestDatabase;
  let port: number;
  let stop: () => Promise<void>;

  beforeAll(async () => {
    db = await createTestDatabase('slow_clients', { migrate: false });
    const config = loadConfig({
      PORT: '0',
      DATABASE_URL: db.url,
      KAFKA_BROKERS: '127.0.0.1:1',
      RUN_PUBLISHER: 'false',
      TOKEN_HMAC_SECRET: 'slow-clients-hmac-secret-0123456789abcdef',
      HTTP_HEADERS_TIMEOUT_MS: '600',
      HTTP_REQUEST_TIMEOUT_MS: '1500',
      HTTP_KEEP_ALIVE_TIMEOUT_MS: '800',
    });
    const service = await start(config, serviceLogger());
    port = ((service.server as Server).address() as { port: number }).port;
    stop = service.stop;
  }, 60_000);
  afterAll(async () => {
    await stop?.();
    await db?.drop();
  });

  it('answers 408 and closes a connection whose headers do not arrive within the headers timeout', async () => {
    const { answer, closedAfterMs } = await sendAndWait(port, 'GET /healthz HTTP/1.1\r\nHost: localhost\r\nX-Slow: ', 5_000);
    expect(answer).toBe('HTTP/1.1 408 Request Timeout\r\nConnection: close\r\n\r\n');
    expect(closedAfterMs).toBeGreaterThanOrEqual(550);
    expect(closedAfterMs).toBeLessThan(600 + 1_500);
  });

  it('answers 408 and closes a connection whose body does not arrive within the request timeout', async () => {
    // Without a token the 401 goes out at once; the request is still unfinished until its body arrives.
    const head = 'POST /scim/v2/Users HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/scim+json\r\nContent-Length: 1000\r\n\r\n{"userName":';
    const { answer, closedAfterMs } = await sendAndWait(port, head, 5_000);
    expect(answer).toMatch(/^HTTP\/1\.1 401 Unauthorized\r\n[\s\S]*HTTP\/1\.1 408 Request Timeout\r\nConnection: close\r\n\r\n$/);
    expect(closedAfterMs).toBeGreaterThanOrEqual(1_400);
    expect(closedAfterMs).toBeLessThan(1_500 + 1_500);
  });

  it('closes an idle keep-alive connection after the keep-alive timeout', async () => {
    const { answer, closedAfterMs } = await sendAndWait(port, 'GET /healthz HTTP/1.1\r\nHost: localhost\r\n\r\n', 5_000);
    expect(answer).toMatch(/^HTTP\/1\.1 200 OK\r\n/);
    // Node advertises whole seconds, rounded down, and closes a second after the timeout (so a
    // client that honours the header always closes first).
    expect(answer).toMatch(/\r\nKeep-Alive: timeout=0\r\n/);
    expect(closedAfterMs).toBeGreaterThanOrEqual(750);
    expect(closedAfterMs).toBeLessThan(800 + 1_000 + 1_000);
  });
});
