import { randomUUID } from 'node:crypto';
import type { TeamSyncView } from '../../services/team-sync/view';
import { databaseName } from '../../shared/db/connection-string';
import { createKafka } from '../../shared/kafka/client';
import { resolveKafkaSync } from '../helpers/kafka';
import { createTestDatabase, type TestDatabase } from '../helpers/postgres';
import { ADMIN_TOKEN, SCIM_TOKEN, TOKEN_HMAC_SECRET } from '../helpers/scim-api';
import { killAllServices, spawnService, type OutputLine, type ServiceProcess } from '../helpers/service-process';
import { serviceTeamView } from '../helpers/team-sync';

/**
 * Two checkouts on one broker and one topic, each with its own database and every other setting
 * at its default (no EVENT_SOURCE, no TEAM_SYNC_GROUP_ID): each team-sync applies its own
 * deployment's events only, also where both deployments have a stream of the same id (the owners
 * team, `team-owners`, and the `scim-settings` stream), and reads every partition (two consumer
 * groups, not one group whose members each get half the topic).
 */
const target = resolveKafkaSync();

if ('skip' in target) {
  if (process.env.CI === 'true') {
    test(`two deployments: no broker in CI (${target.skip})`, () => {
      throw new Error(`CI always starts a Kafka broker, but: ${target.skip}`);
    });
  } else {
    console.warn(`two-deployment tests skipped: ${target.skip}`);
    test(`two-deployment tests skipped: ${target.skip}`, () => undefined);
  }
} else {
  describe('two deployments on one broker and topic', () => {
    jest.setTimeout(120_000);
    const topic = `two-deployments-${randomUUID()}`;
    const deployments: { db: TestDatabase; api: ServiceProcess; url: string; teamSyncUrl: string; bot: string }[] = [];

    const isMsg = (msg: string, component?: string) => (line: OutputLine) => line.json?.msg === msg && line.json.component === component;

    beforeAll(async () => {
      for (const bot of ['bot-a', 'bot-b']) {
        const db = await createTestDatabase(`two_deployments_${bot.slice(-1)}`, { migrate: false });
        const api = spawnService('services/scim-api/main.ts', {
          DATABASE_URL: db.url,
          KAFKA_BROKERS: target.brokers.join(','),
          KAFKA_TOPIC: topic,
          KAFKA_TOPIC_PARTITIONS: '3',
          PORT: '0',
          TEAM_SYNC_PORT: '0',
          RUN_TEAM_SYNC: 'true',
          TOKEN_HMAC_SECRET,
          SCIM_BOOTSTRAP_TOKEN: SCIM_TOKEN,
          ADMIN_BOOTSTRAP_TOKEN: ADMIN_TOKEN,
        });
        const listening = await api.waitForLine(isMsg('listening'), 60_000, 'the API listening');
        const teamSync = await api.waitForLine(isMsg('listening', 'team-sync'), 1_000);
        await api.waitForLine(isMsg('consuming', 'team-sync'), 60_000, 'team-sync consuming');
        deployments.push({ db, api, url: String(listening.json!.url), teamSyncUrl: String(teamSync.json!.url), bot });
      }
    });

    afterAll(async () => {
      await killAllServices();
      const kafka = createKafka({ brokers: target.brokers, clientId: 'two-deployments-test' });
      const admin = kafka.admin();
      await admin.connect();
      await admin.deleteTopics({ topics: [topic], timeout: 10_000 }).catch(() => undefined);
      await admin.disconnect();
      for (const { db } of deployments) await db.drop();
    });

    /** team-sync has applied everything on the topic (its lag is 0) and shows the service's own team members. */
    async function converged(deployment: (typeof deployments)[number]): Promise<TeamSyncView> {
      const metricsUrl = deployment.teamSyncUrl.replace('/team-sync/state', '/metrics');
      for (const deadline = Date.now() + 60_000; ; ) {
        const metrics = await (await fetch(metricsUrl)).text();
        const view = (await (await fetch(deployment.teamSyncUrl)).json()) as TeamSyncView;
        const service = await serviceTeamView(deployment.db.pool);
        if (/^team_sync_events_behind 0$/m.test(metrics) && JSON.stringify(view) === JSON.stringify(service)) return view;
        if (Date.now() > deadline) throw new Error(`team-sync of ${deployment.bot} did not converge: ${JSON.stringify({ view, service })}`);
        await new Promise((resolve) => setTimeout(resolve, 200));
      }
    }

    it('keeps each deployment apart: its own source and group, its own events only', async () => {
      const [a, b] = deployments as [(typeof deployments)[number], (typeof deployments)[number]];
      // Each deployment creates a team alpha with its own service account.
      for (const { url, bot } of deployments) {
        const res = await fetch(`${url}/api/v2/admin/teams`, {
          method: 'POST',
          headers: { Authorization: `Bearer ${ADMIN_TOKEN}`, 'Content-Type': 'application/vnd.api+json' },
          body: JSON.stringify({ data: { type: 'teams', attributes: { name: 'alpha', 'service-accounts': [bot] } } }),
        });
        expect(res.status).toBe(201);
      }

      const [viewA, viewB] = [await converged(a), await converged(b)];
      const alpha = (view: TeamSyncView) => view.teamMembers.filter((m) => m.username.startsWith('bot-')).map((m) => m.username);
      expect(alpha(viewA)).toEqual(['bot-a']);
      expect(alpha(viewB)).toEqual(['bot-b']);

      // Each saw the other's events on the topic and skipped them.
      for (const deployment of deployments) {
        const metrics = await (await fetch(deployment.teamSyncUrl.replace('/team-sync/state', '/metrics'))).text();
        expect(Number(/^team_sync_events_foreign_total (\d+)$/m.exec(metrics)?.[1])).toBeGreaterThan(0);
      }
      // The defaults name the deployment after its database: the source, and team-sync's group.
      for (const { db, api } of deployments) {
        const name = databaseName(db.url);
        expect(api.lines.find(isMsg('starting'))!.json!.eventSource).toBe(`/scim-provisioning/${name}`);
        expect(api.lines.find(isMsg('starting', 'team-sync'))!.json!.groupId).toBe(`team-sync.${name}.team_sync`);
      }
      console.log(`[two deployments] one topic, two databases: each team-sync shows only its own team alpha (${alpha(viewA)} / ${alpha(viewB)})`);
    });
  });
}
