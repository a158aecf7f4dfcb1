import { randomUUID } from 'node:crypto';
import type { Server } from 'node:http';
import { loadConfig } from '../../shared/config';
import { dropDatabase } from '../../shared/db/create-database';
import { createPool } from '../../shared/db/pool';
import { serviceLogger } from '../helpers/service-logs';
import { start } from '../../services/scim-api/main';
import { resolveKafka } from '../helpers/kafka';
import { createTestDatabase, type TestDatabase } from '../helpers/postgres';

const log = () => serviceLogger();

async function startService(env: NodeJS.ProcessEnv): Promise<{ url: string; stop: () => Promise<void> }> {
  const config = loadConfig({ PORT: '0', LOG_LEVEL: 'silent', READY_TIMEOUT_MS: '3000', TOKEN_HMAC_SECRET: 'health-test-hmac-secret-0123456789abcdef', ...env });
  const { server, stop } = await start(config, log());
  const address = (server as Server).address();
  if (!address || typeof address === 'string') throw new Error('no port');
  return { url: `http://127.0.0.1:${address.port}`, stop };
}

describe('the service process', () => {
  let db: TestDatabase;
  let brokers: string[] | undefined;
  let skipReason: string | undefined;

  beforeAll(async () => {
    db = await createTestDatabase('service_health', { migrate: false });
    const kafka = await resolveKafka();
    if ('skip' in kafka) skipReason = kafka.skip;
    else brokers = kafka.brokers;
  });
  afterAll(async () => {
    await db.drop();
  });

  describe('with Postgres and Kafka up', () => {
    it('answers /healthz, /readyz and /metrics', async () => {
      if (!brokers) {
        if (process.env.CI === 'true') throw new Error(`Kafka is required in CI: ${skipReason}`);
        console.warn(`readiness with Kafka skipped: ${skipReason}`);
        return;
      }
      const service = await startService({ DATABASE_URL: db.url, KAFKA_BROKERS: brokers.join(','), KAFKA_TOPIC: `scim-events-test-${randomUUID()}`, KAFKA_TOPIC_PARTITIONS: '1' });
      try {
        const health = await fetch(`${service.url}/healthz`);
        expect(health.status).toBe(200);
        expect(await health.json()).toEqual({ status: 'ok' });
        expect(health.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/);

        const ready = await fetch(`${service.url}/readyz`);
        expect(await ready.json()).toEqual({ status: 'ready', checks: { postgres: 'ok', eventStore: 'ok', kafka: 'ok' } });
        expect(ready.status).toBe(200);

        const metrics = await fetch(`${service.url}/metrics`);
        expect(metrics.status).toBe(200);
        const text = await metrics.text();
        expect(text).toMatch(/http_request_duration_seconds_count\{method="GET",route="\/healthz",status="200"\} 1/);
        expect(text).toMatch(/process_cpu_user_seconds_total/);
      } finally {
        await service.stop();
      }
    });

    it('keeps a plain caller-supplied request id and replaces anything else', async () => {
      const service = await startService({ DATABASE_URL: db.url, KAFKA_BROKERS: (brokers ?? ['127.0.0.1:1']).join(','), RUN_PUBLISHER: 'false' });
      try {
        const kept = await fetch(`${service.url}/healthz`, { headers: { 'X-Request-Id': 'abc-123' } });
        expect(kept.headers.get('x-request-id')).toBe('abc-123');
        const replaced = await fetch(`${service.url}/healthz`, { headers: { 'X-Request-Id': 'x'.repeat(500) } });
        expect(replaced.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/);
      } finally {
        await service.stop();
      }
    });
  });

  describe('when Kafka is unreachable', () => {
    it('answers /readyz with 503 naming kafka, and /healthz with 200', async () => {
      // Port 1 on loopback: nothing listens there, so the connection is refused at once.
      const service = await startService({ DATABASE_URL: db.url, KAFKA_BROKERS: '127.0.0.1:1', READY_TIMEOUT_MS: '1500', RUN_PUBLISHER: 'false' });
      try {
        const ready = await fetch(`${service.url}/readyz`);
        expect(ready.status).toBe(503);
        const body = (await ready.json()) as { notReady: string[]; checks: Record<string, string> };
        expect(body.notReady).toEqual(['kafka']);
        expect(body.checks.postgres).toBe('ok');
        expect((await fetch(`${service.url}/healthz`)).status).toBe(200);
      } finally {
        await service.stop();
      }
    });
  });

  describe('when it starts on a database that does not exist', () => {
    it('creates and migrates it', async () => {
      const fresh = `${db.url}_fresh`;
      const service = await startService({ DATABASE_URL: fresh, KAFKA_BROKERS: '127.0.0.1:1', RUN_PUBLISHER: 'false' });
      await service.stop();
      const pool = createPool(fresh, 1);
      try {
        const events = await pool.query(`select to_regclass('public.events') as t`);
        expect(events.rows[0].t).toBe('events');
      } finally {
        await pool.end();
        await dropDatabase(fresh);
      }
    });
  });
});
