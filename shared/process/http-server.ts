import { createServer, type RequestListener, type Server } from 'node:http';

/** How long a client may take, in milliseconds (see Node's http.Server of the same names). */
export interface HttpTimeouts {
  /** To send a whole request, headers and body (Node's default: 300 s). */
  readonly requestTimeoutMs: number;
  /** To send the request's headers (Node's default: 60 s). */
  readonly headersTimeoutMs: number;
  /** An idle keep-alive connection stays open this long after its last response (Node's default: 5 s). */
  readonly keepAliveTimeoutMs: number;
}

/**
 * An HTTP server whose slow clients are bounded: a request whose headers or body do not arrive in
 * time is answered 408 and its connection closed (Node does both). Node checks those deadlines
 * every `connectionsCheckingInterval` (30 s by default, which would let a 10 s deadline slip to
 * 40 s); here every second, or more often for shorter deadlines.
 */
export function createHttpServer(listener: RequestListener, timeouts: HttpTimeouts): Server {
  const server = createServer({ connectionsCheckingInterval: Math.max(50, Math.min(1000, Math.floor(timeouts.headersTimeoutMs / 4))) }, listener);
  server.requestTimeout = timeouts.requestTimeoutMs;
  server.headersTimeout = timeouts.headersTimeoutMs;
  server.keepAliveTimeout = timeouts.keepAliveTimeoutMs;
  // An Expect other than 100-continue: Node would answer 417 itself, with no body and outside the
  // app, so not as a SCIM or JSON:API error. RFC 9110 §10.1.1 lets a server ignore the
  // expectation (417 is a MAY): whoever answers requests then (the listener may be swapped once
  // started) answers it as it would without the header.
  server.on('checkExpectation', (req, res) => server.emit('request', req, res));
  return server;
}
