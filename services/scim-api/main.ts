import type { Server } from 'node:http';
import type { Config } from '../../shared/config';
import { loadConfigOrExit, runMain, StartedParts, stopOnSignals } from '../../shared/process/lifecycle';
import { createHttpServer } from '../../shared/process/http-server';
import { closeServer, listen } from '../../shared/process/listen';
import { redactConnectionString } from '../../shared/db/connection-string';
import { migrate } from '../../shared/db/migrate';
import { createPool } from '../../shared/db/pool';
import { createEventStore } from '../../shared/eventstore/create-event-store';
import { createKafka } from '../../shared/kafka/client';
import { pingKafka } from '../../shared/kafka/ping';
import { createLogger, type Logger } from '../../shared/logging/logger';
import { systemClock } from '../../shared/clock';
import { reconcileUnsettledKeys } from '../../shared/uniqueness/reconciler';
import { platformProjection } from '../../projections/platform/projection';
import { readModelsBuilt } from '../../projections/runtime/read-models';
import { startReadModelsInThread } from '../../projections/runtime/read-models-thread';
import { scimProjection } from '../../projections/scim/projection';
import { StreamChangeFeed } from '../../shared/commands/stream-change-feed';
import { publisherMetrics } from '../event-publisher/metrics';
import { startEventPublisher } from '../event-publisher/publisher';
import { loadTeamSyncConfig } from '../team-sync/config';
import { start as startTeamSync } from '../team-sync/main';
import { composeScimApi } from './compose';
import { createHttpMetrics } from './http/metrics';
import { answerStarting } from './http/starting';
import { polledCheckpoints } from './read/checkpoint-stream';
import { keysOfStream } from './commands/keys-of-stream';

/**
 * Composition root of the SCIM API process: every dependency is built here and nowhere else.
 *
 * Start-up order: the HTTP port first (answering 503 + Retry-After until ready, http/starting.ts),
 * then migrations, team-sync's port when it runs here, and only then what reads, publishes or
 * consumes. A port that cannot be had fails the start at once (ListenError, "already in use")
 * before anything joins a consumer group or takes a lock from a healthy instance; a later step
 * that fails stops what was started (StartedParts) before the error ends the process.
 */
