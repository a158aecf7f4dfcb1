import { Router } from 'express';
import { jsonApiResource, sendResource } from './json-api';
import { allowMethods } from './method-not-allowed';
import type { CleanupProgress } from './scim-cleanup';

/** The one resource of the removal that follows a disable. */
export const CLEANUP_TYPE = 'scim-cleanups';
export const CLEANUP_ID = 'scim';

/**
 * GET /api/v2/admin/scim-cleanup, beyond the platform's API: where the removal of SCIM data after a
 * `DELETE /api/v2/admin/scim-settings` stands. The DELETE answers at once; this resource (and the
 * settings page) shows the removal's progress:
 * `{ running, total, remaining, "started-at", "finished-at" }` (`total` and the times null before any disable).
 */
export function cleanupRoutes({ progress }: { progress: () => Promise<CleanupProgress> }): Router {
  const router = Router();
  router.get('/', async (_req, res) => {
    const p = await progress();
    await sendResource(
      res,
      200,
      jsonApiResource(CLEANUP_TYPE, CLEANUP_ID, {
        running: p.running,
        total: p.total,
        remaining: p.remaining,
        'started-at': p.startedAt,
        'finished-at': p.finishedAt,
      }),
    );
  });
  allowMethods(router, '/', ['GET']);
  return router;
}
