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

/**
 * What a start-up has started so far, to stop in reverse order when a later step fails: a
 * component that fails to start stops what it started (no consumer left in a group, no server
 * left listening, no pool left open) before the error goes on.
 */
export class StartedParts {
  private readonly parts: { readonly name: string; readonly stop: () => Promise<unknown> }[] = [];

  constructor(private readonly log: Logger) {}

  /** Records a part that is running now; `stop` undoes it. */
  add(name: string, stop: () => Promise<unknown>): void {
    this.parts.push({ name, stop });
  }

  /** Stops every recorded part, the last started first; a part that fails to stop is logged, the others still stop. */
  async stopAll(): Promise<void> {
    for (const part of this.parts.splice(0).reverse()) {
      try {
        await part.stop();
      } catch (err) {
        this.log.error({ err, part: part.name }, 'could not stop a part after a failed start');
      }
    }
  }

  /** Runs `steps`; when they throw, stops what was started and rethrows. */
  async run<T>(steps: (parts: this) => Promise<T>): Promise<T> {
    try {
      return await steps(this);
    } catch (error) {
      await this.stopAll();
      throw error;
    }
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
      () => {
        log.info('stopped');
        process.exit(0);
      },
      (err: unknown) => {
        log.error({ err }, 'shutdown failed');
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', () => shutdown('SIGTERM'));
  process.on('SIGINT', () => shutdown('SIGINT'));
}

/** What runMain hands a process's main: it sets `log` once it made its logger. */
export interface MainContext {
  log?: Logger;
}

/**
 * Runs a process's main: a failure to start is logged as `failed to start: <the error's message>`
 * (fatal, with the error), on the process's own logger once main set it (else a new one in
 * LOG_FORMAT), and ends the process with exit 1. The start-up has already stopped what it
 * started (StartedParts).
 */
export function runMain(name: string, main: (context: MainContext) => Promise<void>): void {
  const context: MainContext = {};
  main(context).catch((err: unknown) => {
    const log = context.log ?? createLogger({ name, format: process.env.LOG_FORMAT === 'pretty' ? 'pretty' : 'json' });
    const message = err instanceof Error ? err.message : String(err);
    log.fatal({ err }, `failed to start: ${message}`);
    process.exit(1);
  });
}