export async function start(config: Config, log: Logger): Promise<{ server: Server; stop: () => Promise<void> }> {
  const startedAt = Date.now();
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
  const parts = new StartedParts(log);
  const server = createHttpServer(answerStarting, {
    requestTimeoutMs: config.HTTP_REQUEST_TIMEOUT_MS,
    headersTimeoutMs: config.HTTP_HEADERS_TIMEOUT_MS,
    keepAliveTimeoutMs: config.HTTP_KEEP_ALIVE_TIMEOUT_MS,
  });

  const running = await parts.run(async () => {
    const port = await listen(server, { port: config.PORT, host: config.HOST, what: 'the SCIM API', portVariable: 'PORT' });
    parts.add('http server', () => closeServer(server));
    log.debug({ url: `http://${config.HOST}:${port}` }, 'port bound; answering 503 until started');

    await migrate(config.DATABASE_URL, log.child({ component: 'migrate' }));
    const pool = createPool(config.DATABASE_URL, config.DATABASE_POOL_SIZE, { connectTimeoutMs: config.DATABASE_CONNECT_TIMEOUT_MS });
    parts.add('postgres pool', () => pool.end());
    const eventStore = createEventStore(config, pool, log);
    parts.add('event store', () => eventStore.close());
    // Readiness asks once and answers: a retrying client would keep reconnecting after the probe.
    const readinessKafka = createKafka({ brokers: config.KAFKA_BROKERS, clientId: `${config.KAFKA_CLIENT_ID}-readiness`, retry: { retries: 0 } });

    // The reference downstream consumer, beside the service for a one-command demo. Its port is
    // bound here (a taken one fails the start); its consumer starts in the background, since a
    // Kafka problem must never keep SCIM from answering (team-sync/main.ts).
    const teamSync = config.RUN_TEAM_SYNC ? await startTeamSync(config, loadTeamSyncConfig(), log, { defaultMetrics: false, inBackground: true }) : undefined;
    if (teamSync) parts.add('team-sync', () => teamSync.stop());

    if (!config.ADMIN_BOOTSTRAP_TOKEN) log.warn('ADMIN_BOOTSTRAP_TOKEN is not set: only existing administrator tokens can use /api/v2/admin');
    // The read model is kept in this process by default; with RUN_PROJECTIONS=false another process
    // keeps it (`node dist/services/projector/main.js`) and this one follows its checkpoint.
    // In a worker thread of this process: HTTP load must not hold the projections back.
    const readModels = config.RUN_PROJECTIONS ? startReadModelsInThread({ config, log }) : undefined;
    if (!readModels) {
      await readModelsBuilt(pool, { onWait: () => log.info('waiting for the projector (make projector) to build the read models') });
    }
    if (readModels) {
      parts.add('read models', () => readModels.stop());
      // The read models' tables exist once the first catch-up is done; reads (and inline writes) need them.
      await readModels.caughtUp();
    }
    // What this process hears of appends anywhere: its stream states and token cache follow it.
    const changes = new StreamChangeFeed({ pool, store: eventStore, log: log.child({ component: 'stream-change-feed' }) });
    parts.add('stream change feed', () => changes.close());
    // Every event reaches Kafka through this subscription processor, never from a request; with
    // RUN_PUBLISHER=false it runs alone (`node dist/services/event-publisher/main.js`).
    const metrics = createHttpMetrics();
    const publisher = config.RUN_PUBLISHER
      ? startEventPublisher({
          pool,
          store: eventStore,
          // The publisher's logger (createKafka): kafkajs' lines carry component event-publisher.
          kafka: createKafka({ brokers: config.KAFKA_BROKERS, clientId: `${config.KAFKA_CLIENT_ID}-publisher`, log: log.child({ component: 'event-publisher' }) }),
          topic: config.KAFKA_TOPIC,
          source: config.EVENT_SOURCE,
          partitions: config.KAFKA_TOPIC_PARTITIONS,
          replicationFactor: config.KAFKA_REPLICATION_FACTOR,
          log,
        })
      : undefined;
    if (publisher) {
      parts.add('event publisher', () => publisher.stop());
      publisherMetrics(metrics.registry, publisher, log.child({ component: 'event-publisher' }));
    }

    const scimApi = composeScimApi({
      metrics,
      checkpoints: readModels
        ? { scim: readModels.scim.checkpoint$, platform: readModels.platform.checkpoint$ }
        : { scim: polledCheckpoints(pool, scimProjection.name), platform: polledCheckpoints(pool, platformProjection.name) },
      changes,
      config,
      pool,
      eventStore,
      log,
      clock: systemClock,
      readiness: [
        { name: 'postgres', check: async () => void (await pool.query('select 1')) },
        { name: 'eventStore', check: () => eventStore.ping() },
        { name: 'kafka', check: () => pingKafka(readinessKafka, config.READY_TIMEOUT_MS) },
      ],
    });

    // With EventStoreDB, unique keys are claimed before the append and settled after it: settle
    // what a crash left. The Postgres store claims keys in the append's own transaction, so there
    // only the start-up backfill's pending keys (compose.ts initialise) are left to settle.
    const reconcilerLog = log.child({ component: 'key-reconciler' });
    const reconciler = setInterval(() => {
      reconcileUnsettledKeys({ pool, store: eventStore, keysOf: keysOfStream, log: reconcilerLog }, 60_000).catch((err: unknown) =>
        reconcilerLog.error({ err }, 'unique key reconciliation failed'),
      );
    }, 30_000);
    parts.add('key reconciler', async () => clearInterval(reconciler));
    parts.add('scim api', () => scimApi.close());

    await scimApi.initialise();
    return { port, teamSync, app: scimApi.app };
  });

  server.off('request', answerStarting);
  server.on('request', running.app);
  log.info({ url: `http://${config.HOST}:${running.port}`, startupMs: Date.now() - startedAt }, 'listening');

  const stop = async () => {
    // No new requests; then team-sync leaves its group first, so another member takes its partitions at once.
    await closeServer(server);
    await running.teamSync?.stop();
    await parts.stopAll();
  };
  return { server, stop };
}

if (require.main === module) {
  runMain('scim-api', async (context) => {
    const config = loadConfigOrExit();
    const log = createLogger({ level: config.LOG_LEVEL, name: 'scim-api', format: config.LOG_FORMAT });
    context.log = log;
    const { stop } = await start(config, log);
    stopOnSignals(log, stop);
  });
}
