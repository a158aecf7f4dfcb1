import { isMainThread, parentPort, Worker, workerData } from 'node:worker_threads';
import { BehaviorSubject, combineLatest, distinctUntilChanged, filter, firstValueFrom, map } from 'rxjs';
import type { Config } from '../../shared/config';
import { createPool } from '../../shared/db/pool';
import { createEventStore } from '../../shared/eventstore/create-event-store';
import { formatPosition, parsePosition, type Position } from '../../shared/eventstore/position';
import { createLogger, type Logger } from '../../shared/logging/logger';
import { startReadModels, type ReadModels } from './read-models';
import type { ProjectionRunner } from './runner';

type ProjectionName = 'scim' | 'platform';

/** Messages from the thread. */
type FromThread =
  | { readonly kind: 'checkpoint'; readonly projection: ProjectionName; readonly position: string | null }
  | { readonly kind: 'caughtUp'; readonly projection: ProjectionName; readonly value: boolean }
  | { readonly kind: 'stopped' };

interface ThreadData {
  readonly kind: 'read-models';
  /** The process's config, as it was read and validated at start. */
  readonly config: Config;
}

/** Restarts of a thread that died are this far apart at least, and at most (ms). */
const RESTART_MIN_MS = 500;
const RESTART_MAX_MS = 10_000;

/**
 * The service's two projections in a worker thread of the process: they apply the log on an event
 * loop of their own, so HTTP load does not hold them back (and they use the second core). The
 * main thread sees each runner's checkpoint and caught-up state as the in-process runners show
 * them (read-your-writes follows them). A thread that dies is started again after a backoff; its
 * runners resubscribe from their checkpoints, as after any failure.
 */
export function startReadModelsInThread({ config, log }: { config: Config; log: Logger }): ReadModels {
  const checkpoints = { scim: new BehaviorSubject<Position | null>(null), platform: new BehaviorSubject<Position | null>(null) };
  const caughtUp = { scim: new BehaviorSubject(false), platform: new BehaviorSubject(false) };
  let worker: Worker | undefined;
  let stopping = false;
  let restartMs = RESTART_MIN_MS;
  let restartTimer: NodeJS.Timeout | undefined;
  let stopped: (() => void) | undefined;

  function start(): void {
    const data: ThreadData = { kind: 'read-models', config };
    // From the TypeScript sources (tests, tsx) the thread loads this file through tsx's CommonJS
    // hook (a dev dependency); dist/ is plain JavaScript.
    const started = __filename.endsWith('.ts')
      ? new Worker(`require('tsx/cjs'); require(${JSON.stringify(__filename)});`, { eval: true, workerData: data })
      : new Worker(__filename, { workerData: data });
    worker = started;
    started.on('message', (message: FromThread) => {
      if (message.kind === 'checkpoint') checkpoints[message.projection].next(message.position === null ? null : parsePosition(message.position));
      else if (message.kind === 'caughtUp') {
        caughtUp[message.projection].next(message.value);
        if (message.value) restartMs = RESTART_MIN_MS;
      } else if (message.kind === 'stopped') stopped?.();
    });
    started.on('error', (err) => log.error({ err }, 'the projections thread failed'));
    started.on('exit', (code) => {
      if (worker !== started) return;
      worker = undefined;
      caughtUp.scim.next(false);
      caughtUp.platform.next(false);
      if (stopping) return stopped?.();
      log.error({ code, restartInMs: restartMs }, 'the projections thread ended; starting it again');
      restartTimer = setTimeout(start, restartMs);
      restartMs = Math.min(RESTART_MAX_MS, restartMs * 2);
    });
  }
  start();

  const facade = (name: ProjectionName): ProjectionRunner => ({
    checkpoint$: checkpoints[name].asObservable(),
    checkpoint: () => checkpoints[name].getValue(),
    caughtUp$: caughtUp[name].pipe(distinctUntilChanged()),
    stop: () => Promise.resolve(),
  });

  return {
    scim: facade('scim'),
    platform: facade('platform'),
    caughtUp: () =>
      firstValueFrom(
        combineLatest([caughtUp.scim, caughtUp.platform]).pipe(
          map(([a, b]) => a && b),
          filter(Boolean),
        ),
      ).then(() => undefined),
    async stop() {
      stopping = true;
      clearTimeout(restartTimer);
      const running = worker;
      if (running) {
        const done = new Promise<void>((resolve) => (stopped = resolve));
        running.postMessage('stop');
        // A thread that does not stop within the grace period is ended.
        const grace = setTimeout(() => void running.terminate(), 30_000);
        await done;
        clearTimeout(grace);
        await running.terminate();
      }
      for (const subject of [checkpoints.scim, checkpoints.platform]) subject.complete();
      for (const subject of [caughtUp.scim, caughtUp.platform]) subject.complete();
    },
  };
}

/** The thread: the same config, pool, store and runners the process would make. */
async function runThread(data: ThreadData): Promise<void> {
  const port = parentPort!;
  const { config } = data;
  const log = createLogger({ level: config.LOG_LEVEL, name: 'scim-api', format: config.LOG_FORMAT }).child({ component: 'projections-thread' });
  const pool = createPool(config.DATABASE_URL, Math.max(2, Math.ceil(config.DATABASE_POOL_SIZE / 2)));
  const store = createEventStore(config, pool, log);
  const readModels = startReadModels({ pool, store, log });
  const post = (message: FromThread) => port.postMessage(message);
  for (const name of ['scim', 'platform'] as const) {
    readModels[name].checkpoint$.subscribe((position) => post({ kind: 'checkpoint', projection: name, position: position && formatPosition(position) }));
    readModels[name].caughtUp$.subscribe((value) => post({ kind: 'caughtUp', projection: name, value }));
  }
  port.on('message', (message: unknown) => {
    if (message !== 'stop') return;
    void (async () => {
      await readModels.stop();
      await store.close();
      await pool.end();
      post({ kind: 'stopped' });
      port.close();
    })();
  });
}

if (!isMainThread && (workerData as Partial<ThreadData> | null)?.kind === 'read-models') {
  runThread(workerData as ThreadData).catch((err: unknown) => {
    // The main thread sees the exit and starts the thread again.
    process.stderr.write(`projections thread failed to start: ${String(err)}\n`);
    process.exit(1);
  });
}
