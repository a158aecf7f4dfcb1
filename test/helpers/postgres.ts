import { randomBytes } from 'node:crypto';
import { withDatabase } from '../../shared/db/connection-string';
import { dropDatabase, ensureDatabase } from '../../shared/db/create-database';
import { migrate } from '../../shared/db/migrate';
import { createPool, type Pool } from '../../shared/db/pool';

/**
 * The Postgres server integration tests use: POSTGRES_URL (set by the jest global setup), else the
 * local server every development and CI machine runs. Each test file gets its own database.
 */
export function postgresServerUrl(): string {
  return process.env.POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
}

export interface TestDatabase {
  readonly url: string;
  readonly pool: Pool;
  drop(): Promise<void>;
}

/** A fresh, migrated database named after the test file; drop() removes it. */
export async function createTestDatabase(label = 'test', options: { migrate?: boolean } = {}): Promise<TestDatabase> {
  const safe = label.toLowerCase().replace(/[^a-z0-9]+/g, '_').slice(0, 30);
  const name = `t_${safe}_${randomBytes(4).toString('hex')}`;
  const url = withDatabase(postgresServerUrl(), name);
  if (options.migrate === false) await ensureDatabase(url);
  else await migrate(url);
  const pool = createPool(url, 20);
  return {
    url,
    pool,
    async drop() {
      await pool.end();
      await dropDatabase(url);
    },
  };
}
