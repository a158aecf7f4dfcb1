import path from 'node:path';
import { runner } from 'node-pg-migrate';
import type { Logger } from '../logging/logger';
import { ensureDatabase } from './create-database';
import { projectRoot } from './project-root';

export const MIGRATIONS_DIR = path.join(projectRoot(), 'shared', 'db', 'migrations');

/**
 * Creates the database when missing and applies every pending migration.
 * node-pg-migrate takes an advisory lock, so concurrent starters serialise.
 */
export async function migrate(databaseUrl: string, log?: Logger): Promise<string[]> {
  const created = await ensureDatabase(databaseUrl);
  if (created) log?.info('database created');
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
      warn: (message: string) => log?.warn(message),
      error: (message: string) => log?.error(message),
    },
  });
  const names = applied.map((m) => m.name);
  if (names.length > 0) log?.info({ migrations: names }, 'migrations applied');
  return names;
}
