import { randomUUID } from 'node:crypto';
import { setTimeout as delay } from 'node:timers/promises';
import { PassThrough } from 'node:stream';
import type { IHeaders, Kafka } from 'kafkajs';
import { runCli } from '../../services/audit/cli';
import { toKafkaMessage } from '../../services/event-publisher/envelope';
import { startTeamSync, type TeamSync } from '../../services/team-sync/consumer';
import { teamSyncView } from '../../services/team-sync/view';
import { formatPosition } from '../../shared/eventstore/position';
import { defaultEventSource } from '../../shared/events/source';
import { createKafka } from '../../shared/kafka/client';
import { createLogger } from '../../shared/logging/logger';
import { buildAuditHistory, type AuditHistory } from '../helpers/audit-history';
import { resolveKafkaSync } from '../helpers/kafka';
import { createTestDatabase, type TestDatabase } from '../helpers/postgres';
import { serviceTeamView } from '../helpers/team-sync';

/**
 * `scim-audit republish` against the real broker: a topic of this test's own gets the history
 * (built through the SCIM and admin APIs) again, with the publisher's envelope, keys and headers;
 * a fresh team-sync consumer group reading it must end up with the service's own team members.
 */
const target = resolveKafkaSync();
const log = createLogger({ level: process.env.TEST_LOG_LEVEL ?? 'silent' });
const SCHEMA = 'team_sync';
const PARTITIONS = 3;

