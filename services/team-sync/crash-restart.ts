import type { Logger } from '../../shared/logging/logger';

/**
 * Crashes that kafkajs 2.2.4 does not restart although they pass once the broker answers again.
 * KafkaJSGroupCoordinatorNotFound is a KafkaJSNonRetriableError (kafkajs src/errors.js), thrown when
 * no broker answered the coordinator lookup of a rejoin: a broker that goes away while the group
 * rebalances stopped team-sync for good (found by test/integration/team-sync-rejoin.int.test.ts).
 */
export const TRANSIENT_CRASHES: ReadonlySet<string> = new Set(['KafkaJSGroupCoordinatorNotFound']);

/** What kafkajs' CRASH event carries (its instrumentation payload). */
export interface CrashPayload {
  readonly error: Error;
  /** kafkajs restarts the consumer itself. */
  readonly restart: boolean;
}

export interface CrashRestartOptions {
  /** Connects, subscribes and runs the consumer again (kafkajs disconnected it when it crashed). */
  readonly restart: () => Promise<void>;
  /** The consumer stopped for good: neither kafkajs nor this restarts it. */
  readonly onFatal?: (error: Error) => void;
  /** Wait before each restart, in ms: the first try, and again after each failed one. */
  readonly backoffMs: number;
  /** True once team-sync is stopping: no restart starts, none is tried again. */
  readonly stopped: () => boolean;
  readonly log: Logger;
}

/**
 * Handles kafkajs' CRASH events of team-sync's consumer (returns the listener's body): a crash
 * kafkajs restarts itself is logged as a warning; a transient one (TRANSIENT_CRASHES) is restarted
 * here, after `backoffMs`, and tried again after each failure until it runs or team-sync stops
 * (the stored offsets make a restart safe: it resumes where the last transaction committed); any
 * other is fatal (`onFatal`). `cancel` drops a pending restart (call it when team-sync stops).
 */
export function createCrashRestart(options: CrashRestartOptions): { onCrash(payload: CrashPayload): void; cancel(): void } {
  const { log, backoffMs } = options;
  let pending: NodeJS.Timeout | undefined;
  let restarting = false;

  const tryRestart = (): void => {
    pending = undefined;
    if (options.stopped()) return;
    restarting = true;
    options.restart().then(
      () => {
        restarting = false;
        log.info('consumer restarted; it resumes from the stored offsets');
      },
      (err: unknown) => {
        restarting = false;
        if (options.stopped()) return;
        log.warn({ err, retryInMs: backoffMs }, 'consumer restart failed; trying again');
        pending = setTimeout(tryRestart, backoffMs);
      },
    );
  };

  return {
    onCrash({ error, restart }) {
      if (restart) {
        log.warn({ err: error }, 'consumer failed; kafkajs restarts it, and it resumes from the stored offsets');
        return;
      }
      if (TRANSIENT_CRASHES.has(error.name) && !options.stopped()) {
        if (pending || restarting) return;
        log.warn({ err: error, retryInMs: backoffMs }, 'consumer failed and kafkajs will not restart it; team-sync restarts it');
        pending = setTimeout(tryRestart, backoffMs);
        return;
      }
      log.error({ err: error }, 'consumer failed for good');
      options.onFatal?.(error);
    },
    cancel() {
      if (pending) clearTimeout(pending);
      pending = undefined;
    },
  };
}
