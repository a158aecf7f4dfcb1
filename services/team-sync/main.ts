import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Config } from '../../shared/config';
import { redactConnectionString } from '../../shared/db/connection-string';
import { createPool } from '../../shared/db/pool';
import { createKafka } from '../../shared/kafka/client';
import { createLogger, type Logger } from '../../shared/logging/logger';
import { loadConfigOrExit, runMain, stopOnSignals } from '../../shared/process/lifecycle';
import { loadTeamSyncConfig, TeamSyncConfigError, type TeamSyncConfig } from './config';
import { startTeamSync } from './consumer';
import { teamSyncHttp } from './http';

/**
 * Composition root of team-sync on its own: consumes KAFKA_TOPIC as consumer group
 * TEAM_SYNC_GROUP_ID into schema TEAM_SYNC_SCHEMA (created when missing) of TEAM_SYNC_DATABASE_URL
 * (default DATABASE_URL), and serves /team-sync/state, /metrics and /healthz on HOST:TEAM_SYNC_PORT.
 */
export async function start(
  config: Config,
  teamSyncConfig: TeamSyncConfig,
  log: Logger,
  options: {
    /** kafkajs gave up on the consumer for good. */
    readonly onFatal?: (error: Error) => void;
    /** Process metrics on /metrics; false when another component of this process already exports them. */
    readonly defaultMetrics?: boolean;
  } = {},
): Promise<{ server: Server; stop: () => Promise<void> }> {
  const { onFatal } = options;
  const databaseUrl = teamSyncConfig.TEAM_SYNC_DATABASE_URL ?? config.DATABASE_URL;
  log.info(
    {
      database: redactConnectionString(databaseUrl),
      schema: teamSyncConfig.TEAM_SYNC_SCHEMA,
      kafka: config.KAFKA_BROKERS,
      topic: config.KAFKA_TOPIC,
      groupId: teamSyncConfig.TEAM_SYNC_GROUP_ID,
    },
    'starting',
  );
  const pool = createPool(databaseUrl, config.DATABASE_POOL_SIZE);
  const kafka = createKafka({ brokers: config.KAFKA_BROKERS, clientId: `${config.KAFKA_CLIENT_ID}-team-sync`, log: log.child({ component: 'kafka' }) });
  let teamSync: Awaited<ReturnType<typeof startTeamSync>>;
  try {
    teamSync = await startTeamSync({
      pool,
      kafka,
      topic: config.KAFKA_TOPIC,
      groupId: teamSyncConfig.TEAM_SYNC_GROUP_ID,
      schema: teamSyncConfig.TEAM_SYNC_SCHEMA,
      log,
      ...(onFatal ? { onFatal } : {}),
    });
  } catch (error) {
    await pool.end();
    throw error;
  }

  const app = teamSyncHttp({ pool, schema: teamSyncConfig.TEAM_SYNC_SCHEMA, teamSync, log, defaultMetrics: options.defaultMetrics ?? true });
  const server = await new Promise<Server>((resolve, reject) => {
    const listening = app.listen(teamSyncConfig.TEAM_SYNC_PORT, config.HOST, (error?: Error) => (error ? reject(error) : resolve(listening)));
  });
  const { port } = server.address() as AddressInfo;
  log.info({ url: `http://${config.HOST}:${port}/team-sync/state` }, 'listening');

  const stop = async () => {
    await new Promise<void>((resolve) => server.close(() => resolve()));
    await teamSync.stop();
    await pool.end();
  };
  return { server, stop };
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
  runMain('team-sync', async () => {
    const config = loadConfigOrExit();
    const teamSyncConfig = loadTeamSyncConfigOrExit();
    const log = createLogger({ level: config.LOG_LEVEL, name: 'team-sync' });
    // kafkajs gave up on the consumer: exit, and let the supervisor start a fresh process.
    const { stop } = await start(config, teamSyncConfig, log, { onFatal: () => process.exit(1) });
    stopOnSignals(log, stop);
  });
}
