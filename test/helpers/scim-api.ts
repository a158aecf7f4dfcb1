import { eventsAfter } from './event-log';
import type { Express } from 'express';
import request from 'supertest';
import type { Clock } from '../../shared/clock';
import { createTwoPhaseWriter } from '../../shared/commands/stream-writer';
import { loadConfig } from '../../shared/config';
import type { RecordedEvent } from '../../shared/eventstore/port';
import { createPostgresEventStore, type PostgresEventStore } from '../../shared/eventstore/postgres/postgres-event-store';
import pino from 'pino';
import { REDACTED_PATHS } from '../../shared/logging/logger';
import { serviceLogger } from './service-logs';
import { composeScimApi } from '../../services/scim-api/compose';
import { startReadModels } from '../../projections/runtime/read-models';
import { StreamChangeFeed } from '../../shared/commands/stream-change-feed';
import { createTestDatabase, type TestDatabase } from './postgres';

export const SCIM_TOKEN = 'test-bootstrap-token-0123456789abcdef-0123456789';
export const ADMIN_TOKEN = 'test-admin-token-0123456789abcdef-0123456789ab';
export const TOKEN_HMAC_SECRET = 'test-hmac-secret-0123456789abcdef-0123456789';

export interface ScimApiUnderTest {
  readonly app: Express;
  readonly db: TestDatabase;
  readonly store: PostgresEventStore;
  /** An authenticated admin request; `path` is relative to /api/v2/admin. */
  admin(method: 'get' | 'post' | 'patch' | 'delete', path: string, body?: unknown, token?: string): request.Test;
  /** An authenticated SCIM request; `path` is relative to /scim/v2. */
  scim(method: 'get' | 'post' | 'put' | 'patch' | 'delete', path: string, body?: unknown, headers?: Record<string, string>): request.Test;
  /** Every event in the store, in global order. */
  allEvents(): Promise<RecordedEvent[]>;
  close(): Promise<void>;
}

export interface StartOptions {
  readonly clock?: Clock;
  /** 'two-phase' exercises the EventStoreDB write path (pending keys, then settle) on Postgres. */
  readonly writer?: 'default' | 'two-phase';
  /** Share another instance's database: a second API process over the same store. */
  readonly db?: TestDatabase;
  /** Log level and destination, for tests that read the service's log lines. */
  readonly logLevel?: string;
  readonly logDestination?: NodeJS.WritableStream;
}

export async function startScimApi(label: string, env: Record<string, string> = {}, options: StartOptions = {}): Promise<ScimApiUnderTest> {
  const db = options.db ?? (await createTestDatabase(label));
  const store = createPostgresEventStore({ pool: db.pool });
  const log = options.logDestination
    ? pino({ level: options.logLevel ?? 'info', redact: { paths: REDACTED_PATHS, censor: '[redacted]' } }, options.logDestination)
    : serviceLogger(options.logLevel);
  const config = loadConfig({
    DATABASE_URL: db.url,
    SCIM_BOOTSTRAP_TOKEN: SCIM_TOKEN,
    ADMIN_BOOTSTRAP_TOKEN: ADMIN_TOKEN,
    TOKEN_HMAC_SECRET,
    SCIM_BASE_URL: 'https://scim.test/scim/v2',
    // The platform's 10 per second would throttle the suites, and their 401 checks would spend the
    // failed-authentication budget of 127.0.0.1; both limits have their own tests.
    SCIM_RATE_LIMIT_PER_SECOND: '1000000',
    SCIM_AUTH_FAILURES_PER_MINUTE: '1000000',
    // Likewise the admin API's limits (their own tests lower them).
    ADMIN_SETTINGS_RATE_LIMIT_PER_SECOND: '1000000',
    ADMIN_TEAM_LINK_RATE_LIMIT_PER_MINUTE: '1000000',
    ...env,
  });
  const readModels = startReadModels({ pool: db.pool, store, log });
  await readModels.caughtUp();
  const changes = new StreamChangeFeed({ pool: db.pool, store });
  const { app, initialise, close: closeApi } = composeScimApi({
    config,
    checkpoints: { scim: readModels.scim.checkpoint$, platform: readModels.platform.checkpoint$ },
    changes,
    pool: db.pool,
    eventStore: store,
    log,
    clock: options.clock ?? { now: () => new Date() },
    ...(options.writer === 'two-phase' ? { writer: createTwoPhaseWriter(db.pool, store) } : {}),
  });
  await initialise();
  return {
    app,
    db,
    store,
    admin(method, path, body, token = ADMIN_TOKEN) {
      let test = request(app)[method](`/api/v2/admin${path}`).set('Authorization', `Bearer ${token}`);
      if (body !== undefined) test = test.set('Content-Type', 'application/vnd.api+json').send(JSON.stringify(body));
      return test;
    },
    scim(method, path, body, headers = {}) {
      let test = request(app)[method](`/scim/v2${path}`).set('Authorization', `Bearer ${SCIM_TOKEN}`);
      for (const [name, value] of Object.entries(headers)) test = test.set(name, value);
      if (body !== undefined) test = test.set('Content-Type', 'application/scim+json').send(typeof body === 'string' ? body : JSON.stringify(body));
      return test;
    },
    allEvents: () => eventsAfter(store),
    async close() {
      await closeApi();
      await readModels.stop();
      await changes.close();
      await store.close();
      if (!options.db) await db.drop();
    },
  };
}

export const USER_SCHEMA = 'urn:ietf:params:scim:schemas:core:2.0:User';
export const GROUP_SCHEMA = 'urn:ietf:params:scim:schemas:core:2.0:Group';
export const ENTERPRISE = 'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User';
export const PATCH_OP = 'urn:ietf:params:scim:api:messages:2.0:PatchOp';
export const ERROR = 'urn:ietf:params:scim:api:messages:2.0:Error';

export function newUser(userName: string, extra: Record<string, unknown> = {}) {
  return {
    schemas: [USER_SCHEMA],
    userName,
    name: { givenName: 'Jane', familyName: 'Doe' },
    emails: [{ value: `${userName.split('@')[0]}@example.com`, type: 'work', primary: true }],
    ...extra,
  };
}

export const patchOp = (...Operations: unknown[]) => ({ schemas: [PATCH_OP], Operations });