if ('skip' in target) {
  if (process.env.CI === 'true') {
    test(`scim-audit republish: no broker in CI (${target.skip})`, () => {
      throw new Error(`CI always starts a Kafka broker (scripts/kafka.sh start), but: ${target.skip}`);
    });
  } else {
    console.warn(`scim-audit republish tests skipped: ${target.skip}`);
    test(`scim-audit republish tests skipped: ${target.skip}`, () => undefined);
  }
} else {
  const brokers = target.brokers;
  describe(`scim-audit republish against ${brokers.join(',')}`, () => {
    jest.setTimeout(60_000);
    let h: AuditHistory;
    let syncDb: TestDatabase;
    let kafka: Kafka;
    let teamSync: TeamSync | undefined;
    const topic = `scim-audit-republish-${randomUUID()}`;

    beforeAll(async () => {
      h = await buildAuditHistory('audit_republish');
      syncDb = await createTestDatabase('audit_republish_sync', { migrate: false });
      kafka = createKafka({ brokers: brokers, clientId: 'scim-audit-republish-test', connectionTimeout: 1000 });
    });

    afterAll(async () => {
      await teamSync?.stop();
      await h?.api.close();
      await syncDb?.drop();
      const admin = kafka.admin();
      await admin.connect();
      await admin.deleteTopics({ topics: [topic], timeout: 10_000 }).catch(() => undefined);
      await admin.disconnect();
    });

    async function cli(...argv: string[]) {
      const stdout = new PassThrough();
      const stderr = new PassThrough();
      let out = '';
      let err = '';
      stdout.on('data', (chunk: Buffer) => (out += chunk.toString('utf8')));
      stderr.on('data', (chunk: Buffer) => (err += chunk.toString('utf8')));
      const env = { DATABASE_URL: h.api.db.url, KAFKA_BROKERS: brokers.join(','), KAFKA_TOPIC_PARTITIONS: String(PARTITIONS) };
      const code = await runCli(argv, { stdout, stderr, env });
      return { code, out, err };
    }

    /** Every message on the topic, read by a consumer group of its own. */
    async function messagesOnTopic(expected: number): Promise<{ key: string; value: string; headers: Record<string, string> }[]> {
      const consumer = kafka.consumer({ groupId: `scim-audit-republish-reader-${randomUUID()}` });
      const messages: { key: string; value: string; headers: Record<string, string> }[] = [];
      const text = (headers: IHeaders | undefined) => Object.fromEntries(Object.entries(headers ?? {}).map(([k, v]) => [k, String(v)]));
      await consumer.connect();
      try {
        await consumer.subscribe({ topics: [topic], fromBeginning: true });
        await consumer.run({
          eachMessage: async ({ message }) => {
            messages.push({ key: message.key!.toString('utf8'), value: message.value!.toString('utf8'), headers: text(message.headers) });
          },
        });
        const deadline = Date.now() + 30_000;
        while (messages.length < expected && Date.now() < deadline) await delay(50);
      } finally {
        await consumer.disconnect();
      }
      return messages;
    }

    it('sends every event after --from with the publisher\'s envelope, key and CloudEvents headers', async () => {
      const events = await h.events();
      const source = defaultEventSource(h.api.db.url);
      const result = await cli('republish', '--from', '0/0', '--topic', topic);

      expect(result).toEqual({
        code: 0,
        err: '',
        out: expect.stringMatching(
          new RegExp(
            `^republished ${events.length} events \\(positions ${formatPosition(events[0]!.position)} to ${formatPosition(events.at(-1)!.position)}\\) to ${topic} as ${source.replace(/[/]/g, '\\/')} in \\d+\\.\\d s\\n$`,
          ),
        ),
      });
      const expected = events.map((e) => {
        const message = toKafkaMessage(e, source);
        return { key: message.key as string, value: message.value as string, headers: message.headers as Record<string, string> };
      });
      const sortKey = (m: { value: string }) => JSON.parse(m.value).position as string;
      const received = await messagesOnTopic(events.length);
      expect([...received].sort((a, b) => sortKey(a).localeCompare(sortKey(b)))).toEqual([...expected].sort((a, b) => sortKey(a).localeCompare(sortKey(b))));
      // The v2 event went out as v2, and so would a v1 event: upcast, with the same key.
      expect(received.find((m) => JSON.parse(m.value).type === 'UserDeleted')).toMatchObject({ key: `user-${h.johnId}` });
    });

    it('brings a fresh team-sync consumer group to the service\'s own team members', async () => {
      const events = await h.events();
      teamSync = await startTeamSync({
        pool: syncDb.pool,
        kafka: createKafka({ brokers: brokers, clientId: 'scim-audit-republish-team-sync', connectionTimeout: 1000 }),
        topic,
        groupId: `scim-audit-republish-${randomUUID()}`,
        schema: SCHEMA,
        source: defaultEventSource(h.api.db.url),
        log,
        maxWaitTimeInMs: 200,
      });
      const deadline = Date.now() + 30_000;
      while ((teamSync.stats().applied < events.length || (await teamSync.lag()).eventsBehind > 0) && Date.now() < deadline) await delay(50);

      expect(teamSync.stats()).toMatchObject({ applied: events.length, invalid: 0, foreign: 0 });
      const service = await serviceTeamView(h.api.db.pool);
      expect(service.teamMembers.some((m) => m.teamId === h.teamId && m.kind === 'user')).toBe(true);
      expect(await teamSyncView(syncDb.pool, SCHEMA)).toEqual(service);
    });

    it('sends a part again (--from, --to): the consumer counts them as duplicates and stays equal', async () => {
      const events = await h.events();
      const before = teamSync!.stats();
      const result = await cli('republish', '--from', formatPosition(events[4]!.position), '--to', formatPosition(events[9]!.position), '--topic', topic, '--json');
      expect(result.code).toBe(0);
      expect(JSON.parse(result.out)).toMatchObject({ events: 5, first: formatPosition(events[5]!.position), last: formatPosition(events[9]!.position), topic });

      const deadline = Date.now() + 30_000;
      while (teamSync!.stats().duplicates < before.duplicates + 5 && Date.now() < deadline) await delay(50);
      expect(teamSync!.stats()).toMatchObject({ applied: before.applied, duplicates: before.duplicates + 5 });
      expect(await teamSyncView(syncDb.pool, SCHEMA)).toEqual(await serviceTeamView(h.api.db.pool));
    });
  });
}
