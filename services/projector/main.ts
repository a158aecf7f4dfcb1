import { loadConfig, ConfigError, type Config } from '../../shared/config';
import { migrate } from '../../shared/db/migrate';
import { createPool } from '../../shared/db/pool';
import { createEventStore } from '../../shared/eventstore/create-event-store';
import { createLogger } from '../../shared/logging/logger';
import { projections } from '../../projections/registry';
import { startProjection } from '../../projections/runtime/runner';

/**
 * Keeps every registered read model on its own, for deployments that scale the API separately
 * (the API then runs with RUN_PROJECTIONS=false and follows the checkpoints from Postgres).
 */
async function main(): Promise<void> {
  let config: Config;
  try {
    config = loadConfig();
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(`${error.message}\n`);
      process.exit(2);
    }
    throw error;
  }
  const log = createLogger({ level: config.LOG_LEVEL, name: 'projector' });
  await migrate(config.DATABASE_URL, log.child({ component: 'migrate' }));
  const pool = createPool(config.DATABASE_URL, config.DATABASE_POOL_SIZE);
  const store = createEventStore(config, pool, log);
  const runners = projections.map((projection) =>
    startProjection({ pool, store, projection, log: log.child({ component: 'projection', projection: projection.name }) }),
  );
  log.info({ projections: projections.map((p) => p.name) }, 'projecting');

  const shutdown = (signal: string) => {
    log.info({ signal }, 'stopping');
    Promise.all(runners.map((r) => r.stop()))
      .then(() => store.close())
      .then(() => pool.end())
      .then(
        () => process.exit(0),
        (err: unknown) => {
          log.error({ err }, 'shutdown failed');
          process.exit(1);
        },
      );
  };
  process.once('SIGTERM', () => shutdown('SIGTERM'));
  process.once('SIGINT', () => shutdown('SIGINT'));
}

main().catch((err: unknown) => {
  createLogger({ name: 'projector' }).fatal({ err }, 'failed to start');
  process.exit(1);
});
