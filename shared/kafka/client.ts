import { Kafka, logLevel, type LogEntry, type logCreator, type RetryOptions } from 'kafkajs';
import type { Logger } from '../logging/logger';
import { kafkajsHandledErrorMessages } from './handled-errors';

export interface CreateKafkaOptions {
  readonly brokers: readonly string[];
  readonly clientId: string;
  /**
   * Where kafkajs logs go: the logger of the component that uses the client, so its lines carry
   * that component (kafkajs' own `namespace` says which part of kafkajs wrote them). Without one,
   * kafkajs logs nothing (it would otherwise write to the console).
   */
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

const HANDLED_BY_KAFKAJS = kafkajsHandledErrorMessages();

/**
 * The pino level for a kafkajs entry. kafkajs logs at error or warn some things a healthy client
 * does all the time; they are lowered here, and only they:
 * - `Response <request>` errors (namespace Connection) whose error kafkajs handles itself: one it
 *   retries (the coordinator is loading, no leader yet, ...: a fresh broker answers a first start
 *   with them), or a rebalance its consumer rejoins. When the retries run out, the caller gets the
 *   error and logs it (the publisher's "publishing failed", the consumer's crash). Debug.
 * - `The group is rebalancing, re-joining` (namespace Runner): a member joined or left. Info.
 * - `Limiting retries for the idempotent producer may invalidate EoS guarantees` (namespace
 *   Producer): the event publisher bounds its producer's retries on purpose, so that an outage
 *   surfaces and it resends from its checkpoint; it promises at-least-once, not exactly-once. Debug.
 */
export function pinoLevelFor(namespace: string, level: logLevel, entry: Pick<LogEntry['log'], 'message'> & { error?: unknown }): PinoLevel | undefined {
  const pinoLevel = pinoLevelOf(level);
  if (pinoLevel === 'error' && namespace === 'Connection' && entry.message.startsWith('Response ') && typeof entry.error === 'string' && HANDLED_BY_KAFKAJS.has(entry.error)) {
    return 'debug';
  }
  if (pinoLevel === 'warn' && namespace === 'Runner' && entry.message === 'The group is rebalancing, re-joining') return 'info';
  if (pinoLevel === 'warn' && namespace === 'Producer' && entry.message === 'Limiting retries for the idempotent producer may invalidate EoS guarantees') {
    return 'debug';
  }
  return pinoLevel;
}

/**
 * A kafkajs logCreator writing to pino: object first (the kafkajs namespace and the entry's fields),
 * message second, at the level pinoLevelFor gives. Give it the logger of the component.
 */
export function pinoLogCreator(log: Logger): logCreator {
  return () =>
    ({ namespace, level, log: entry }: LogEntry) => {
      const pinoLevel = pinoLevelFor(namespace, level, entry);
      if (!pinoLevel || !log.isLevelEnabled(pinoLevel)) return;
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
