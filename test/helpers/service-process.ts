import { spawn, type ChildProcess } from 'node:child_process';
import { appendFileSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import { projectRoot } from '../../shared/db/project-root';
import { SERVICE_LOG_DIR } from './service-logs';

const ROOT = projectRoot(__dirname);

/** One line a process wrote to stdout: parsed when it is JSON (a pino line), always raw. */
export interface OutputLine {
  readonly raw: string;
  /** When the line arrived, ms since the epoch. */
  readonly at: number;
  readonly json?: Record<string, unknown> & { level?: number; msg?: string; component?: string };
}

export interface ServiceProcess {
  readonly pid: number;
  readonly child: ChildProcess;
  /** Every stdout line so far. */
  readonly lines: OutputLine[];
  /** Everything it wrote to stderr. */
  stderr(): string;
  /** The first line (so far, or to come) matching `predicate`; rejects after timeoutMs or when the process ends first. */
  waitForLine(predicate: (line: OutputLine) => boolean, timeoutMs: number, what?: string): Promise<OutputLine>;
  /** Resolves when the process has ended, with its exit code (null when a signal ended it) and signal. */
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  kill(signal?: NodeJS.Signals): void;
}

const running = new Set<ChildProcess>();

/**
 * Starts one of the service's processes from source (`node --import tsx <entry>`, a single
 * process: a signal reaches the service itself, not a wrapper), with only the environment given
 * here and the minimum a process needs (PATH, HOME): the test's own settings do not leak in.
 * NODE_ENV is `development` as under `make run` (under `test`, kafkajs uses other retry defaults).
 * Its stdout also goes to the run's service logs, which the global teardown checks for tokens.
 */
export function spawnService(entry: string, env: Record<string, string>): ServiceProcess {
  const child = spawn(process.execPath, ['--import', 'tsx', entry], {
    cwd: ROOT,
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', NODE_ENV: 'development', LOG_FORMAT: 'json', LOG_LEVEL: 'info', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  running.add(child);
  mkdirSync(SERVICE_LOG_DIR, { recursive: true });
  const logFile = path.join(SERVICE_LOG_DIR, `spawned-${path.basename(entry, '.ts')}-${child.pid}.ndjson`);
  const lines: OutputLine[] = [];
  const waiters = new Set<() => void>();
  let partial = '';
  let stderr = '';
  child.stdout!.setEncoding('utf8').on('data', (chunk: string) => {
    const parts = (partial + chunk).split('\n');
    partial = parts.pop()!;
    for (const raw of parts) {
      if (raw === '') continue;
      let json: OutputLine['json'];
      try {
        json = JSON.parse(raw) as OutputLine['json'];
      } catch {
        json = undefined;
      }
      lines.push({ raw, at: Date.now(), ...(json ? { json } : {}) });
      appendFileSync(logFile, `${raw}\n`);
    }
    for (const wake of [...waiters]) wake();
  });
  child.stderr!.setEncoding('utf8').on('data', (chunk: string) => {
    stderr += chunk;
  });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
    child.on('exit', (code, signal) => {
      running.delete(child);
      // The last lines may arrive after 'exit': wait for the pipe to close.
      const done = () => {
        for (const wake of [...waiters]) wake();
        resolve({ code, signal });
      };
      if (child.stdout!.readableEnded) done();
      else child.stdout!.once('end', done);
    });
  });
  let ended = false;
  void exited.then(() => (ended = true));

  return {
    pid: child.pid!,
    child,
    lines,
    stderr: () => stderr,
    exited,
    kill: (signal = 'SIGTERM') => void child.kill(signal),
    waitForLine(predicate, timeoutMs, what = 'a matching log line') {
      return new Promise<OutputLine>((resolve, reject) => {
        let checked = 0;
        const check = () => {
          for (; checked < lines.length; checked++) {
            if (predicate(lines[checked]!)) {
              finish();
              return resolve(lines[checked]!);
            }
          }
          if (ended) {
            finish();
            reject(new Error(`${entry} ended before ${what}; stderr: ${stderr.slice(-2000)}; last lines:\n${lines.slice(-10).map((l) => l.raw.slice(0, 400)).join('\n')}`));
          }
        };
        const timer = setTimeout(() => {
          finish();
          reject(new Error(`no ${what} from ${entry} within ${timeoutMs} ms; last lines:\n${lines.slice(-10).map((l) => l.raw.slice(0, 400)).join('\n')}`));
        }, timeoutMs);
        const finish = () => {
          clearTimeout(timer);
          waiters.delete(check);
        };
        waiters.add(check);
        check();
      });
    },
  };
}

/** Kills (SIGKILL) every process spawnService started that still runs: for afterAll. */
export async function killAllServices(): Promise<void> {
  const left = [...running];
  await Promise.all(
    left.map(
      (child) =>
        new Promise<void>((resolve) => {
          if (child.exitCode !== null || child.signalCode !== null) return resolve();
          child.once('exit', () => resolve());
          child.kill('SIGKILL');
        }),
    ),
  );
}

/** The keys of every object in a JSON text that appear more than once in that object (JSON.parse keeps the last silently). */
export function duplicateKeys(text: string): string[] {
  const duplicates: string[] = [];
  let i = 0;
  const ws = () => {
    while (i < text.length && /\s/.test(text[i]!)) i++;
  };
  const string = (): string => {
    const start = i;
    i++;
    while (text[i] !== '"') i += text[i] === '\\' ? 2 : 1;
    i++;
    return JSON.parse(text.slice(start, i)) as string;
  };
  const value = (): void => {
    ws();
    const c = text[i];
    if (c === '{') {
      i++;
      const seen = new Set<string>();
      ws();
      if (text[i] === '}') return void i++;
      for (;;) {
        ws();
        const key = string();
        if (seen.has(key)) duplicates.push(key);
        seen.add(key);
        ws();
        i++; // :
        value();
        ws();
        if (text[i++] === '}') return;
      }
    } else if (c === '[') {
      i++;
      ws();
      if (text[i] === ']') return void i++;
      for (;;) {
        value();
        ws();
        if (text[i++] === ']') return;
      }
    } else if (c === '"') {
      string();
    } else {
      while (i < text.length && !/[,}\]\s]/.test(text[i]!)) i++;
    }
  };
  value();
  return duplicates;
}
