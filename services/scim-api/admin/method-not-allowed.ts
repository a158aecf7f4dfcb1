import type { Router } from 'express';
import { AdminApiError } from './json-api';

/**
 * After a path's routes: any other method gets 405 with `Allow` (RFC 9110 §15.5.6), as a JSON:API
 * error document, instead of falling through to 404. Register it after the path's own routes.
 */
export function allowMethods(router: Router, path: string, methods: readonly string[]): void {
  const allow = [...methods, ...(methods.includes('GET') ? ['HEAD'] : [])].join(', ');
  router.all(path, (req, res) => {
    res.setHeader('Allow', allow);
    throw new AdminApiError(405, `${req.method} is not allowed here; allowed: ${allow}`);
  });
}
