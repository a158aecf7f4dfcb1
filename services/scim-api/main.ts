import type { Server } from 'node:http';
import { filter, firstValueFrom } from 'rxjs';
import type { Config } from '../../shared/config';
import { loadConfigOrExit, runMain, stopOnSignals } from '../../shared/process/lifecycle';
import { redactConnectionString } from '../../shared/db/connection-string';
import { migrate } from '../../shared/db/migrate';
import { createPool } from '../../shared/db/pool';
import { createEventStore } from '../../shared/eventstore/create-event-store';
import { createKafka } from '../../shared/kafka/client';
import { pingKafka } from '../../shared/kafka/ping';
import { createLogger, type Logger } from '../../shared/logging/logger';
import { systemClock } from '../../shared/clock';
import { reconcileUnsettledKeys } from '../../shared/uniqueness/reconciler';
import { startProjection } from '../../projections/runtime/runner';
import { scimProjection } from '../../projections/scim/projection';
import { publisherMetrics } from '../event-publisher/metrics';
import { startEventPublisher } from '../event-publisher/publisher';
import { loadTeamSyncConfig } from '../team-sync/config';
import { start as startTeamSync } from '../team-sync/main';
import { composeScimApi } from './compose';
import { createHttpMetrics } from './http/metrics';
import { polledCheckpoints } from './read/checkpoint-stream';
import { keysOfStream } from './write/keys-of-stream';

/** Composition root of the SCIM API process: every dependency is built here and nowhere else. */
export async function start(config: Config, log: Logger): Promise<{ server: Server; stop: () => Promise<void> }> {
  log.info(
    { eventStore: config.EVENT_STORE, database: redactConnectionString(config.DATABASE_URL), kafka: config.KAFKA_BROKERS },
    'starting',
  );
  await migrate(config.DATABASE_URL, log.child({ component: 'migrate' }));

  const pool = createPool(config.DATABASE_URL, config.DATABASE_POOL_SIZE);
  const eventStore = createEventStore(config, pool, log);
  // Readiness asks once and answers: a retrying client would keep reconnecting after the probe.
  const readinessKafka = createKafka({ brokers: config.KAFKA_BROKERS, clientId: `${config.KAFKA_CLIENT_ID}-readiness`, retry: { retries: 0 } });

  if (!config.ADMIN_BOOTSTRAP_TOKEN) log.warn('ADMIN_BOOTSTRAP_TOKEN is not set: only existing administrator tokens can use /api/v2/admin');
  // The read model is kept in this process by default; with RUN_PROJECTIONS=false another process
  // keeps it (`node dist/services/projector/main.js`) and this one follows its checkpoint.
  const projection = config.RUN_PROJECTIONS
    ? startProjection({ pool, store: eventStore, projection: scimProjection, log: log.child({ component: 'projection', projection: 'scim' }) })
    : undefined;
  // The read model's tables exist once the first catch-up is done; reads need them.
  if (projection) await firstValueFrom(projection.caughtUp$.pipe(filter(Boolean)));
  // Every event reaches Kafka through this subscription processor, never from a request; with
  // RUN_PUBLISHER=false it runs alone (`node dist/services/event-publisher/main.js`).
  const metrics = createHttpMetrics();
  const publisher = config.RUN_PUBLISHER
    ? startEventPublisher({
        pool,
        store: eventStore,
        kafka: createKafka({ brokers: config.KAFKA_BROKERS, clientId: `${config.KAFKA_CLIENT_ID}-publisher`, log: log.child({ component: 'kafka' }) }),
        topic: config.KAFKA_TOPIC,
        partitions: config.KAFKA_TOPIC_PARTITIONS,
        replicationFactor: config.KAFKA_REPLICATION_FACTOR,
        log,
      })
    : undefined;
  if (publisher) publisherMetrics(metrics.registry, publisher, log);
  // The reference downstream consumer, beside the service for a one-command demo. It starts in
  // the background: a Kafka problem must never keep SCIM from answering.
  const teamSyncLog = log.child({ component: 'team-sync' });
  const teamSync = config.RUN_TEAM_SYNC
    ? startTeamSync(config, loadTeamSyncConfig(), teamSyncLog, { defaultMetrics: false }).catch((err: unknown) => {
        teamSyncLog.error({ err }, 'team-sync did not start');
        return undefined;
      })
    : undefined;

  const scimApi = composeScimApi({
    metrics,
    checkpoints: projection ? projection.checkpoint$ : polledCheckpoints(pool, scimProjection.name),
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
  const reconciler = setInterval(() => {
    reconcileUnsettledKeys({ pool, store: eventStore, keysOf: keysOfStream, log: log.child({ component: 'key-reconciler' }) }, 60_000).catch(
      (err: unknown) => log.error({ err }, 'unique key reconciliation failed'),
    );
  }, 30_000);

  await scimApi.initialise();

  const server = await new Promise<Server>((resolve, reject) => {
    const s = scimApi.app.listen(config.PORT, config.HOST, () => resolve(s));
    s.once('error', reject);
  });
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : config.PORT;
  log.info({ url: `http://${config.HOST}:${port}` }, 'listening');

  const stop = async () => {
    clearInterval(reconciler);
    await new Promise<void>((resolve) => server.close(() => resolve()));
    await scimApi.close();
    await projection?.stop();
    await publisher?.stop();
    await (await teamSync)?.stop();
    await eventStore.close();
    await pool.end();
  };
  return { server, stop };
}

if (require.main === module) {
  runMain('scim-api', async () => {
    const config = loadConfigOrExit();
    const log = createLogger({ level: config.LOG_LEVEL, name: 'scim-api' });
    const { stop } = await start(config, log);
    stopOnSignals(log, stop);
  });
}
