/**
 * A lean HTTP/1.1 client with keep-alive (one connection per closed-loop client, like an identity
 * provider's worker), and the closed loop itself: each client sends its next request the moment
 * the previous one answered.
 */
import http from 'node:http';

export interface HttpResult {
  readonly status: number;
  readonly body: unknown;
  /** Request sent to last byte of the response, in milliseconds. */
  readonly ms: number;
}

export class HttpClient {
  private readonly agent: http.Agent;
  private readonly url: URL;

  constructor(
    origin: string,
    private readonly headers: Record<string, string>,
    connections = 64,
  ) {
    this.url = new URL(origin);
    this.agent = new http.Agent({ keepAlive: true, maxSockets: connections });
  }

  request(method: string, path: string, body?: unknown, headers: Record<string, string> = {}): Promise<HttpResult> {
    const payload = body === undefined ? undefined : Buffer.from(typeof body === 'string' ? body : JSON.stringify(body));
    return new Promise((resolve, reject) => {
      const started = performance.now();
      const req = http.request(
        {
          host: this.url.hostname,
          port: this.url.port,
          method,
          path,
          agent: this.agent,
          headers: { ...this.headers, ...headers, ...(payload ? { 'Content-Length': payload.length } : {}) },
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (chunk: Buffer) => chunks.push(chunk));
          res.on('end', () => {
            const ms = performance.now() - started;
            const text = Buffer.concat(chunks).toString('utf8');
            let parsed: unknown = text;
            if (text && /json/.test(res.headers['content-type'] ?? '')) {
              try {
                parsed = JSON.parse(text);
              } catch {
                parsed = text;
              }
            }
            resolve({ status: res.statusCode ?? 0, body: parsed, ms });
          });
          res.on('error', reject);
        },
      );
      req.on('error', reject);
      if (payload) req.write(payload);
      req.end();
    });
  }

  close(): void {
    this.agent.destroy();
  }
}

/** A client of the SCIM API with the bench's bearer token. */
export function scimClient(origin: string, token: string, connections = 64): HttpClient {
  return new HttpClient(`${origin}`, { Authorization: `Bearer ${token}`, 'Content-Type': 'application/scim+json', Accept: 'application/scim+json' }, connections);
}

export interface LoopResult {
  /** Operations completed inside the measured window. */
  readonly completed: number;
  readonly seconds: number;
  /** Operations per second inside the measured window. */
  readonly rate: number;
  /** Latency of every operation completed inside the measured window, ms. */
  readonly latencies: number[];
  /** Failed operations (a non-expected status or an error), with the first few reasons. */
  readonly failures: number;
  readonly failureSamples: string[];
}

/**
 * Runs `clients` closed-loop clients for warmupMs + durationMs; only operations that start after
 * the warm-up and end before the deadline are counted. `operation` returns false (or throws) on failure.
 */
export async function closedLoop(options: {
  clients: number;
  durationMs: number;
  warmupMs: number;
  operation: (client: number, sequence: number) => Promise<boolean>;
}): Promise<LoopResult> {
  const { clients, durationMs, warmupMs, operation } = options;
  const started = performance.now();
  const measureFrom = started + warmupMs;
  const deadline = measureFrom + durationMs;
  const latencies: number[] = [];
  const failureSamples: string[] = [];
  let failures = 0;
  await Promise.all(
    Array.from({ length: clients }, async (_, client) => {
      for (let sequence = 0; performance.now() < deadline; sequence++) {
        const begin = performance.now();
        let ok: boolean;
        try {
          ok = await operation(client, sequence);
        } catch (error) {
          ok = false;
          if (failureSamples.length < 5) failureSamples.push(String(error));
        }
        const end = performance.now();
        if (begin < measureFrom || end > deadline) continue;
        if (ok) latencies.push(end - begin);
        else failures++;
      }
    }),
  );
  const seconds = durationMs / 1000;
  return { completed: latencies.length, seconds, rate: latencies.length / seconds, latencies, failures, failureSamples };
}

/** The result when it has the expected status; else an Error naming the status and body. */
export function ensureStatus(result: HttpResult, expected: number | readonly number[], what: string): HttpResult {
  const accepted = typeof expected === 'number' ? [expected] : expected;
  if (!accepted.includes(result.status)) throw new Error(`${what}: HTTP ${result.status} (expected ${accepted.join(' or ')}): ${JSON.stringify(result.body).slice(0, 300)}`);
  return result;
}
