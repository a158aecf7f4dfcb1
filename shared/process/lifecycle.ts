import { ConfigError, loadConfig, type Config } from '../config';
import { createLogger, type Logger } from '../logging/logger';

/** The configuration, or the process ends with a message that names each bad variable (exit 2). */
export function loadConfigOrExit(): Config {
  try {
    return loadConfig();
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(`${error.message}\n`);
      process.exit(2);
    }
    throw error;
  }
}

/** SIGTERM/SIGINT stop the process once, gracefully; a failing stop exits 1. */
export function stopOnSignals(log: Logger, stop: () => Promise<void>): void {
  let stopping = false;
  const shutdown = (signal: string) => {
    if (stopping) return;
    stopping = true;
    log.info({ signal }, 'stopping');
    stop().then(
      () => process.exit(0),
      (err: unknown) => {
        log.error({ err }, 'shutdown failed');
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', () => shutdown('SIGTERM'));
  process.on('SIGINT', () => shutdown('SIGINT'));
}

/** Runs a process's main: a failure to start is logged and ends the process (exit 1). */
export function runMain(name: string, main: () => Promise<void>): void {
  main().catch((err: unknown) => {
    createLogger({ name }).fatal({ err }, 'failed to start');
    process.exit(1);
  });
}
