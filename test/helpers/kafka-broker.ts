import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import { projectRoot } from '../../shared/db/project-root';
import { LOCAL_BROKER } from './kafka';

const run = promisify(execFile);

/**
 * A broker of a test's own (scripts/kafka.sh on another port and data folder, the same jars), for
 * tests that stop it: Kafka tests running beside them in other jest workers keep the shared one.
 */
export interface OwnBroker {
  readonly address: string;
  start(): Promise<void>;
  stop(): Promise<void>;
}

export function ownBroker(port: number): OwnBroker {
  const root = projectRoot(__dirname);
  const env = {
    ...process.env,
    KAFKA_BROKERS: '',
    KAFKA_PORT: String(port),
    KAFKA_HOME_DIR: path.join(root, '.kafka', `broker-${port}`),
    KAFKA_LIBS_DIR: path.join(root, '.kafka', 'libs'),
  };
  const script = (command: 'start' | 'stop') => run('bash', ['scripts/kafka.sh', command], { cwd: root, env }).then(() => undefined);
  return { address: `127.0.0.1:${port}`, start: () => script('start'), stop: () => script('stop') };
}

/**
 * Why a test cannot run a broker of its own, or undefined when it can: with KAFKA_BROKERS naming
 * another broker (not the local one scripts/kafka.sh runs), this machine may have no Java for it.
 */
export function ownBrokerUnavailable(): string | undefined {
  const brokers = process.env.KAFKA_BROKERS;
  if (!brokers || brokers === LOCAL_BROKER || process.env.CI === 'true') return undefined;
  return `the brokers are ${brokers}: a broker of the test's own needs scripts/kafka.sh and a local Java`;
}
