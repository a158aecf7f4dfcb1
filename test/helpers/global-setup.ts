import { KafkaContainer } from '@testcontainers/kafka';
import { PostgreSqlContainer } from '@testcontainers/postgresql';
import { rmSync } from 'node:fs';
import { dockerUnavailableReason } from './docker';
import { SERVICE_LOG_DIR } from './service-logs';
import { resolveEventStoreDb } from './eventstoredb';
import { LOCAL_BROKER, resolveKafkaSync } from './kafka';

type Stop = () => Promise<unknown>;
const stops: Stop[] = [];
(globalThis as { __testServiceStops?: Stop[] }).__testServiceStops = stops;

/**
 * Decides once, before any worker starts, where the integration tests find their services, and
 * says so. Workers inherit process.env from here:
 * - POSTGRES_URL: the env value; else testcontainers when a Docker engine answers; else the local server.
 * - KAFKA_BROKERS: the env value; else testcontainers; else the local broker (started by `make test`).
 * - EVENTSTOREDB_URL: the env value; else testcontainers; else EVENTSTOREDB_SKIP_REASON, printed by the suites.
 */
export default async function globalSetup(): Promise<void> {
  rmSync(SERVICE_LOG_DIR, { recursive: true, force: true });
  const noDocker = process.env.TESTCONTAINERS_DISABLED === 'true' ? 'TESTCONTAINERS_DISABLED=true' : await dockerUnavailableReason();

  if (process.env.POSTGRES_URL) {
    console.log('[test] Postgres from POSTGRES_URL');
  } else if (noDocker) {
    process.env.POSTGRES_URL = 'postgres://postgres@127.0.0.1:5432/postgres';
    console.log(`[test] Postgres: local server at 127.0.0.1:5432 (${noDocker})`);
  } else {
    const container = await new PostgreSqlContainer('postgres:16-alpine').start();
    stops.push(() => container.stop());
    process.env.POSTGRES_URL = container.getConnectionUri().replace(/\/[^/]*$/, '/postgres');
    console.log('[test] Postgres from testcontainers');
  }

  if (process.env.KAFKA_BROKERS) {
    console.log(`[test] Kafka from KAFKA_BROKERS (${process.env.KAFKA_BROKERS})`);
  } else if (noDocker) {
    const local = resolveKafkaSync();
    if ('brokers' in local) {
      process.env.KAFKA_BROKERS = local.brokers.join(',');
      console.log(`[test] Kafka: local broker at ${LOCAL_BROKER} (${noDocker})`);
    } else {
      console.log(`[test] Kafka: none, its tests are skipped (${local.skip}; ${noDocker})`);
    }
  } else {
    const container = await new KafkaContainer('confluentinc/cp-kafka:7.9.0').withKraft().withExposedPorts(9093).start();
    stops.push(() => container.stop());
    process.env.KAFKA_BROKERS = `${container.getHost()}:${container.getMappedPort(9093)}`;
    console.log('[test] Kafka from testcontainers');
  }

  const eventStoreDb = await resolveEventStoreDb();
  if ('skip' in eventStoreDb) {
    process.env.EVENTSTOREDB_SKIP_REASON = eventStoreDb.skip;
    console.log(`[test] EventStoreDB: none, its suites are skipped (${eventStoreDb.skip})`);
  } else {
    stops.push(() => eventStoreDb.stop());
    process.env.EVENTSTOREDB_URL = eventStoreDb.url;
    console.log('[test] EventStoreDB at', eventStoreDb.url);
  }
}
