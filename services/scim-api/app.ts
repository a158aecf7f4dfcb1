import express, { type Express, type NextFunction, type Request, type Response, type Router } from 'express';
import { pinoHttp } from 'pino-http';
import { unavailableError } from '../../shared/infrastructure/unavailable';
import type { Logger } from '../../shared/logging/logger';
import { healthRouter, type ReadinessCheck } from './http/health';
import { createHttpMetrics, type HttpMetrics } from './http/metrics';
import { requestIdFor } from './http/request-id';

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
  /** Fixes meta.location and $ref when the service sits behind a proxy that rewrites the host. */
  readonly scimBaseUrl?: string;
}

export function createApp({ log, readiness, readyTimeoutMs, metrics = createHttpMetrics(), scim, admin, adminUi, scimBaseUrl }: AppDependencies): Express {
  const app = express();
  if (scimBaseUrl) app.set('scimBaseUrl', scimBaseUrl.replace(/\/+$/, ''));
  app.disable('x-powered-by');
  app.set('trust proxy', 'loopback');

  app.use(
    pinoHttp({
      logger: log.child({ component: 'http' }),
      genReqId: requestIdFor,
      // Probes and scrapes would drown the request log.
      autoLogging: { ignore: (req) => ['/healthz', '/readyz', '/metrics'].includes(req.url ?? '') },
      // A 503 is a condition of the service (a dependency down, starting, overloaded), not a fault.
      customLogLevel: (_req, res, error) => (res.statusCode === 503 ? 'warn' : error || res.statusCode >= 500 ? 'error' : res.statusCode >= 400 ? 'warn' : 'info'),
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
