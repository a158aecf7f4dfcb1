import { eventsAfter } from '../helpers/event-log';
import { randomUUID } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { setTimeout as delay } from 'node:timers/promises';
import { createPostgresEventStore } from '../../shared/eventstore/postgres/postgres-event-store';
import type { Position, RecordedEvent } from '../../shared/eventstore/port';
import { createTestDatabase, type TestDatabase } from '../helpers/postgres';
import { ADMIN_TOKEN, GROUP_SCHEMA, newUser, patchOp, SCIM_TOKEN } from '../helpers/scim-api';
import { killAllServices } from '../helpers/service-process';
import { assertNothingLost, verifyNothingLost } from './harness/checks';
import { WriteLedger } from './harness/ledger';
import { seededPrng, type Prng } from './harness/prng';
import { reliabilityScale, statusCounts, writeScenarioResult } from './harness/scenario-result';
import { scenarioBrokers, type ServiceUnderTest, startService } from './harness/service';
import { checkSerialOrder, type AcknowledgedRequest, type ModelState, type Mutation } from './concurrency-model';

/**
 * Scenario 4 of issue 13: concurrency against two real service processes on one database (each
 * with its own in-memory stream states and lock, as two replicas behind a load balancer).
 * - 20 creators of one userName in mixed case, split over both instances: exactly one 201, the
 *   rest 409 uniqueness, one UserProvisioned.
 * - `CLIENTS` clients at once mutating one group (members add/remove, displayName) and its users
 *   (active, displayName), each request to a random instance: the event log must be a serial
 *   order of the acknowledged requests that also respects real time (concurrency-model.ts), and
 *   the model's final state is what GET shows on both instances.
 */
const scale = reliabilityScale();
const CLIENTS = scale === 'full' ? 100 : 20;
const REQUESTS_PER_CLIENT = scale === 'full' ? 10 : 8;
const USERS = scale === 'full' ? 20 : 8;
const SEED = 1304;
const brokersOrSkip = scenarioBrokers('scenario 4');

/** Few values, so that concurrent requests often collide and some are no-ops. */
const GROUP_NAMES = ['Crowd A', 'Crowd B', 'Crowd C'];
const USER_NAMES = ['Alpha', 'Beta', 'Gamma'];

interface Answer {
  readonly status: number;
  readonly body: Record<string, unknown> | undefined;
}

async function call(base: string, method: string, path: string, body?: unknown, headers: Record<string, string> = {}): Promise<Answer> {
  const admin = path.startsWith('/api/v2');
  const res = await fetch(`${base}${path}`, {
    method,
    headers: {
      Authorization: `Bearer ${admin ? ADMIN_TOKEN : SCIM_TOKEN}`,
      ...(body !== undefined ? { 'Content-Type': admin ? 'application/vnd.api+json' : 'application/scim+json' } : {}),
      ...headers,
    },
    ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
    signal: AbortSignal.timeout(30_000),
  });
  const text = await res.text();
  return { status: res.status, body: text ? (JSON.parse(text) as Record<string, unknown>) : undefined };
}

/** The PATCH that means `mutation` (RFC 7644 §3.5.2). */
function wireOf(groupId: string, mutation: Mutation): { path: string; body: unknown } {
  switch (mutation.kind) {
    case 'group-add-member':
      return { path: `/scim/v2/Groups/${groupId}`, body: patchOp({ op: 'add', path: 'members', value: [{ value: mutation.userId }] }) };
    case 'group-remove-member':
      return { path: `/scim/v2/Groups/${groupId}`, body: patchOp({ op: 'remove', path: `members[value eq "${mutation.userId}"]` }) };
    case 'group-rename':
      return { path: `/scim/v2/Groups/${groupId}`, body: patchOp({ op: 'replace', path: 'displayName', value: mutation.displayName }) };
    case 'user-set-active':
      return { path: `/scim/v2/Users/${mutation.userId}`, body: patchOp({ op: 'replace', path: 'active', value: mutation.active }) };
    case 'user-set-display-name':
      return { path: `/scim/v2/Users/${mutation.userId}`, body: patchOp({ op: 'replace', path: 'displayName', value: mutation.displayName }) };
  }
}

function randomMutation(prng: Prng, userIds: readonly string[]): Mutation {
  const roll = prng.next();
  const userId = prng.pick(userIds);
  if (roll < 0.3) return { kind: 'group-add-member', userId };
  if (roll < 0.55) return { kind: 'group-remove-member', userId };
  if (roll < 0.7) return { kind: 'group-rename', displayName: prng.pick(GROUP_NAMES) };
  if (roll < 0.85) return { kind: 'user-set-active', userId, active: prng.next() < 0.5 };
  return { kind: 'user-set-display-name', userId, displayName: prng.pick(USER_NAMES) };
}

/** 20 spellings of one name: the first five letters spell the seed in binary. */
function flipCase(text: string, seed: number): string {
  return [...text].map((c, i) => (i < 5 && (seed >> i) & 1 ? c.toUpperCase() : c)).join('');
}

