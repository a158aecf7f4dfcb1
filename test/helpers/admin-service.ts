import { randomUUID } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { loadConfig } from '../../shared/config';
import { serviceLogger } from './service-logs';
import { start } from '../../services/scim-api/main';
import { createTestDatabase } from './postgres';

/** The administrator token the service under test accepts on /api/v2/admin. */
export const ADMIN_TOKEN = 'test-admin-bootstrap-token-0123456789abcdef-0123456789abcdef';
export const TOKEN_HMAC_SECRET = 'test-token-hmac-secret-0123456789abcdef-0123456789abcdef-0123';

export interface AdminService {
  /** http://127.0.0.1:<port>, without a trailing slash. */
  readonly baseUrl: string;
  readonly adminToken: string;
  /** The service's own database, for tests that stage what only time would bring about (an expired token). */
  readonly databaseUrl: string;
  stop(): Promise<void>;
}

/**
 * The whole service process (the one `node dist/services/scim-api/main.js` runs), in this process,
 * on a free port over a fresh database; stop() shuts it down and drops the database.
 */
export async function startAdminService(label = 'admin', env: Record<string, string> = {}): Promise<AdminService> {
  const db = await createTestDatabase(label, { migrate: false });
  const config = loadConfig({
    DATABASE_URL: db.url,
    KAFKA_BROKERS: process.env.KAFKA_BROKERS ?? '127.0.0.1:9092',
    // A topic of its own: the default one belongs to `make run` on the same local broker.
    KAFKA_TOPIC: `scim-events-test-${randomUUID()}`,
    KAFKA_TOPIC_PARTITIONS: '1',
    ADMIN_BOOTSTRAP_TOKEN: ADMIN_TOKEN,
    TOKEN_HMAC_SECRET,
    PORT: '0',
    LOG_LEVEL: 'silent',
    // The platform's admin limits would throttle a suite; tests of the limits set their own.
    ADMIN_SETTINGS_RATE_LIMIT_PER_SECOND: '1000000',
    ADMIN_TEAM_LINK_RATE_LIMIT_PER_MINUTE: '1000000',
    SCIM_RATE_LIMIT_PER_SECOND: '1000000',
    ...env,
  });
  const log = serviceLogger();
  let service: Awaited<ReturnType<typeof start>>;
  try {
    service = await start(config, log);
  } catch (error) {
    await db.drop();
    throw error;
  }
  const { port } = service.server.address() as AddressInfo;
  return {
    baseUrl: `http://127.0.0.1:${port}`,
    adminToken: ADMIN_TOKEN,
    databaseUrl: db.url,
    async stop() {
      try {
        await service.stop();
      } finally {
        await db.drop();
      }
    },
  };
}
