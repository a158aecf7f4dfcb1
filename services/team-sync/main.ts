import { createServer, type Server } from 'node:http';
import type { Config } from '../../shared/config';
import { redactConnectionString } from '../../shared/db/connection-string';
import { createPool } from '../../shared/db/pool';
import { createKafka } from '../../shared/kafka/client';
import { createLogger, type Logger } from '../../shared/logging/logger';
import { loadConfigOrExit, runMain, StartedParts, stopOnSignals } from '../../shared/process/lifecycle';
import { closeServer, listen } from '../../shared/process/listen';
import { loadTeamSyncConfig, TeamSyncConfigError, teamSyncGroupId, type TeamSyncConfig } from './config';
import { createLagReader, startTeamSync, TEAM_SYNC_RETRY, type TeamSync, type TeamSyncStats } from './consumer';
import { teamSyncHttp } from './http';
import { setupTeamSyncSchema } from './schema';

const NO_STATS: TeamSyncStats = Object.freeze({ applied: 0, duplicates: 0, skipped: 0, invalid: 0, foreign: 0, seeks: 0, transactions: 0 });

export interface TeamSyncProcess {
  readonly server: Server;
  /** GET /team-sync/state on the port it listens on. */
  readonly url: string;
  /**
   * Settles when the consumer has joined (with it), or failed to start (with undefined, in the
   * background mode, after stopping everything team-sync had started).
   */
  readonly consuming: Promise<TeamSync | undefined>;
  stop(): Promise<void>;
}

/**
 * team-sync as a component: consumes KAFKA_TOPIC as its consumer group (teamSyncGroupId) into schema
 * TEAM_SYNC_SCHEMA (created when missing) of TEAM_SYNC_DATABASE_URL (default DATABASE_URL),
 * applying the events of EVENT_SOURCE only, and serves /team-sync/state, /metrics and /healthz on
 * HOST:TEAM_SYNC_PORT.
 *
 * Order: the schema, then the HTTP port, then the consumer. A port that cannot be had fails the
 * start (ListenError) before any consumer joins the group, so a second instance on a taken port
 * never takes partitions from the healthy one; whatever had started is stopped again.
 * `inBackground`: resolve once the port listens and let the consumer start behind (the API
 * process runs team-sync so: Kafka must not keep SCIM from answering); a consumer that then fails
 * to start stops team-sync (server, pool) and logs why. Otherwise resolve once it consumes, and
 * reject (having stopped everything) when it cannot.
 */
export async function start(
  config: Config,
  teamSyncConfig: TeamSyncConfig,
  parentLog: Logger,
  options: {
    /** kafkajs gave up on the consumer for good (after team-sync stopped, in the background mode). */
    readonly onFatal?: (error: Error) => void;
    /** Process metrics on /metrics; false when another component of this process already exports them. */
    readonly defaultMetrics?: boolean;
    readonly inBackground?: boolean;
  } = {},
): Promise<TeamSyncProcess> {
  const log = parentLog.child({ component: 'team-sync' });
  const databaseUrl = teamSyncConfig.TEAM_SYNC_DATABASE_URL ?? config.DATABASE_URL;
  const schema = teamSyncConfig.TEAM_SYNC_SCHEMA;
  const topic = config.KAFKA_TOPIC;
  const groupId = teamSyncGroupId(teamSyncConfig, config.DATABASE_URL);
  log.info(
    {
      database: redactConnectionString(databaseUrl),
      schema,
      kafka: config.KAFKA_BROKERS,
      topic,
      source: config.EVENT_SOURCE,
      groupId,
      sessionTimeoutMs: teamSyncConfig.TEAM_SYNC_SESSION_TIMEOUT_MS,
    },
    'starting',
  );
  const parts = new StartedParts(log);
  const abort = new AbortController();
  /** The consumer, once it has joined. */
  let running: TeamSync | undefined;
  let stopping: Promise<void> | undefined;

  const { server, url, kafka, pool } = await parts.run(async () => {
    const pool = createPool(databaseUrl, config.DATABASE_POOL_SIZE);
    parts.add('postgres pool', () => pool.end());
    // Before the port: /team-sync/state reads these tables as soon as it answers.
    await setupTeamSyncSchema(pool, schema);
    // The component's logger: kafkajs' lines carry component team-sync too.
    const kafka = createKafka({ brokers: config.KAFKA_BROKERS, clientId: `${config.KAFKA_CLIENT_ID}-team-sync`, log, retry: TEAM_SYNC_RETRY });
    // Lag needs no running consumer: /metrics answers while it starts.
    const lagReader = createLagReader({ kafka, pool, schema, topic });
    parts.add('lag reader', () => lagReader.close());
    const app = teamSyncHttp({
      pool,
      schema,
      teamSync: { lag: () => lagReader.lag(), stats: () => running?.stats() ?? NO_STATS },
      log,
      defaultMetrics: options.defaultMetrics ?? true,
    });
    const server = createServer(app);
    const port = await listen(server, { port: teamSyncConfig.TEAM_SYNC_PORT, host: config.HOST, what: 'team-sync', portVariable: 'TEAM_SYNC_PORT' });
    parts.add('http server', () => closeServer(server));
    const url = `http://${config.HOST}:${port}/team-sync/state`;
    log.info({ url }, 'listening');
    return { server, url, kafka, pool };
  });

  const consumer = startTeamSync({
    pool,
    kafka,
    topic,
    source: config.EVENT_SOURCE,
    groupId,
    schema,
    sessionTimeoutMs: teamSyncConfig.TEAM_SYNC_SESSION_TIMEOUT_MS,
    signal: abort.signal,
    log: parentLog,
    onFatal(error) {
      if (options.inBackground) void stop().then(() => options.onFatal?.(error));
      else options.onFatal?.(error);
    },
  });
  void consumer.then((started) => (running = started), () => undefined);

  /** Once: a consumer still starting gives up (aborted); one that runs leaves the group (kafkajs' LeaveGroup). */
  const stop = (): Promise<void> =>
    (stopping ??= (async () => {
      abort.abort(new Error('team-sync is stopping'));
      const started = await consumer.catch(() => undefined);
      await started?.stop();
      await parts.stopAll();
    })());

  if (!options.inBackground) {
    try {
      await consumer;
    } catch (error) {
      await stop();
      throw error;
    }
  }
  const consuming = consumer.catch(async (err: unknown) => {
    if (!abort.signal.aborted) {
      log.error({ err }, 'team-sync did not start: its consumer is not running, and its view is off (the service goes on)');
      await stop();
    }
    return undefined;
  });

  return { server, url, consuming, stop };
}

function loadTeamSyncConfigOrExit(): TeamSyncConfig {
  try {
    return loadTeamSyncConfig();
  } catch (error) {
    if (error instanceof TeamSyncConfigError) {
      process.stderr.write(`${error.message}\n`);
      process.exit(2);
    }
    throw error;
  }
}

if (require.main === module) {
  runMain('team-sync', async (context) => {
    const config = loadConfigOrExit();
    const teamSyncConfig = loadTeamSyncConfigOrExit();
    const log = createLogger({ level: config.LOG_LEVEL, name: 'team-sync', format: config.LOG_FORMAT });
    context.log = log;
    // kafkajs gave up on the consumer: exit, and let the supervisor start a fresh process.
    const { stop } = await start(config, teamSyncConfig, log, { onFatal: () => process.exit(1) });
    stopOnSignals(log, stop);
  });
}
