import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { projectRoot } from '../../shared/db/project-root';
import { createKafka } from '../../shared/kafka/client';
import { pingKafka } from '../../shared/kafka/ping';

/**
 * Where Kafka integration tests find a broker, in order:
 *   1. KAFKA_BROKERS (comma list), used as given: an explicit broker that does not answer is a failure;
 *   2. a broker already answering on 127.0.0.1:9092 (scripts/kafka.sh start);
 *   3. (to come) a broker from testcontainers, where a Docker engine answers;
 * else a reason to skip, which the test prints (and fails on in CI).
 */
export type KafkaTarget = { brokers: string[] } | { skip: string };

export const LOCAL_BROKER = '127.0.0.1:9092';
export const LOCAL_PROBE_TIMEOUT_MS = 5000;
export const NO_KAFKA_REASON =
  'no KAFKA_BROKERS, and no broker answered on 127.0.0.1:9092 (start one with scripts/kafka.sh start)';

export function brokersFromEnv(env: NodeJS.ProcessEnv = process.env): string[] | undefined {
  const brokers = (env.KAFKA_BROKERS ?? '')
    .split(',')
    .map((broker) => broker.trim())
    .filter((broker) => broker.length > 0);
  return brokers.length > 0 ? brokers : undefined;
}

async function localBrokerAnswers(): Promise<boolean> {
  const kafka = createKafka({
    brokers: [LOCAL_BROKER],
    clientId: 'test-kafka-probe',
    connectionTimeout: 1000,
    retry: { retries: 0 },
  });
  try {
    await pingKafka(kafka, LOCAL_PROBE_TIMEOUT_MS);
    return true;
  } catch {
    return false;
  }
}

export async function resolveKafka(): Promise<KafkaTarget> {
  const fromEnv = brokersFromEnv();
  if (fromEnv) return { brokers: fromEnv };
  if (await localBrokerAnswers()) return { brokers: [LOCAL_BROKER] };
  // testcontainers goes here: start a KRaft broker when a Docker engine answers, return its brokers.
  return { skip: NO_KAFKA_REASON };
}

/**
 * The same decision as resolveKafka(), made synchronously, for test files that must choose at
 * collection time which tests to register (Jest collects tests synchronously, so an async probe
 * cannot name the "skipped: <reason>" test). The local probe runs scripts/wait-for-kafka.js in a
 * child process. It cannot start a container, so once testcontainers is wired in above, files that
 * want it resolve with resolveKafka() in beforeAll instead.
 */
export function resolveKafkaSync(): KafkaTarget {
  const fromEnv = brokersFromEnv();
  if (fromEnv) return { brokers: fromEnv };
  const probe = spawnSync(
    process.execPath,
    [
      path.join(projectRoot(__dirname), 'scripts', 'wait-for-kafka.js'),
      '--once',
      '--quiet',
      '--brokers',
      LOCAL_BROKER,
      '--timeout',
      String(LOCAL_PROBE_TIMEOUT_MS / 1000),
    ],
    { encoding: 'utf8', timeout: LOCAL_PROBE_TIMEOUT_MS + 5000, env: { ...process.env, KAFKA_BROKERS: '' } },
  );
  if (probe.status === 0) return { brokers: [LOCAL_BROKER] };
  return { skip: NO_KAFKA_REASON };
}
