import { randomUUID } from 'node:crypto';
import { setTimeout as delay } from 'node:timers/promises';
import type { Kafka } from 'kafkajs';
import { filter, firstValueFrom, timeout } from 'rxjs';
import request from 'supertest';
import { readCheckpoint as readProjectionCheckpoint } from '../../projections/runtime/checkpoints';
import { importAccounts } from '../../services/accounts-cli/import-accounts';
import { toEnvelope } from '../../services/event-publisher/envelope';
import { startEventPublisher, type EventPublisher, type EventPublisherOptions } from '../../services/event-publisher/publisher';
import { openBaseStateChunk } from '../../services/team-sync/base-state';
import { startTeamSync, type TeamSync } from '../../services/team-sync/consumer';
import { parseTeamSyncEnvelope } from '../../services/team-sync/contracts';
import { teamSyncHttp } from '../../services/team-sync/http';
import { setupTeamSyncSchema, tablesIn } from '../../services/team-sync/schema';
import { teamSyncView, type TeamSyncView } from '../../services/team-sync/view';
import { createCommandDependencies } from '../../shared/commands/handle-command';
import { createTransactionalWriter } from '../../shared/commands/stream-writer';
import { inTransaction } from '../../shared/db/pool';
import type { RecordedEvent } from '../../shared/eventstore/port';
import { isAfter, type Position } from '../../shared/eventstore/position';
import { createKafka } from '../../shared/kafka/client';
import { createLogger } from '../../shared/logging/logger';
import { resolveKafkaSync } from '../helpers/kafka';
import { ownBroker, ownBrokerUnavailable } from '../helpers/kafka-broker';
import { createTestDatabase, type TestDatabase } from '../helpers/postgres';
import { GROUP_SCHEMA, newUser, patchOp, startScimApi, type ScimApiUnderTest } from '../helpers/scim-api';
import { serviceTeamView } from '../helpers/team-sync';

/**
 * team-sync against the real broker and Postgres: the SCIM API and the event publisher (3
 * partitions, so streams interleave in any order) feed it, and once everything is applied its
 * view must equal the service's own team_members and site_admins. Jest registers tests
 * synchronously, so the broker is resolved synchronously (resolveKafkaSync).
 */
const target = resolveKafkaSync();
const log = createLogger({ level: process.env.TEST_LOG_LEVEL ?? 'silent' });
const SCHEMA = 'team_sync';
const PARTITIONS = 3;

