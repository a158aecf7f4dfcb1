import { readFileSync } from 'node:fs';
import path from 'node:path';
import { systemClock } from '../../shared/clock';
import { createCommandDependencies } from '../../shared/commands/handle-command';
import { createStreamWriter } from '../../shared/commands/stream-writer';
import { loadConfig } from '../../shared/config';
import { migrate } from '../../shared/db/migrate';
import { createPool } from '../../shared/db/pool';
import { createEventStore } from '../../shared/eventstore/create-event-store';
import { createLogger } from '../../shared/logging/logger';
import { parseAccountFile } from './account-file';
import { importAccounts } from './import-accounts';

/** `make import-accounts FILE=accounts.csv`: registers pre-existing platform accounts. */
async function main(file: string | undefined): Promise<void> {
  if (!file) throw new Error('usage: import-accounts <file.json|file.csv>');
  const config = loadConfig();
  const log = createLogger({ level: config.LOG_LEVEL, name: 'import-accounts', format: config.LOG_FORMAT });
  const records = parseAccountFile(readFileSync(file, 'utf8'), path.extname(file).toLowerCase() === '.csv' ? 'csv' : 'json');
  await migrate(config.DATABASE_URL, log);
  const pool = createPool(config.DATABASE_URL, 2);
  const store = createEventStore(config, pool, log);
  try {
    const deps = createCommandDependencies(store, createStreamWriter(pool, store));
    const outcome = await importAccounts(deps, records, { kind: 'import', id: path.basename(file) }, () => systemClock.now());
    log.info({ registered: outcome.registered.length, alreadyRegistered: outcome.alreadyRegistered }, 'accounts imported');
    process.stdout.write(`registered ${outcome.registered.length}, already registered ${outcome.alreadyRegistered.length}\n`);
  } finally {
    await store.close();
    await pool.end();
  }
}

main(process.argv[2]).catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
