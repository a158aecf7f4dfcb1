import path from 'node:path';
import { runner } from 'node-pg-migrate';
import type { Logger } from '../logging/logger';
import { ensureDatabase } from './create-database';
import { projectRoot } from './project-root';

export const MIGRATIONS_DIR = path.join(projectRoot(), 'shared', 'db', 'migrations');

/** How long a starter waits for another one's migrations before it gives up. */
const LOCK_WAIT_MS = 120_000;
const LOCK_RETRY_MS = 200;

/**
 * Creates the database when missing and applies every pending migration. node-pg-migrate takes an
 * advisory lock and fails at once when another process holds it ("Another migration is already
 * running"): several instances starting together wait their turn here, and then find nothing to do.
 * @throws the migration's own error; the lock error after LOCK_WAIT_MS.
 */
export async function migrate(databaseUrl: string, log?: Logger): Promise<string[]> {
  const created = await ensureDatabase(databaseUrl);
  if (created) log?.info('database created');
  const deadline = Date.now() + LOCK_WAIT_MS;
  for (;;) {
    try {
      return await migrateOnce(databaseUrl, log);
    } catch (error) {
      if (!/Another migration is already running/.test(String((error as Error).message)) || Date.now() > deadline) throw error;
      log?.debug('another process is migrating; waiting for it');
      await new Promise((resolve) => setTimeout(resolve, LOCK_RETRY_MS));
    }
  }
}

async function migrateOnce(databaseUrl: string, log?: Logger): Promise<string[]> {
  const applied = await runner({
    databaseUrl,
    dir: MIGRATIONS_DIR,
    direction: 'up',
    migrationsTable: 'schema_migrations',
    checkOrder: true,
    log: (message: string) => log?.debug({ migration: message }, 'migration'),
    logger: {
      debug: () => undefined,
      info: (message: string) => log?.debug(message),
      // "Failed to release migration lock" follows a lock it never took: the retry above handles that.
      warn: (message: string) => (/release migration lock/.test(message) ? log?.debug(message) : log?.warn(message)),
      error: (message: string) => log?.error(message),
    },
  });
  const names = applied.map((m) => m.name);
  if (names.length > 0) log?.info({ migrations: names }, 'migrations applied');
  return names;
}
