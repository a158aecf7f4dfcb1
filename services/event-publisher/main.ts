import { createServer, type Server } from 'node:http';
import { Registry, collectDefaultMetrics } from 'prom-client';
import type { Config } from '../../shared/config';
import { redactConnectionString } from '../../shared/db/connection-string';
import { migrate } from '../../shared/db/migrate';
import { createPool } from '../../shared/db/pool';
import { createEventStore } from '../../shared/eventstore/create-event-store';
import { createKafka } from '../../shared/kafka/client';
import { createLogger, type Logger } from '../../shared/logging/logger';
import { loadConfigOrExit, runMain, stopOnSignals } from '../../shared/process/lifecycle';
import { publisherMetrics } from './metrics';
import { startEventPublisher } from './publisher';

/**
 * Composition root of the event publisher on its own (the API process can run it too): publishes the
 * event store to KAFKA_TOPIC, and serves /healthz and /metrics (the publisher lag) on HOST:PORT.
 */
export async function start(config: Config, log: Logger): Promise<{ server: Server; stop: () => Promise<void> }> {
  log.info(
    { eventStore: config.EVENT_STORE, database: redactConnectionString(config.DATABASE_URL), kafka: config.KAFKA_BROKERS, topic: config.KAFKA_TOPIC },
    'starting',
  );
  await migrate(config.DATABASE_URL, log.child({ component: 'migrate' }));
  const pool = createPool(config.DATABASE_URL, config.DATABASE_POOL_SIZE);
  const store = createEventStore(config, pool, log);
  const kafka = createKafka({
    brokers: config.KAFKA_BROKERS,
    clientId: `${config.KAFKA_CLIENT_ID}-publisher`,
    log: log.child({ component: 'kafka' }),
  });
  const publisher = startEventPublisher({
    pool,
    store,
    kafka,
    topic: config.KAFKA_TOPIC,
    partitions: config.KAFKA_TOPIC_PARTITIONS,
    replicationFactor: config.KAFKA_REPLICATION_FACTOR,
    log,
  });

  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  publisherMetrics(registry, publisher, log.child({ component: 'metrics' }));
  const server = createServer((req, res) => {
    if (req.method === 'GET' && req.url === '/healthz') {
      res.writeHead(200, { 'Content-Type': 'application/json' }).end('{"status":"ok"}');
    } else if (req.method === 'GET' && req.url === '/metrics') {
      registry.metrics().then(
        (body) => res.writeHead(200, { 'Content-Type': registry.contentType }).end(body),
        (err: unknown) => {
          log.error({ err }, 'metrics failed');
          res.writeHead(500).end();
        },
      );
    } else {
      res.writeHead(404).end();
    }
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(config.PORT, config.HOST, () => resolve());
  });
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : config.PORT;
  log.info({ url: `http://${config.HOST}:${port}/metrics` }, 'listening');

  const stop = async () => {
    await new Promise<void>((resolve) => server.close(() => resolve()));
    await publisher.stop();
    await store.close();
    await pool.end();
  };
  return { server, stop };
}

if (require.main === module) {
  runMain('event-publisher', async () => {
    const config = loadConfigOrExit();
    const log = createLogger({ level: config.LOG_LEVEL, name: 'event-publisher' });
    const { stop } = await start(config, log);
    stopOnSignals(log, stop);
  });
}
