import { loadConfigOrExit, runMain, stopOnSignals } from '../../shared/process/lifecycle';
import { migrate } from '../../shared/db/migrate';
import { createPool } from '../../shared/db/pool';
import { createEventStore } from '../../shared/eventstore/create-event-store';
import { createLogger } from '../../shared/logging/logger';
import { projections } from '../../projections/registry';
import { startReadModels } from '../../projections/runtime/read-models';

/**
 * Keeps every registered read model on its own, for deployments that scale the API separately
 * (the API then runs with RUN_PROJECTIONS=false: it waits for the read models this process builds,
 * writes the scim one inline, and follows the platform one's checkpoint from Postgres).
 */
async function main(): Promise<void> {
  const config = loadConfigOrExit();
  const log = createLogger({ level: config.LOG_LEVEL, name: 'projector', format: config.LOG_FORMAT });
  await migrate(config.DATABASE_URL, log.child({ component: 'migrate' }));
  const pool = createPool(config.DATABASE_URL, config.DATABASE_POOL_SIZE);
  const store = createEventStore(config, pool, log);
  const readModels = startReadModels({ pool, store, log: log.child({ component: 'projection' }) });
  log.info({ projections: projections.map((p) => p.name) }, 'projecting');

  stopOnSignals(log, async () => {
    await readModels.stop();
    await store.close();
    await pool.end();
  });
}

runMain('projector', main);
