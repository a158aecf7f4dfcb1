import { readFileSync } from 'node:fs';
import path from 'node:path';
import { Router, type Response } from 'express';
import { projectRoot } from '../../../shared/db/project-root';

/** The page's own files. tsc does not copy them to dist/, so they are read from the source tree. */
export function adminUiDir(): string {
  return path.join(projectRoot(), 'services/scim-api/admin-ui');
}

export const ADMIN_UI_CONTENT_SECURITY_POLICY =
  "default-src 'self'; script-src 'self'; style-src 'self'; connect-src 'self'; frame-ancestors 'none'";

const FILES = {
  'index.html': 'text/html; charset=utf-8',
  'app.js': 'text/javascript; charset=utf-8',
  'styles.css': 'text/css; charset=utf-8',
  'favicon.svg': 'image/svg+xml',
} as const;

type FileName = keyof typeof FILES;

/**
 * The SCIM settings page at /admin/scim (and /admin/scim/), with app.js, styles.css and its icon beside it.
 * The files are read once, so a missing one stops the process at start rather than at first view.
 */
export function adminUiRoutes(dir: string = adminUiDir()): Router {
  const contents = Object.fromEntries(
    (Object.keys(FILES) as FileName[]).map((name) => [name, readFileSync(path.join(dir, name))]),
  ) as Record<FileName, Buffer>;

  const send = (res: Response, name: FileName) => {
    res
      .set({
        'Content-Type': FILES[name],
        'Content-Security-Policy': ADMIN_UI_CONTENT_SECURITY_POLICY,
        'X-Content-Type-Options': 'nosniff',
        'Cache-Control': 'no-store',
        'Referrer-Policy': 'no-referrer',
      })
      .send(contents[name]);
  };

  const router = Router({ strict: true });
  router.get(['/admin/scim', '/admin/scim/'], (_req, res) => send(res, 'index.html'));
  router.get('/admin/scim/app.js', (_req, res) => send(res, 'app.js'));
  router.get('/admin/scim/styles.css', (_req, res) => send(res, 'styles.css'));
  router.get('/admin/scim/favicon.svg', (_req, res) => send(res, 'favicon.svg'));
  return router;
}
