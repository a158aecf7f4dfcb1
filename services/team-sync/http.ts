import express, { type Express, type NextFunction, type Request, type Response } from 'express';
import { Registry, collectDefaultMetrics } from 'prom-client';
import type { Pool } from '../../shared/db/pool';
import type { Logger } from '../../shared/logging/logger';
import type { TeamSync } from './consumer';
import { teamSyncMetrics } from './metrics';
import { teamSyncView } from './view';

/**
 * team-sync's HTTP side: `GET /team-sync/state` (its effective team members and site admins, as
 * JSON), `GET /metrics` (Prometheus, with the consumer lag) and `GET /healthz`.
 */
export function teamSyncHttp({
  pool,
  schema,
  teamSync,
  log,
  defaultMetrics = true,
}: {
  pool: Pool;
  schema: string;
  teamSync: Pick<TeamSync, 'lag' | 'stats'>;
  log?: Logger;
  /** Process metrics (CPU, memory, event loop) as well; off where several registries share a process. */
  defaultMetrics?: boolean;
}): Express {
  const registry = new Registry();
  if (defaultMetrics) collectDefaultMetrics({ register: registry });
  teamSyncMetrics(registry, teamSync, log);

  const app = express();
  app.disable('x-powered-by');
  app.get('/healthz', (_req, res) => {
    res.json({ status: 'ok' });
  });
  app.get('/team-sync/state', async (_req, res) => {
    res.json(await teamSyncView(pool, schema));
  });
  app.get('/metrics', async (_req, res) => {
    const body = await registry.metrics();
    res.type(registry.contentType).send(body);
  });
  app.use((err: unknown, _req: Request, res: Response, _next: NextFunction) => {
    log?.error({ err }, 'request failed');
    res.status(500).json({ error: 'internal error' });
  });
  return app;
}
