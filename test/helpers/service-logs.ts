import { mkdirSync } from 'node:fs';
import path from 'node:path';
import pino, { type Logger } from 'pino';
import { projectRoot } from '../../shared/db/project-root';
import { REDACTED_PATHS } from '../../shared/logging/logger';

/**
 * Every service a test starts logs here, one file per jest worker, so the global teardown can
 * check the whole run's log lines for token values (none may ever appear).
 */
export const SERVICE_LOG_DIR = path.join(projectRoot(__dirname), 'test-artifacts', 'service-logs');

/** Token values as this service makes them, and the fixed ones the tests configure. */
export const TOKEN_PATTERN = /\b(?:scim|admin)_[A-Za-z0-9_-]{43}\b|test-(?:bootstrap|admin|admin-bootstrap)-token-[0-9a-f-]+/;

let shared: Logger | undefined;

export function serviceLogger(level = process.env.TEST_LOG_LEVEL ?? 'info'): Logger {
  if (!shared) {
    mkdirSync(SERVICE_LOG_DIR, { recursive: true });
    const file = path.join(SERVICE_LOG_DIR, `worker-${process.env.JEST_WORKER_ID ?? '0'}-${process.pid}.ndjson`);
    shared = pino({ level: 'trace', redact: { paths: REDACTED_PATHS, censor: '[redacted]' } }, pino.destination({ dest: file, append: true, sync: true }));
  }
  const child = shared.child({ test: path.basename(expect.getState().testPath ?? 'unknown') });
  child.level = level;
  return child;
}
