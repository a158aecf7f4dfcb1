import { GenericContainer, Wait } from 'testcontainers';
import { dockerUnavailableReason } from './docker';

export type EventStoreDbServer = { readonly url: string; stop(): Promise<void> } | { readonly skip: string };

/** Override with EVENTSTOREDB_IMAGE, e.g. a kurrent image (docker.kurrent.io/kurrent-latest/kurrentdb:25.0). */
const DEFAULT_IMAGE = 'eventstore/eventstore:24.10';
const HTTP_PORT = 2113;

/**
 * The EventStoreDB server the tests use: EVENTSTOREDB_URL when set (left running); else a
 * throw-away insecure in-memory single node from testcontainers when a Docker engine answers;
 * else the reason there is none, for the caller to print. There is no local fallback: these
 * machines cannot run EventStoreDB outside Docker.
 */
export async function resolveEventStoreDb(): Promise<EventStoreDbServer> {
  const url = process.env.EVENTSTOREDB_URL;
  if (url) return { url, stop: async () => undefined };

  const noDocker =
    process.env.TESTCONTAINERS_DISABLED === 'true' ? 'TESTCONTAINERS_DISABLED=true' : await dockerUnavailableReason();
  if (noDocker) return { skip: `no EVENTSTOREDB_URL and ${noDocker}` };

  const container = await new GenericContainer(process.env.EVENTSTOREDB_IMAGE ?? DEFAULT_IMAGE)
    .withEnvironment({
      EVENTSTORE_INSECURE: 'true',
      EVENTSTORE_RUN_PROJECTIONS: 'None',
      EVENTSTORE_MEM_DB: 'true',
      EVENTSTORE_CLUSTER_SIZE: '1',
    })
    .withExposedPorts(HTTP_PORT)
    .withWaitStrategy(Wait.forHttp('/health/live', HTTP_PORT).forStatusCodeMatching((status) => status >= 200 && status < 300))
    .withStartupTimeout(120_000)
    .start();
  return {
    url: `esdb://${container.getHost()}:${container.getMappedPort(HTTP_PORT)}?tls=false`,
    stop: async () => {
      await container.stop();
    },
  };
}
