import { Kafka, logLevel, type LogEntry, type logCreator, type RetryOptions } from 'kafkajs';
import type { Logger } from '../logging/logger';

export interface CreateKafkaOptions {
  readonly brokers: readonly string[];
  readonly clientId: string;
  /** Where kafkajs logs go. Without one, kafkajs logs nothing (it would otherwise write to the console). */
  readonly log?: Logger;
  /** kafkajs defaults: 1000 ms to connect, 30000 ms per request, 5 retries with backoff. */
  readonly connectionTimeout?: number;
  readonly requestTimeout?: number;
  readonly retry?: RetryOptions;
}

type PinoLevel = 'error' | 'warn' | 'info' | 'debug';

function pinoLevelOf(level: logLevel): PinoLevel | undefined {
  switch (level) {
    case logLevel.ERROR:
      return 'error';
    case logLevel.WARN:
      return 'warn';
    case logLevel.INFO:
      return 'info';
    case logLevel.DEBUG:
      return 'debug';
    default:
      return undefined;
  }
}

/** The most verbose kafkajs level the logger would print, so kafkajs does not build entries pino drops. */
export function kafkaLogLevelFor(log: Logger | undefined): logLevel {
  if (!log) return logLevel.NOTHING;
  if (log.isLevelEnabled('debug')) return logLevel.DEBUG;
  if (log.isLevelEnabled('info')) return logLevel.INFO;
  if (log.isLevelEnabled('warn')) return logLevel.WARN;
  if (log.isLevelEnabled('error')) return logLevel.ERROR;
  return logLevel.NOTHING;
}

/**
 * A kafkajs logCreator writing to pino: object first (the kafkajs namespace and the entry's fields),
 * message second. Give it a child logger to tag the component.
 */
export function pinoLogCreator(log: Logger): logCreator {
  return () =>
    ({ namespace, level, log: entry }: LogEntry) => {
      const pinoLevel = pinoLevelOf(level);
      if (!pinoLevel) return;
      // kafkajs puts its own timestamp and logger name in every entry; pino has its own.
      const { message, timestamp: _timestamp, logger: _logger, ...fields } = entry;
      log[pinoLevel]({ namespace, ...fields }, message);
    };
}

/** A kafkajs client whose logs go to the service's pino logger. */
export function createKafka(options: CreateKafkaOptions): Kafka {
  const { log } = options;
  return new Kafka({
    clientId: options.clientId,
    brokers: [...options.brokers],
    logLevel: kafkaLogLevelFor(log),
    ...(log ? { logCreator: pinoLogCreator(log) } : {}),
    ...(options.connectionTimeout !== undefined ? { connectionTimeout: options.connectionTimeout } : {}),
    ...(options.requestTimeout !== undefined ? { requestTimeout: options.requestTimeout } : {}),
    ...(options.retry !== undefined ? { retry: options.retry } : {}),
  });
}
