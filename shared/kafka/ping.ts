import type { Kafka } from 'kafkajs';

export class KafkaPingTimeoutError extends Error {
  constructor(readonly timeoutMs: number) {
    super(`kafka did not answer describeCluster within ${timeoutMs} ms`);
    this.name = 'KafkaPingTimeoutError';
  }
}

/**
 * Connects an admin client, asks describeCluster, disconnects; resolves when the cluster answered
 * with at least one broker. Rejects with KafkaPingTimeoutError when the whole round trip takes longer
 * than timeoutMs (the service's /readyz must answer promptly), or with the kafkajs error when the
 * broker refuses. The admin is disconnected in every case, also when a connect finishes after the
 * timeout already fired.
 *
 * Give it a client made for probing, e.g. createKafka({ ..., retry: { retries: 0 } }): kafkajs retries
 * the seed-broker connect with the client's own retry settings (by default 5 retries over ~20 s), and
 * that loop, with an error log per attempt, goes on after the timeout rejected the ping.
 */
export async function pingKafka(kafka: Kafka, timeoutMs: number): Promise<void> {
  const admin = kafka.admin();
  const work = (async () => {
    await admin.connect();
    return admin.describeCluster();
  })();
  const disconnect = () => admin.disconnect().catch(() => undefined);
  // Whatever wins the race, disconnect once the attempt has settled.
  const settled = work.then(disconnect, disconnect);

  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new KafkaPingTimeoutError(timeoutMs)), timeoutMs);
  });
  try {
    const cluster = await Promise.race([work, timeout]);
    await settled;
    if (cluster.brokers.length === 0) throw new Error('kafka describeCluster answered with no brokers');
  } catch (error) {
    if (error instanceof KafkaPingTimeoutError) void disconnect();
    throw error;
  } finally {
    clearTimeout(timer);
  }
}
