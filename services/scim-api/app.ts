import express, { type Express, type NextFunction, type Request, type Response, type Router } from 'express';
import { pinoHttp } from 'pino-http';
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
      customLogLevel: (_req, res, error) => (error || res.statusCode >= 500 ? 'error' : res.statusCode >= 400 ? 'warn' : 'info'),
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

  // Express 5 forwards rejected async handlers here; never answer with an HTML page.
  app.use((error: unknown, req: Request, res: Response, _next: NextFunction) => {
    req.log.error({ err: error }, 'unhandled error');
    if (res.headersSent) return;
    res.status(500).json({ error: 'internal error', requestId: req.id });
  });

  return app;
}