if ('skip' in target) {
  if (process.env.CI === 'true') {
    test(`team-sync: no broker in CI (${target.skip})`, () => {
      throw new Error(`CI always starts a Kafka broker (scripts/kafka.sh start), but: ${target.skip}`);
    });
  } else {
    console.warn(`team-sync tests skipped: ${target.skip}`);
    test(`team-sync tests skipped: ${target.skip}`, () => undefined);
  }
} else {
  // A broker of this file's own when it can (the outage scenario stops it), else the given one.
  const broker = ownBrokerUnavailable() === undefined ? ownBroker(19292) : undefined;
  const brokers = broker ? [broker.address] : target.brokers;

  describe(`team-sync against ${brokers.join(',')}`, () => {
    jest.setTimeout(60_000);
    let api: ScimApiUnderTest;
    /** team-sync's own database: it shares nothing with the service but the topic. */
    let syncDb: TestDatabase;
    let kafka: Kafka;
    let publisher: EventPublisher;
    let teamSync: TeamSync;
    const topic = `team-sync-test-${randomUUID()}`;
    const groupId = `team-sync-test-${randomUUID()}`;
    /** Event id -> when team-sync first committed it. */
    const appliedAt = new Map<string, number>();
    const failures: string[] = [];

    const startPublisher = (options: Partial<EventPublisherOptions> = {}) =>
      startEventPublisher({
        pool: api.db.pool,
        store: api.store,
        kafka: createKafka({ brokers, clientId: 'team-sync-test-publisher', connectionTimeout: 1000 }),
        topic,
        partitions: PARTITIONS,
        log,
        ...options,
      });

    const startSync = (overrides: { chunkBudgetMs?: number } = {}) =>
      startTeamSync({
        pool: syncDb.pool,
        kafka: createKafka({ brokers, clientId: 'team-sync-under-test', log: log.child({ component: 'kafka' }), connectionTimeout: 1000 }),
        topic,
        groupId,
        schema: SCHEMA,
        log,
        maxWaitTimeInMs: 500,
        // Small fetches, so that a restart meets batches it applied entirely already (and seeks past them).
        maxBytesPerPartition: 16 * 1024,
        onApplied(events, at) {
          for (const event of events) if (!appliedAt.has(event.id)) appliedAt.set(event.id, at);
        },
        ...overrides,
      });

    beforeAll(async () => {
      await broker?.start();
      kafka = createKafka({ brokers, clientId: 'team-sync-test-admin', connectionTimeout: 1000 });
      api = await startScimApi('team_sync');
      syncDb = await createTestDatabase('team_sync_consumer', { migrate: false });
      publisher = startPublisher();
      teamSync = await startSync();
    });

    afterAll(async () => {
      await teamSync?.stop();
      await publisher?.stop();
      await api?.close();
      await syncDb?.drop();
      const admin = kafka.admin();
      await admin.connect();
      await admin.deleteTopics({ topics: [topic], timeout: 10_000 }).catch(() => undefined);
      await admin.disconnect();
      await broker?.stop();
    });

    afterEach(() => {
      expect(failures.splice(0)).toEqual([]);
    });

    // -----------------------------------------------------------------------------------------------
    // Driving the service over HTTP

    const ok = async (what: string, pending: request.Test): Promise<request.Response> => {
      const res = await pending;
      if (res.status < 200 || res.status > 299) failures.push(`${what}: ${res.status} ${JSON.stringify(res.body)}`);
      return res;
    };

    interface User {
      readonly id: string;
      userName: string;
      active: boolean;
      deleted: boolean;
    }
    const users: User[] = [];
    let userCounter = 0;
    async function createUser(options: { active?: boolean; email?: string } = {}): Promise<User> {
      const userName = `member${++userCounter}@example.com`;
      const body = newUser(userName, { active: options.active ?? true, ...(options.email ? { emails: [{ value: options.email, primary: true }] } : {}) });
      const res = await ok('create user', api.scim('post', '/Users', body));
      const user = { id: res.body.id as string, userName, active: options.active ?? true, deleted: false };
      users.push(user);
      return user;
    }
    const setActive = async (user: User, active: boolean) => {
      await ok('set active', api.scim('patch', `/Users/${user.id}`, patchOp({ op: 'Replace', path: 'active', value: active ? 'True' : 'False' })));
      user.active = active;
    };
    const rename = async (user: User) => {
      const userName = `renamed${++userCounter}@example.com`;
      await ok('rename user', api.scim('patch', `/Users/${user.id}`, patchOp({ op: 'replace', path: 'userName', value: userName })));
      user.userName = userName;
    };
    const deleteUser = async (user: User) => {
      user.deleted = true;
      await ok('delete user', api.scim('delete', `/Users/${user.id}`));
    };

    let groupCounter = 0;
    async function createGroup(members: readonly User[]): Promise<string> {
      const body = { schemas: [GROUP_SCHEMA], displayName: `group ${++groupCounter}`, members: members.map((m) => ({ value: m.id })) };
      return (await ok('create group', api.scim('post', '/Groups', body))).body.id as string;
    }
    const addMembers = (groupId: string, members: readonly User[]) =>
      ok('add members', api.scim('patch', `/Groups/${groupId}`, patchOp({ op: 'Add', path: 'members', value: members.map((m) => ({ value: m.id })) })));
    const removeMembers = (groupId: string, members: readonly User[]) =>
      ok('remove members', api.scim('patch', `/Groups/${groupId}`, patchOp({ op: 'Remove', path: 'members', value: members.map((m) => ({ value: m.id })) })));
    const replaceMembers = async (groupId: string, members: readonly User[]) => {
      const current = await ok('get group', api.scim('get', `/Groups/${groupId}?excludedAttributes=members`));
      await ok('replace members', api.scim('put', `/Groups/${groupId}`, { schemas: [GROUP_SCHEMA], displayName: current.body.displayName, members: members.map((m) => ({ value: m.id })) }));
    };
    const deleteGroup = (groupId: string) => ok('delete group', api.scim('delete', `/Groups/${groupId}`));

    let teamCounter = 0;
    async function createTeam(serviceAccounts: string[] = []): Promise<string> {
      const body = { data: { type: 'teams', attributes: { name: `team ${++teamCounter}`, 'service-accounts': serviceAccounts } } };
      return (await ok('create team', api.admin('post', '/teams', body))).body.data.id as string;
    }
    const mapping = (attributes: Record<string, unknown>) => ({ data: { type: 'scim-group-mapping', attributes } });
    const link = (teamId: string, groupId: string) => ok('link', api.admin('post', `/teams/${teamId}/scim-group-mapping`, mapping({ 'scim-group-id': groupId })));
    const pause = (teamId: string, paused: boolean) => ok(paused ? 'pause' : 'resume', api.admin('patch', `/teams/${teamId}/scim-group-mapping`, mapping({ 'scim-sync-paused': paused })));
    const unlink = (teamId: string) => ok('unlink', api.admin('delete', `/teams/${teamId}/scim-group-mapping`));
    const setSiteAdminGroup = (groupId: string | null) =>
      ok('site-admin group', api.admin('patch', '/scim-settings', { data: { type: 'scim-settings', attributes: { 'site-admin-group-scim-id': groupId } } }));

    const live = () => users.filter((u) => !u.deleted);

    /**
     * Lanes run concurrently, each over its own group and its own users (no two requests race on
     * one stream), so the streams' events interleave freely across the topic's partitions.
     */
    async function runLanes(groups: readonly string[], steps: number, seed: number, progress: { done: number }): Promise<void> {
      await Promise.all(
        groups.map(async (groupId, lane) => {
          const random = seeded(seed * 31 + lane);
          const pick = (from: readonly User[], n: number) => distinct(Array.from({ length: n }, () => from[Math.floor(random() * from.length)]!));
          const own = () => live().filter((_, i) => i % groups.length === lane);
          for (let step = 0; step < steps; step++) {
            const roll = random();
            if (roll < 0.35) await addMembers(groupId, pick(live(), 1 + Math.floor(random() * 3)));
            else if (roll < 0.55) await removeMembers(groupId, pick(live(), 1 + Math.floor(random() * 2)));
            else if (roll < 0.63) await replaceMembers(groupId, pick(live(), 3 + Math.floor(random() * 6)));
            else if (roll < 0.88) {
              const user = pick(own(), 1)[0];
              if (user) await setActive(user, !user.active);
            } else {
              const user = pick(own(), 1)[0];
              if (user) await rename(user);
            }
            progress.done++;
          }
        }),
      );
    }

    const when = async (progress: { done: number }, atLeast: number) => {
      while (progress.done < atLeast) await delay(5);
    };

    // -----------------------------------------------------------------------------------------------
    // Catching up

    async function waitFor(what: string, check: () => Promise<boolean>, ms = 30_000): Promise<void> {
      const deadline = Date.now() + ms;
      while (!(await check())) {
        if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
        await delay(25);
      }
    }

    /**
     * The last event written. Not store.headPosition(): that is the last one subscribers may read
     * yet, and a committed event stays unreadable while any older transaction of the server (another
     * database's included) is still open.
     */
    async function lastWritten(): Promise<Position | null> {
      const { rows } = await api.db.pool.query<{ commit: string; prepare: string }>(
        `SELECT transaction_id::text AS commit, global_position::text AS prepare FROM events ORDER BY transaction_id DESC, global_position DESC LIMIT 1`,
      );
      return rows[0] ? { commit: BigInt(rows[0].commit), prepare: BigInt(rows[0].prepare) } : null;
    }

    /** Everything the store holds is on the topic, in the service's read model, and applied by team-sync. */
    async function caughtUp(): Promise<void> {
      const head = await lastWritten();
      if (head === null) return;
      await firstValueFrom(publisher.checkpoint$.pipe(filter((p) => p !== null && !isAfter(head, p)), timeout({ first: 30_000 })));
      await waitFor('the service projection', async () => {
        const checkpoint = await readProjectionCheckpoint(api.db.pool, 'platform');
        return checkpoint !== null && !isAfter(head, checkpoint);
      });
      await waitFor('team-sync', async () => (await teamSync.lag()).eventsBehind === 0);
    }

    async function converged(): Promise<TeamSyncView> {
      await caughtUp();
      const [mine, service] = await Promise.all([teamSyncView(syncDb.pool, SCHEMA), serviceTeamView(api.db.pool)]);
      expect(mine).toEqual(service);
      return mine;
    }

    const membersOf = (view: TeamSyncView, teamId: string) => view.teamMembers.filter((m) => m.teamId === teamId);

    // -----------------------------------------------------------------------------------------------

    const teams: string[] = [];
    const groups: string[] = [];
    let registered: Map<string, string>;

    it('converges to the service\'s team members and site admins after a concurrent workload: links, pauses, unlinks, site-admin changes, deletions', async () => {
      const started = Date.now();
      const deps = createCommandDependencies(api.store, createTransactionalWriter(api.store));
      const outcome = await importAccounts(
        deps,
        [
          { email: 'reg1@example.com', username: 'registered-one' },
          { email: 'reg2@example.com', username: 'registered-two' },
        ],
        { kind: 'import', id: 'team-sync-test' },
        () => new Date(),
      );
      registered = new Map(outcome.registered.map((r) => [r.email, r.accountId]));

      // Users (two linked to registered accounts, whose usernames the teams show), groups, teams.
      const linkedToRegistered = [await createUser({ email: 'reg1@example.com' }), await createUser({ email: 'reg2@example.com' })];
      await Promise.all(
        Array.from({ length: 6 }, async (_, lane) => {
          for (let i = 0; i < 7; i++) await createUser({ active: (lane + i) % 9 !== 0 });
        }),
      );
      const pool = live();
      for (let g = 0; g < 7; g++) groups.push(await createGroup(pool.filter((_, i) => (i + g) % 4 === 0)));
      teams.push(await createTeam(['deploy-bot', 'ci-robot']), await createTeam(['audit-bot']));
      for (let i = 0; i < 4; i++) teams.push(await createTeam());
      const [g0, g1, g2, g3, g4, g5, g6] = groups as [string, string, string, string, string, string, string];
      const [t0, t1, t2, t3, t4, t5] = teams as [string, string, string, string, string, string];
      await Promise.all([link(t0, g0), link(t1, g1), link(t2, g2), link(t3, g3), link(t4, g0), link(t5, g4), setSiteAdminGroup(g5)]);

      // Membership and user changes on every group, while teams pause, resume and unlink and the
      // site-admin group changes and is cleared, none of them waiting for team-sync to quiesce.
      const progress = { done: 0 };
      const lanes = runLanes(groups, 30, 1, progress);
      const admin = (async () => {
        await when(progress, 40);
        await pause(t2, true);
        await when(progress, 70);
        await setSiteAdminGroup(g6);
        await when(progress, 100);
        await unlink(t3);
        await when(progress, 120);
        await pause(t1, true);
        await when(progress, 150);
        await pause(t2, false);
        await when(progress, 170);
        await setSiteAdminGroup(null);
      })();
      await Promise.all([lanes, admin]);
      let view = await converged();
      expect(membersOf(view, t1).filter((m) => m.kind === 'service-account')).toHaveLength(1);
      expect(membersOf(view, t1).length).toBeGreaterThan(1);

      // A pause after quiescing: the members stay while the group changes, and follow it on resume.
      await pause(t0, true);
      const frozen = membersOf(await converged(), t0);
      const outsiders = live()
        .slice(3)
        .filter((u) => u.active && !frozen.some((m) => m.username === u.userName));
      expect(outsiders.length).toBeGreaterThan(0);
      await addMembers(g0, outsiders.slice(0, 2));
      await removeMembers(g0, live().slice(0, 3));
      expect(membersOf(await converged(), t0)).toEqual(frozen);
      await pause(t0, false);
      expect(membersOf(await converged(), t0)).not.toEqual(frozen);

      // Deletions, a group deleted under a linked team, the site-admin group deleted, a relink.
      const doomed = live().filter((u, i) => i % 5 === 2 && !linkedToRegistered.includes(u));
      await Promise.all([...doomed.map(deleteUser), deleteGroup(g4), link(t3, g5)]);
      const admins = live()
        .filter((u) => u.active)
        .slice(0, 6);
      const g7 = await createGroup(admins);
      await setSiteAdminGroup(g7);
      await deleteGroup(g7);
      const grantee = admins[0];
      await setActive(grantee!, false);
      await setActive(grantee!, true);
      for (const user of linkedToRegistered) if (!user.active) await setActive(user, true);
      await addMembers(g0, linkedToRegistered);
      view = await converged();

      // Not a vacuous comparison.
      expect(view.siteAdmins.length).toBeGreaterThan(0);
      expect(new Set(view.teamMembers.map((m) => m.teamId)).size).toBeGreaterThanOrEqual(4);
      expect(view.teamMembers.map((m) => m.username)).toEqual(expect.arrayContaining(['registered-one', 'deploy-bot']));
      expect(view.teamMembers.some((m) => m.accountId === registered.get('reg1@example.com'))).toBe(true);
      expect(await teamSync.lag()).toMatchObject({ eventsBehind: 0, secondsBehind: 0 });

      // The HTTP side: the same view, and the lag gauges.
      const app = teamSyncHttp({ pool: syncDb.pool, schema: SCHEMA, teamSync, defaultMetrics: false });
      expect((await request(app).get('/team-sync/state')).body).toEqual(view);
      const metrics = (await request(app).get('/metrics')).text;
      expect(metrics).toMatch(/^team_sync_events_behind 0$/m);
      expect(metrics).toMatch(/^team_sync_seconds_behind 0$/m);

      // End-to-end lag: append (recorded_at) to committed by team-sync.
      const events = (await api.allEvents()).filter((e) => e.recordedAt.getTime() >= started);
      const lags = events.map((e) => appliedAt.get(e.id)! - e.recordedAt.getTime()).sort((a, b) => a - b);
      expect(lags.every((l) => Number.isFinite(l))).toBe(true);
      const stats = teamSync.stats();
      const offsets = await teamSync.lag();
      console.log(
        `[team-sync] ${events.length} events (${JSON.stringify(countBy(events, (e) => e.type))}) over ${PARTITIONS} partitions ${JSON.stringify(offsets.partitions.map((p) => p.high))}; ` +
          `end-to-end lag append -> applied: p50 ${percentile(lags, 0.5)} ms, p99 ${percentile(lags, 0.99)} ms, max ${lags[lags.length - 1]} ms; ` +
          `view: ${view.teamMembers.length} team members in ${new Set(view.teamMembers.map((m) => m.teamId)).size} teams, ${view.siteAdmins.length} site admins; stats ${JSON.stringify(stats)}`,
      );
    });

    it('changes nothing when every message is delivered again (stored offsets moved back to 0, then restarted)', async () => {
      const before = await converged();
      const messages = (await teamSync.lag()).partitions.reduce((sum, p) => sum + Number(p.high), 0);
      await teamSync.stop();
      await syncDb.pool.query(`UPDATE ${tablesIn(SCHEMA)('offsets')} SET next_offset = 0 WHERE topic = $1`, [topic]);
      teamSync = await startSync();
      expect(await converged()).toEqual(before);
      expect(teamSync.stats()).toMatchObject({ applied: 0, duplicates: messages });
      console.log(`[team-sync] redelivery of ${messages} messages: ${JSON.stringify(teamSync.stats())}`);
    });

    it('commits a chunk once its time budget is spent, so that a slow catch-up still heartbeats between transactions', async () => {
      const before = await converged();
      const messages = (await teamSync.lag()).partitions.reduce((sum, p) => sum + Number(p.high), 0);
      await teamSync.stop();
      await syncDb.pool.query(`UPDATE ${tablesIn(SCHEMA)('offsets')} SET next_offset = 0 WHERE topic = $1`, [topic]);
      // A budget of 0 ms: every transaction takes exactly one message, whatever the fetch size.
      teamSync = await startSync({ chunkBudgetMs: 0 });
      expect(await converged()).toEqual(before);
      expect(teamSync.stats()).toMatchObject({ applied: 0, duplicates: messages, transactions: messages });
      await teamSync.stop();
      teamSync = await startSync();
    });

    it('dedupes a batch the publisher sent twice (killed between the broker acknowledgement and its checkpoint)', async () => {
      await publisher.stop();
      const progress = { done: 0 };
      await runLanes(groups.slice(0, 4), 6, 2, progress);
      let failedBatch: readonly RecordedEvent[] | undefined;
      publisher = startPublisher({
        batchSize: 10,
        retry: { initialMs: 10, maxMs: 50 },
        beforeCheckpoint: async (batch) => {
          if (failedBatch) return;
          failedBatch = batch;
          throw new Error('killed between send and checkpoint');
        },
      });
      const duplicatesBefore = teamSync.stats().duplicates;
      await converged();
      expect(failedBatch?.length).toBeGreaterThan(0);
      expect(teamSync.stats().duplicates - duplicatesBefore).toBe(failedBatch!.length);
      console.log(`[team-sync] publisher killed before its checkpoint: a batch of ${failedBatch!.length} sent twice, ${teamSync.stats().duplicates - duplicatesBefore} duplicates skipped`);
    });

    it('converges after team-sync is stopped and started again in the middle of a workload', async () => {
      const progress = { done: 0 };
      const lanes = runLanes(
        groups.filter((_, i) => i !== 4),
        12,
        3,
        progress,
      );
      const [t0, , t2] = teams as [string, string, string];
      const restart = (async () => {
        await when(progress, 20);
        await teamSync.stop();
        await pause(t2, true);
        await delay(300);
        await when(progress, 45);
        teamSync = await startSync();
        await unlink(t0);
        await pause(t2, false);
      })();
      await Promise.all([lanes, restart]);
      await converged();
      // The stored offsets were exact: the new instance saw no event twice, and sought past what it had.
      expect(teamSync.stats().duplicates).toBe(0);
      expect(teamSync.stats().seeks).toBeGreaterThan(0);
      console.log(`[team-sync] restarted mid-workload: ${JSON.stringify(teamSync.stats())}`);
    });

    (broker ? it : it.skip)('converges after the broker is down in the middle of a workload: writes keep succeeding, nothing is lost', async () => {
      const progress = { done: 0 };
      const lanes = runLanes(
        groups.filter((_, i) => i !== 4),
        12,
        4,
        progress,
      );
      const [, t1] = teams as [string, string];
      let downFor = 0;
      const outage = (async () => {
        await when(progress, 15);
        const stopped = Date.now();
        await broker!.stop();
        // Provisioning goes on while Kafka is away: the requests themselves never touch it.
        await when(progress, 40);
        await pause(t1, false);
        await delay(500);
        await broker!.start();
        downFor = Date.now() - stopped;
      })();
      await Promise.all([lanes, outage]);
      expect(failures).toEqual([]);
      const view = await converged();
      console.log(`[team-sync] broker down ${downFor} ms mid-workload: converged, ${view.teamMembers.length} team members; ${JSON.stringify(teamSync.stats())}`);
    }, 120_000);
    if (!broker) console.warn(`team-sync broker outage scenario skipped: ${ownBrokerUnavailable()}`);

    it('converges after SCIM is disabled: links, groups and identities go, team members and admin grants stay', async () => {
      const g6 = groups[6]!;
      await addMembers(
        g6,
        live()
          .filter((u) => u.active)
          .slice(0, 4),
      );
      await setSiteAdminGroup(g6);
      const before = await converged();
      expect(before.siteAdmins.length).toBeGreaterThan(0);
      await ok('disable SCIM', api.admin('delete', '/scim-settings'));
      const after = await converged();
      expect(after).toEqual(before);
      const types = countBy(await api.allEvents(), (e) => e.type);
      expect(types).toMatchObject({ ScimDisabled: 1 });
      console.log(`[team-sync] SCIM disabled: ${after.teamMembers.length} team members and ${after.siteAdmins.length} site admins kept`);
    });

    it('computes the same view from the log in any interleaving that keeps each stream in order, with redeliveries', async () => {
      const events = await api.allEvents();
      const service = await serviceTeamView(api.db.pool);
      const byStream = new Map<string, RecordedEvent[]>();
      for (const event of events) byStream.set(event.streamId, [...(byStream.get(event.streamId) ?? []), event]);
      const rank = (streamId: string) => ['team-', 'scim-settings', 'group-', 'account-', 'user-'].findIndex((prefix) => streamId.startsWith(prefix));
      const orders: [string, RecordedEvent[]][] = [
        ['teams and settings first, users last', [...events].sort((a, b) => rank(a.streamId) - rank(b.streamId))],
        ['users first, teams last', [...events].sort((a, b) => rank(b.streamId) - rank(a.streamId))],
        ...[1, 2, 3].map((seed): [string, RecordedEvent[]] => [`random interleaving ${seed}`, interleave(byStream, seeded(seed))]),
      ];
      for (const [name, order] of orders) {
        const schema = `replay_${orders.findIndex(([n]) => n === name)}`;
        await setupTeamSyncSchema(syncDb.pool, schema);
        const t = tablesIn(schema);
        const random = seeded(name.length);
        // Delivered in chunks of 1 to 60 events, each applied as the consumer applies one (a transaction of its own).
        const seen = new Map<string, RecordedEvent[]>();
        const deliveries: RecordedEvent[] = [];
        for (const event of order) {
          const earlier = seen.get(event.streamId) ?? [];
          // Now and then an earlier event of the stream again, as a redelivery would bring it.
          if (random() < 0.1 && earlier.length > 0) deliveries.push(earlier[Math.floor(random() * earlier.length)]!);
          deliveries.push(event);
          seen.set(event.streamId, [...earlier, event]);
        }
        for (let i = 0; i < deliveries.length; ) {
          const size = 1 + Math.floor(random() * 60);
          const parsed = deliveries.slice(i, i + size).map((delivered) => parseTeamSyncEnvelope(JSON.stringify(toEnvelope(delivered))));
          i += size;
          await inTransaction(syncDb.pool, async (client) => {
            const chunk = await openBaseStateChunk(client, t, parsed.map((p) => p.streamId));
            for (const event of parsed) await chunk.apply(event);
            await chunk.flush();
          });
        }
        expect({ order: name, view: await teamSyncView(syncDb.pool, schema) }).toEqual({ order: name, view: service });
      }
    });
  });
}

// ---------------------------------------------------------------------------------------------------

/** A random merge of the streams: each stream's events keep their order, streams interleave anyhow. */
function interleave(byStream: ReadonlyMap<string, readonly RecordedEvent[]>, random: () => number): RecordedEvent[] {
  const queues = [...byStream.values()].map((events) => [...events]);
  const merged: RecordedEvent[] = [];
  for (;;) {
    const open = queues.filter((q) => q.length > 0);
    if (open.length === 0) return merged;
    merged.push(open[Math.floor(random() * open.length)]!.shift()!);
  }
}

function percentile(sorted: readonly number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(p * sorted.length) - 1))] ?? 0;
}

function countBy<T>(items: readonly T[], key: (item: T) => string): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const item of items) counts[key(item)] = (counts[key(item)] ?? 0) + 1;
  return counts;
}

function distinct<T>(items: readonly (T | undefined)[]): T[] {
  return [...new Set(items.filter((i): i is T => i !== undefined))];
}

function seeded(seed: number): () => number {
  let state = seed >>> 0 || 1;
  return () => {
    state = (state * 1664525 + 1013904223) >>> 0;
    return state / 2 ** 32;
  };
}
