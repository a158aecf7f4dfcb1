import pino, { type DestinationStream, type Logger, type LoggerOptions } from 'pino';

export type { Logger } from 'pino';

/**
 * Paths that may carry a secret anywhere a request, config or event is logged.
 * pino-http logs `req.headers`, so the Authorization header is covered here.
 */
export const REDACTED_PATHS = [
  'req.headers.authorization',
  'req.headers.cookie',
  'res.headers["set-cookie"]',
  'headers.authorization',
  'authorization',
  'token',
  '*.token',
  'secret',
  '*.secret',
  'password',
  '*.password',
  'config.DATABASE_URL',
];

/** `json`: one JSON object per line (the default, for log shippers); `pretty`: text for a terminal (pino-pretty). */
export type LogFormat = 'json' | 'pretty';

export interface CreateLoggerOptions extends LoggerOptions {
  readonly level?: string;
  readonly name?: string;
  /** `pretty` needs the pino-pretty package (a devDependency: present where `make run` runs, not in the image). */
  readonly format?: LogFormat;
}

/**
 * pino writes a child's bindings after its parent's, as text, so a key bound twice (a component
 * handed a logger that already names it, a sub-part naming itself) appears twice in every line:
 * `"component":"projection",…,"component":"projection"`, which JSON readers disagree on. This
 * rewrites a new child's bindings with each key once, the innermost value winning, as
 * `logger.bindings()` already reports them. Uses pino's public `onChild` hook and `symbols`.
 */
function bindEachKeyOnce(child: Logger): void {
  const holder = child as unknown as Record<symbol, unknown>;
  const chindings = holder[pino.symbols.chindingsSym];
  if (typeof chindings !== 'string' || chindings.length === 0) return;
  // pino keeps them as `,"key":value,...`: JSON members once the leading comma goes.
  const members = JSON.parse(`{${chindings.slice(1)}}`) as Record<string, unknown>;
  holder[pino.symbols.chindingsSym] = `,${JSON.stringify(members).slice(1, -1)}`;
}

/**
 * The process logger: pino at `level` (default info), named `name`, secrets redacted
 * (REDACTED_PATHS), every key bound once per line (see bindEachKeyOnce), JSON lines on stdout
 * (or `destination`) or, with `format: 'pretty'`, text through pino-pretty on stdout.
 */
export function createLogger(options: CreateLoggerOptions = {}, destination?: DestinationStream): Logger {
  const { format = 'json', level = 'info', name = 'scim', ...rest } = options;
  const pinoOptions: LoggerOptions = {
    level,
    name,
    redact: { paths: REDACTED_PATHS, censor: '[redacted]' },
    onChild: bindEachKeyOnce,
    ...rest,
  };
  if (format === 'pretty') {
    // A worker thread formats the lines; pino flushes it when the process exits.
    const pretty = {
      colorize: true,
      translateTime: 'SYS:HH:MM:ss.l',
      // One line per entry, led by the component: `12:00:01.234 INFO (scim-api): team-sync: consuming {...}`.
      singleLine: true,
      messageFormat: '{if component}{component}: {end}{msg}',
      ignore: 'pid,hostname,component',
    };
    return pino(pinoOptions, pino.transport({ target: 'pino-pretty', options: pretty }));
  }
  return destination ? pino(pinoOptions, destination) : pino(pinoOptions);
}
