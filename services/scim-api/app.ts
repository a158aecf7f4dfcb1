import express, { type Express, type NextFunction, type Request, type Response, type Router } from 'express';
import { pinoHttp } from 'pino-http';
import { unavailableError } from '../../shared/infrastructure/unavailable';
import type { Logger } from '../../shared/logging/logger';
import { healthRouter, type ReadinessCheck } from './http/health';
import { createHttpMetrics, type HttpMetrics } from './http/metrics';
import { configurePublicUrls } from './http/public-url';
import { redactQuery, redactUrl } from './http/query-secrets';
import { requestIdFor } from './http/request-id';

/**
 * Express's `trust proxy` (https://expressjs.com/en/guide/behind-proxies.html): false (trust no
 * proxy: X-Forwarded-* ignored), a hop count, or addresses / CIDRs / `loopback`, `linklocal`,
 * `uniquelocal`. Decides where req.ip, req.protocol and req.host come from.
 */
export type TrustProxy = boolean | number | readonly string[];

export interface AppDependencies {
  readonly log: Logger;
  readonly readiness: readonly ReadinessCheck[];
  readonly readyTimeoutMs: number;
  readonly metrics?: HttpMetrics;
  readonly scim?: Router;
  /** /api/v2: the administration API under /api/v2/admin and the platform paths go-tfe uses beside it. */
  readonly admin?: Router;
  /** The SCIM settings page at /admin/scim. */
  readonly adminUi?: Router;
  /** The public /scim/v2 URL: meta.location, Location, $ref and admin links use it instead of the request's host. */
  readonly scimBaseUrl?: string;
  /** Which peers' X-Forwarded-For/-Proto/-Host are believed (TRUST_PROXY); none by default. */
  readonly trustProxy?: TrustProxy;
}

/** pino-http's request serializer, then the credential query parameters' values redacted (never logged). */
function redactRequest(req: { url?: unknown; query?: unknown }): unknown {
  if (typeof req.url === 'string') req.url = redactUrl(req.url);
  if (req.query !== undefined) req.query = redactQuery(req.query);
  return req;
}

export function createApp({ log, readiness, readyTimeoutMs, metrics = createHttpMetrics(), scim, admin, adminUi, scimBaseUrl, trustProxy = false }: AppDependencies): Express {
  const app = express();
  configurePublicUrls(app, scimBaseUrl);
  app.disable('x-powered-by');
  app.set('trust proxy', Array.isArray(trustProxy) ? [...trustProxy] : trustProxy);

  app.use(
    pinoHttp({
      logger: log.child({ component: 'http' }),
      genReqId: requestIdFor,
      serializers: { req: redactRequest },
      // Probes and scrapes would drown the request log.
      autoLogging: { ignore: (req) => ['/healthz', '/readyz', '/metrics'].includes(req.url ?? '') },
      // Not faults, so not errors: a 503 is a condition of the service (a dependency down, starting,
      // overloaded), a 501 an endpoint it leaves out (/Me, /Bulk, the root .search).
      customLogLevel: (_req, res, error) =>
        res.statusCode === 503 || res.statusCode === 501 ? 'warn' : error || res.statusCode >= 500 ? 'error' : res.statusCode >= 400 ? 'warn' : 'info',
    }),
  );
  app.use(metrics.middleware);

  app.use(healthRouter({ checks: readiness, timeoutMs: readyTimeoutMs }));
  app.get('/metrics', metrics.handler);
  if (scim) app.use('/scim/v2', scim);
  // Mounted at /api/v2 so that every path under it, an unknown one too, answers in JSON:API.
  if (admin) app.use('/api/v2', admin);
  if (adminUi) app.use(adminUi);

  app.use((req: Request, res: Response) => {
    res.status(404).json({ error: 'not found', path: req.path });
  });

  // Express 5 forwards rejected async handlers here; never answer with an HTML page. A dependency
  // that cannot be reached is a 503 with Retry-After, as on the SCIM and admin APIs.
  app.use((error: unknown, req: Request, res: Response, _next: NextFunction) => {
    const unavailable = unavailableError(error);
    if (unavailable) req.log.warn({ err: error }, 'request failed: service unavailable');
    else req.log.error({ err: error }, 'unhandled error');
    if (res.headersSent) return;
    if (unavailable) {
      res.setHeader('Retry-After', String(unavailable.headers.retryAfterSeconds));
      res.status(503).json({ error: 'service unavailable', detail: unavailable.detail, requestId: req.id });
      return;
    }
    res.status(500).json({ error: 'internal error', requestId: req.id });
  });

  return app;
}
