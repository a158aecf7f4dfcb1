import { Router } from 'express';

/** A dependency the process needs to serve requests, checked by GET /readyz. */
export interface ReadinessCheck {
  readonly name: string;
  check(): Promise<void>;
}

async function withTimeout(promise: Promise<void>, ms: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms);
  });
  try {
    await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

export function healthRouter({ checks, timeoutMs }: { checks: readonly ReadinessCheck[]; timeoutMs: number }): Router {
  const router = Router();

  router.get('/healthz', (_req, res) => {
    res.json({ status: 'ok' });
  });

  router.get('/readyz', async (_req, res) => {
    const results = await Promise.all(
      checks.map(async ({ name, check }) => {
        try {
          await withTimeout(check(), timeoutMs);
          return { name, ok: true as const };
        } catch (error) {
          return { name, ok: false as const, error: error instanceof Error ? error.message : String(error) };
        }
      }),
    );
    const failing = results.filter((r) => !r.ok);
    const body = {
      status: failing.length === 0 ? 'ready' : 'not ready',
      ...(failing.length > 0 ? { notReady: failing.map((f) => f.name) } : {}),
      checks: Object.fromEntries(results.map((r) => [r.name, r.ok ? 'ok' : r.error])),
    };
    res.status(failing.length === 0 ? 200 : 503).json(body);
  });

  return router;
}
