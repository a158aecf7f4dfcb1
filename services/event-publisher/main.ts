import { createServer, type Server } from 'node:http';
import { Registry, collectDefaultMetrics } from 'prom-client';
import type { Config } from '../../shared/config';
import { redactConnectionString } from '../../shared/db/connection-string';
import { migrate } from '../../shared/db/migrate';
import { createPool } from '../../shared/db/pool';
import { createEventStore } from '../../shared/eventstore/create-event-store';
import { createKafka } from '../../shared/kafka/client';
import { createLogger, type Logger } from '../../shared/logging/logger';
import { loadConfigOrExit, runMain, StartedParts, stopOnSignals } from '../../shared/process/lifecycle';
import { closeServer, listen } from '../../shared/process/listen';
import { publisherMetrics } from './metrics';
import { startEventPublisher } from './publisher';

/**
 * Composition root of the event publisher on its own (the API process can run it too): publishes the
 * event store to KAFKA_TOPIC with EVENT_SOURCE as every event's `ce_source`, and serves /healthz
 * and /metrics (the publisher lag) on HOST:PORT. The port is bound first: a taken one fails the
 * start before the publisher takes its lock.
 */
export async function start(config: Config, log: Logger): Promise<{ server: Server; stop: () => Promise<void> }> {
  log.info(
    {
      eventStore: config.EVENT_STORE,
      database: redactConnectionString(config.DATABASE_URL),
      kafka: config.KAFKA_BROKERS,
      topic: config.KAFKA_TOPIC,
      eventSource: config.EVENT_SOURCE,
    },
    'starting',
  );
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
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
  const parts = new StartedParts(log);
  const { port } = await parts.run(async () => {
    const port = await listen(server, { port: config.PORT, host: config.HOST, what: 'the event publisher', portVariable: 'PORT' });
    parts.add('http server', () => closeServer(server));
    await migrate(config.DATABASE_URL, log.child({ component: 'migrate' }));
    const pool = createPool(config.DATABASE_URL, config.DATABASE_POOL_SIZE);
    parts.add('postgres pool', () => pool.end());
    const store = createEventStore(config, pool, log);
    parts.add('event store', () => store.close());
    const publisherLog = log.child({ component: 'event-publisher' });
    const publisher = startEventPublisher({
      pool,
      store,
      // The publisher's logger: kafkajs' lines carry component event-publisher.
      kafka: createKafka({ brokers: config.KAFKA_BROKERS, clientId: `${config.KAFKA_CLIENT_ID}-publisher`, log: publisherLog }),
      topic: config.KAFKA_TOPIC,
      source: config.EVENT_SOURCE,
      partitions: config.KAFKA_TOPIC_PARTITIONS,
      replicationFactor: config.KAFKA_REPLICATION_FACTOR,
      log,
    });
    parts.add('event publisher', () => publisher.stop());
    publisherMetrics(registry, publisher, publisherLog);
    return { port };
  });
  log.info({ url: `http://${config.HOST}:${port}/metrics` }, 'listening');

  const stop = async () => {
    await closeServer(server);
    await parts.stopAll();
  };
  return { server, stop };
}

if (require.main === module) {
  runMain('event-publisher', async (context) => {
    const config = loadConfigOrExit();
    const log = createLogger({ level: config.LOG_LEVEL, name: 'event-publisher', format: config.LOG_FORMAT });
    context.log = log;
    const { stop } = await start(config, log);
    stopOnSignals(log, stop);
  });
}
