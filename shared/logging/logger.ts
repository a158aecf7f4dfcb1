import pino, { type Logger, type LoggerOptions } from 'pino';

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

export function createLogger(options: { level?: string; name?: string } & LoggerOptions = {}): Logger {
  return pino({
    level: options.level ?? 'info',
    name: options.name ?? 'scim',
    redact: { paths: REDACTED_PATHS, censor: '[redacted]' },
    ...options,
  });
}
