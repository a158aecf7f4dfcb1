/**
 * (h2) Store → Kafka: the event publisher (services/event-publisher, its own process, a new topic,
 * so it sends the whole log from position zero) over a store of PUBLISH_USERS users, vs a bare
 * kafkajs producer sending the very same messages (read back from the publisher's topic: same
 * keys, values and headers) with the same batching (BATCH messages per send, one send in flight,
 * idempotent, acks from all in-sync replicas, the default partitioner) to a new topic of the same
 * partitions, in the same run. Both are timed the same way, from outside: the topic's offsets
 * polled every 10 ms, rate = messages after the first seen ÷ time from the first seen to the last.
 *
 *   BENCH_MODE=quick|full node_modules/.bin/tsx bench/publish.bench.ts
 */
import { setTimeout as delay } from 'node:timers/promises';
import { Kafka, logLevel, Partitioners, type Admin, type IHeaders } from 'kafkajs';
import { barChartSvg } from './lib/chart';
import { benchContext } from './lib/context';
import { param, runBenchmark, writeReport } from './lib/report';
import { deleteTopics, freePort, KAFKA_BROKERS, startNodeProcess, TOKEN_HMAC_SECRET } from './lib/service';
import { fmt, repeated, spread } from './lib/stats';
import { usersTemplate } from './lib/templates';

const USERS = param('PUBLISH_USERS', 10_000, 100_000);
const REPEATS = param('REPEATS', 3, 3);
/** The publisher's default batchSize (services/event-publisher/publisher.ts DEFAULT_BATCH_SIZE). */
const BATCH = param('BATCH', 500, 500);
const PARTITIONS = 6;

interface Message {
  readonly key: Buffer | null;
  readonly value: Buffer | null;
  readonly headers: IHeaders;
}

async function messagesOn(admin: Admin, topic: string): Promise<number> {
  try {
    return (await admin.fetchTopicOffsets(topic)).reduce((sum, p) => sum + Number(p.high) - Number(p.low), 0);
  } catch {
    return 0; // the topic does not exist yet
  }
}

/** Watches a topic until it holds `total` messages: the steady rate after the first ones seen. */
async function watch(admin: Admin, topic: string, total: number, timeoutMs: number): Promise<{ rate: number; ms: number }> {
  const deadline = Date.now() + timeoutMs;
  let first: { at: number; count: number } | undefined;
  for (;;) {
    const count = await messagesOn(admin, topic);
    const at = performance.now();
    if (!first && count > 0) first = { at, count };
    if (first && count >= total) {
      const ms = at - first.at;
      return { rate: ms > 0 ? ((count - first.count) * 1000) / ms : NaN, ms };
    }
    if (Date.now() > deadline) throw new Error(`${topic}: ${count} of ${total} messages after ${timeoutMs} ms`);
    await delay(10);
  }
}

