import type { NextFunction, Request, RequestHandler, Response } from 'express';
import { Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import { routeTemplate } from './route-templates';

export interface HttpMetrics {
  readonly registry: Registry;
  readonly middleware: RequestHandler;
  readonly handler: RequestHandler;
}

/**
 * One registry per process (not prom-client's global one, so tests can build several apps).
 * `http_request_duration_seconds` is labelled by method, status and the matched route's template
 * (route-templates.ts; `unmatched` when no route answered), so its series are bounded by the
 * routes the service has, whatever paths clients send.
 */
export function createHttpMetrics(registry: Registry = new Registry()): HttpMetrics {
  collectDefaultMetrics({ register: registry });
  const duration = new Histogram({
    name: 'http_request_duration_seconds',
    help: 'HTTP request duration by method, route and status',
    labelNames: ['method', 'route', 'status'] as const,
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: [registry],
  });

  const middleware = (req: Request, res: Response, next: NextFunction) => {
    const stop = duration.startTimer();
    res.on('finish', () => {
      // The matched route's template, never the path as sent: ids and spellings would grow the series without bound.
      const route = routeTemplate(req.app, req.route) ?? 'unmatched';
      stop({ method: req.method, route, status: String(res.statusCode) });
    });
    next();
  };

  const handler = async (_req: Request, res: Response) => {
    res.setHeader('Content-Type', registry.contentType);
    res.send(await registry.metrics());
  };

  return { registry, middleware, handler };
}