(brokersOrSkip ? describe : describe.skip)(`scenario 4: concurrency on two instances (${scale})`, () => {
  let db: TestDatabase;
  const instances: ServiceUnderTest[] = [];
  const brokers = brokersOrSkip ?? [];
  const topic = `reliability-concurrency-${randomUUID()}`;
  const ledger = new WriteLedger();
  const statuses: number[] = [];
  const notes: string[] = [];
  const started = Date.now();
  let modelRequests = 0;
  let modelEvents = 0;

  beforeAll(async () => {
    db = await createTestDatabase('rel_concurrency', { migrate: false });
    // One team-sync is enough (it is its own component in production); both publish, under the store's lock.
    instances.push(await startService({ databaseUrl: db.url, brokers, topic }));
    instances.push(await startService({ databaseUrl: db.url, brokers, topic, env: { RUN_TEAM_SYNC: 'false' } }));
  }, 240_000);

  afterAll(async () => {
    for (const instance of instances) await instance.stop();
    await killAllServices();
    await db?.drop();
  }, 60_000);

  const allEventsAfter = (after: Position | undefined): Promise<RecordedEvent[]> => eventsAfter(createPostgresEventStore({ pool: db.pool }), after);

  it('20 creators of one userName in mixed case on two instances: exactly one 201, the rest 409 uniqueness', async () => {
    const variants = Array.from({ length: 20 }, (_, i) => flipCase('concurrent.creator@example.com', i));
    const answers = await Promise.all(variants.map((userName, i) => call(instances[i % 2]!.base, 'POST', '/scim/v2/Users', newUser(userName))));
    statuses.push(...answers.map((a) => a.status));
    const created = answers.filter((a) => a.status === 201);
    expect(created).toHaveLength(1);
    ledger.acknowledged('User', created[0]!.body!);
    const conflicts = answers.filter((a) => a.status === 409);
    expect(conflicts).toHaveLength(19);
    for (const a of conflicts) expect(a.body).toMatchObject({ status: '409', scimType: 'uniqueness' });
    const provisioned = (await allEventsAfter(undefined)).filter(
      (e) => e.type === 'UserProvisioned' && String((e.data.attributes as { userName: string }).userName).toLowerCase() === 'concurrent.creator@example.com',
    );
    expect(provisioned).toHaveLength(1);
    notes.push(`20 mixed-case creators of one userName: ${created.length} × 201, ${conflicts.length} × 409 uniqueness, ${provisioned.length} UserProvisioned.`);
  }, 60_000);

  it(`${CLIENTS} clients mutating one group and its users on both instances: the log is a serial order of the acknowledged requests`, async () => {
    const [a] = instances as [ServiceUnderTest, ServiceUnderTest];
    // Setup through one instance: users, the group with half of them, a team following the group.
    // These resources stay out of the ledger: with concurrent writers a resource has no "last
    // acknowledged" state; the model's final state, checked against GET below, stands for it.
    const users: { id: string; displayName: string }[] = [];
    for (let i = 0; i < USERS; i++) {
      const answer = await call(a.base, 'POST', '/scim/v2/Users', newUser(`crowd-${i}@example.com`, { displayName: USER_NAMES[0] }));
      expect(answer.status).toBe(201);
      users.push({ id: answer.body!.id as string, displayName: USER_NAMES[0]! });
    }
    const initialMembers = users.filter((_, i) => i % 2 === 0).map((u) => u.id);
    const group = await call(a.base, 'POST', '/scim/v2/Groups', { schemas: [GROUP_SCHEMA], displayName: GROUP_NAMES[0], members: initialMembers.map((value) => ({ value })) });
    expect(group.status).toBe(201);
    const groupId = group.body!.id as string;
    const team = await call(a.base, 'POST', '/api/v2/admin/teams', { data: { type: 'teams', attributes: { name: 'crowd' } } });
    expect(team.status).toBe(201);
    const teamId = (team.body!.data as { id: string }).id;
    const link = await call(a.base, 'POST', `/api/v2/admin/teams/${teamId}/scim-group-mapping`, { data: { type: 'scim-group-mapping', attributes: { 'scim-group-id': groupId } } });
    expect(link.status).toBeLessThan(300);
    const setupEnd = (await allEventsAfter(undefined)).at(-1)!.position;

    const initial: ModelState = {
      groupId,
      groupDisplayName: GROUP_NAMES[0]!,
      members: new Set(initialMembers),
      users: new Map(users.map((u) => [u.id, { active: true, displayName: u.displayName }])),
    };
    const acknowledged: AcknowledgedRequest[] = [];
    const rejected: { requestId: string; status: number; body: unknown }[] = [];
    const prng = seededPrng(SEED);
    const plans = Array.from({ length: CLIENTS }, (_, client) =>
      Array.from({ length: REQUESTS_PER_CLIENT }, (_, n) => ({ requestId: `c${client}-r${n}`, mutation: randomMutation(prng, users.map((u) => u.id)), instance: prng.int(0, 1) })),
    );
    const clientsStarted = performance.now();
    await Promise.all(
      plans.map(async (plan) => {
        for (const { requestId, mutation, instance } of plan) {
          const { path, body } = wireOf(groupId, mutation);
          const sentAt = performance.now();
          const answer = await call(instances[instance]!.base, 'PATCH', path, body, { 'X-Request-Id': requestId });
          const acknowledgedAt = performance.now();
          statuses.push(answer.status);
          if (answer.status === 200) acknowledged.push({ requestId, mutation, sentAt, acknowledgedAt });
          else rejected.push({ requestId, status: answer.status, body: answer.body });
        }
      }),
    );
    const clientsMs = performance.now() - clientsStarted;

    const events = (await allEventsAfter(setupEnd)).map((e) => ({
      requestId: String(e.metadata.requestId),
      streamId: e.streamId,
      revision: e.revision,
      type: e.type,
      data: e.data,
    }));
    const serial = checkSerialOrder(initial, acknowledged, events);
    modelRequests = acknowledged.length;
    modelEvents = serial.eventsChecked;

    // GET on both instances shows the model's final state (the read models may lag a moment).
    const expected = {
      group: { displayName: serial.finalState.groupDisplayName, members: [...serial.finalState.members].sort() },
      users: users.map((u) => ({ id: u.id, ...serial.finalState.users.get(u.id)! })),
    };
    let shown: unknown;
    for (const deadline = Date.now() + 30_000; ; ) {
      shown = await Promise.all(
        instances.map(async (instance) => {
          const g = (await call(instance.base, 'GET', `/scim/v2/Groups/${groupId}`)).body!;
          const us = await Promise.all(users.map(async (u) => (await call(instance.base, 'GET', `/scim/v2/Users/${u.id}`)).body!));
          return {
            group: { displayName: g.displayName, members: ((g.members as { value: string }[] | undefined) ?? []).map((m) => m.value).sort() },
            users: us.map((u) => ({ id: u.id, active: u.active, displayName: u.displayName })),
          };
        }),
      );
      if (JSON.stringify(shown) === JSON.stringify([expected, expected]) || Date.now() > deadline) break;
      await delay(250);
    }
    expect(shown).toEqual([expected, expected]);

    const rejectedStatuses = statusCounts(rejected.map((r) => r.status));
    notes.push(
      `${CLIENTS} clients × ${REQUESTS_PER_CLIENT} PATCHes over ${USERS} users and one group in ${Math.round(clientsMs)} ms: ${acknowledged.length} acknowledged ` +
        `(${serial.effectiveRequests} with events, ${serial.noOpRequests} no-ops placed where they change nothing), rejected ${JSON.stringify(rejectedStatuses)}; ` +
        `${serial.eventsChecked} events matched one-to-one against the model in log order; final group ${serial.finalState.members.size} members.`,
    );
    // Lost races end in 503 "too many concurrent changes" (handle-command's bounded retry), never in another 5xx or a 4xx.
    expect(rejected.filter((r) => r.status !== 503)).toEqual([]);
    expect(serial.effectiveRequests).toBeGreaterThan(CLIENTS);
  }, (scale === 'full' ? 10 : 3) * 60_000);

  it('loses nothing: acknowledged writes visible, scim-audit verify clean, the topic complete and in order, team-sync equal', async () => {
    const check = await verifyNothingLost({ base: instances[1]!.base, ledger, databaseUrl: db.url, brokers, topic });
    const result = {
      id: '4-concurrency',
      title: 'concurrent creators and mutators on two instances',
      scale,
      seed: SEED,
      durationMs: Date.now() - started,
      requests: statuses.length,
      acknowledgedWrites: ledger.acknowledgedWrites + modelRequests,
      faults: 'none injected: 2 service processes on one database, concurrent writers',
      faultsInjected: 0,
      eventsChecked: check.topic.storeEvents,
      duplicatesOnTopic: check.topic.duplicates,
      lost: check.lost.length,
      recoveryMs: {
        ...(check.topic.completeAfterMs !== undefined ? { 'check: fresh reader had the whole topic after': check.topic.completeAfterMs } : {}),
        ...(check.teamSync.equalAfterMs !== undefined ? { 'check: team-sync equal to the service after': check.teamSync.equalAfterMs } : {}),
      },
      statuses: statusCounts(statuses),
      notes: [
        ...notes,
        `Model check: ${modelRequests} acknowledged concurrent PATCHes, ${modelEvents} events; the ledger checks the setup writes (concurrent writers to one resource have no last-acknowledged state, the model stands for it).`,
        `Resources checked through GET: ${check.resourcesChecked}; team members compared: ${check.teamSync.teamMembers}; scim-audit verify: ${check.audit.summary}.`,
      ],
      passed: check.ok && modelRequests > 0,
    };
    writeScenarioResult(result);
    console.log(JSON.stringify(result, null, 1));
    assertNothingLost(check);
    expect(check.teamSync.teamMembers).toBeGreaterThan(0);
  }, 180_000);
});