async function main(): Promise<void> {
  const ctx = await benchContext('publish');
  const kafka = new Kafka({ brokers: KAFKA_BROKERS.split(','), clientId: 'bench-publish', logLevel: logLevel.NOTHING });
  const admin = kafka.admin();
  await admin.connect();
  const topics: string[] = [];
  ctx.onCleanup(async () => {
    await admin.disconnect();
    await deleteTopics(topics);
  });
  try {
    const database = await usersTemplate(ctx.cluster, USERS).then((template) => ctx.database('db', template));
    const events = Number((await ctx.cluster.query<{ n: string }>('SELECT count(*) AS n FROM events', [], database))[0]!.n);

    const publisherRate: number[] = [];
    const bareRate: number[] = [];
    const messages: Message[] = [];
    for (let r = 0; r < REPEATS; r++) {
      const topic = `bench-${process.pid}-publish-${r}`;
      topics.push(topic);
      const publisher = startNodeProcess(
        'services/event-publisher/main.ts',
        { DATABASE_URL: ctx.cluster.url(database), TOKEN_HMAC_SECRET, LOG_LEVEL: 'warn', KAFKA_BROKERS, KAFKA_TOPIC: topic, KAFKA_TOPIC_PARTITIONS: String(PARTITIONS), PORT: String(await freePort()), HOST: '127.0.0.1', PGAPPNAME: 'bench-publisher' },
        `publish-${r}`,
      );
      let published: { rate: number; ms: number };
      try {
        published = await watch(admin, topic, events, 30 * 60_000);
      } finally {
        await publisher.stop();
      }
      publisherRate.push(published.rate);

      // The same messages, read back once (every repeat publishes the same log), then sent by a
      // bare producer with the same batching.
      if (messages.length === 0) {
        const groupId = `bench-publish-read-${process.pid}`;
        const consumer = kafka.consumer({ groupId });
        await consumer.connect();
        await consumer.subscribe({ topic, fromBeginning: true });
        await consumer.run({
          eachBatch: async ({ batch }) => {
            for (const m of batch.messages) messages.push({ key: m.key, value: m.value, headers: m.headers ?? {} });
          },
        });
        while (messages.length < events) await delay(20);
        await consumer.disconnect();
        await admin.deleteGroups([groupId]).catch(() => undefined);
      }

      const bareTopic = `${topic}-bare`;
      topics.push(bareTopic);
      await admin.createTopics({ topics: [{ topic: bareTopic, numPartitions: PARTITIONS, replicationFactor: 1 }], waitForLeaders: true });
      const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1, createPartitioner: Partitioners.DefaultPartitioner, allowAutoTopicCreation: false });
      await producer.connect();
      const watching = watch(admin, bareTopic, events, 30 * 60_000);
      for (let from = 0; from < messages.length; from += BATCH) {
        await producer.send({ topic: bareTopic, acks: -1, messages: messages.slice(from, from + BATCH) });
      }
      const bare = await watching;
      await producer.disconnect();
      bareRate.push(bare.rate);
      process.stderr.write(`  repeat ${r + 1}/${REPEATS}: publisher ${published.rate.toFixed(0)} msg/s, bare producer ${bare.rate.toFixed(0)} msg/s\n`);
    }
    const ratio = repeated(publisherRate.map((p, i) => p / bareRate[i]!));
    writeReport({
      name: 'publish',
      title: `Store → Kafka: the event publisher vs a bare kafkajs producer (${fmt(events)} events)`,
      script: 'bench/publish.bench.ts',
      postgres: ctx.postgres,
      method:
        `A copy of a store of ${fmt(USERS)} users (${fmt(events)} events). Per repeat: the event publisher as its own process on a new topic (${PARTITIONS} partitions) sends the whole log; ` +
        `its messages are read back and a bare kafkajs producer sends them again to another new topic, ${BATCH} per send (the publisher's default batchSize), one send in flight, idempotent, acks -1, ` +
        `the default partitioner. Both timed from outside by polling the topic's offsets every 10 ms: messages after the first seen ÷ time from then to the last. ${REPEATS} repeats; ratio within a repeat.`,
      targets: [{ target: 'store → Kafka ≥ 0.8 of a bare kafkajs producer with the same batching', measured: `${fmt(ratio.median, 2)} (min ${fmt(ratio.min, 2)})`, met: ratio.median >= 0.8 }],
      sections: [
        '## Results (messages/s; median of repeats (min–max))',
        [
          '| sender | messages/s |',
          '|---|---|',
          `| event publisher (store → Kafka) | ${spread(repeated(publisherRate))} |`,
          `| bare kafkajs producer, same messages and batching | ${spread(repeated(bareRate))} |`,
          `| ratio | ${spread(ratio, 2)} |`,
        ].join('\n'),
      ],
      chartSvg: barChartSvg({
        title: 'Store → Kafka vs a bare producer',
        yLabel: 'messages per second',
        categories: ['event publisher', 'bare kafkajs producer'],
        series: [{ name: 'messages/s', values: [repeated(publisherRate), repeated(bareRate)] }],
      }),
    });
  } finally {
    await ctx.cleanup();
  }
}

runBenchmark(main);
