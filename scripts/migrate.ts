import { loadConfig } from '../shared/config';
import { migrate } from '../shared/db/migrate';
import { createLogger } from '../shared/logging/logger';

const config = loadConfig();
const log = createLogger({ level: config.LOG_LEVEL, name: 'migrate', format: config.LOG_FORMAT });
migrate(config.DATABASE_URL, log).then(
  (applied) => log.info({ applied: applied.length }, 'database is up to date'),
  (err: unknown) => {
    log.fatal({ err }, 'migration failed');
    process.exit(1);
  },
);
