import { randomUUID } from 'node:crypto';
import { setTimeout as delay } from 'node:timers/promises';
import { ownBroker, ownBrokerUnavailable, type OwnBroker } from '../helpers/kafka-broker';
import { createTestDatabase, type TestDatabase } from '../helpers/postgres';
import { freePort } from '../helpers/postgres-cluster';
import { killAllServices } from '../helpers/service-process';
import { assertNothingLost, verifyNothingLost } from './harness/checks';
import { startEntraLoad } from './harness/entra-load';
import { WriteLedger } from './harness/ledger';
import { reliabilityScale, scenarioResult, writeScenarioResult } from './harness/scenario-result';
import { gaugeValue, startService, type ServiceUnderTest } from './harness/service';
import { createKafka } from '../../shared/kafka/client';
import { DEFAULT_TEAM_SYNC_SCHEMA, tablesIn } from '../../services/team-sync/schema';

/**
 * Scenario 3 of issue 13: the Kafka broker down under the Entra-shaped load, on a broker of the
 * scenario's own (test/helpers/kafka-broker.ts; the shared one keeps running). SCIM writes do not
 * need Kafka (the publisher is a subscription processor over the event store), so every request
 * must succeed while it is down. Once it is back, the publisher and team-sync catch up by
 * themselves; how long that takes is measured from the moment the broker answers again:
 * - publisher caught up: its `scim_publisher_seconds_behind` gauge (age of the oldest event Kafka
 *   has not acknowledged) under 1 s;
 * - team-sync caught up: the backlog drained, i.e. its stored offsets (committed with its rows)
 *   reached every partition's high watermark as it stood when the publisher had caught up. Its
 *   `team_sync_seconds_behind` gauge is no measure of that under a load that goes on: it is the age
 *   of the last applied event whenever a newer one waits, which the pipeline's own latency keeps
 *   above a second on a busy 2-core machine even with no backlog at all.
 * The bound asserted (CAUGHT_UP_BOUND_MS) is generous for a loaded 2-core machine; the report states
 * the times measured. A first run of this scenario found team-sync evicted from its group again and
 * again during the catch-up (a 500-event chunk outlasted its 10 s session: no heartbeat between);
 * team-sync now commits a chunk after a second (services/team-sync/consumer.ts, DEFAULT_CHUNK_BUDGET_MS).
 * A later CI run, on a machine where the API took 178 requests/s, found team-sync still short of
 * the bound: it wrote every event with statements of its own and could hardly outpace the load.
 * It now writes a chunk's order-independent rows in one statement (services/team-sync/base-state.ts).
 */
const scale = reliabilityScale();
const OUTAGE_MS = scale === 'full' ? 60_000 : 10_000;
const CAUGHT_UP_BOUND_MS = 120_000;
const SEED = 1303;
const unavailable = ownBrokerUnavailable();

(unavailable ? describe.skip : describe)(`scenario 3: Kafka down ${OUTAGE_MS / 1000} s under load (${scale})`, () => {
  if (unavailable) console.warn(`SKIPPED: reliability scenario 3 did not run: ${unavailable}`);
  let db: TestDatabase;
  let broker: OwnBroker;
  let service: ServiceUnderTest;
  const topic = `reliability-kafka-${randomUUID()}`;

  beforeAll(async () => {
    broker = ownBroker(await freePort());
    await broker.start();
    db = await createTestDatabase('rel_kafka', { migrate: false });
    service = await startService({ databaseUrl: db.url, brokers: [broker.address], topic });
  }, 240_000);

  afterAll(async () => {
    await service?.stop();
    await killAllServices();
    await db?.drop();
    await broker?.stop();
  }, 60_000);

  /** Every partition's high watermark now: what team-sync must have applied to have drained the backlog. */
  async function highWatermarks(): Promise<Map<number, bigint>> {
    const admin = createKafka({ brokers: [broker.address], clientId: 'reliability-kafka-outage-check', connectionTimeout: 2000 }).admin();
    await admin.connect();
    try {
      return new Map((await admin.fetchTopicOffsets(topic)).map((p) => [p.partition, BigInt(p.high)]));
    } finally {
      await admin.disconnect();
    }
  }

  /** Polls team-sync's stored offsets until each reaches `targets`; the moment (ms since the epoch), or undefined after timeoutMs. */
  async function drained(targets: Map<number, bigint>, timeoutMs: number): Promise<number | undefined> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const { rows } = await db.pool.query<{ partition: number; next_offset: string }>(
        `SELECT partition, next_offset FROM ${tablesIn(DEFAULT_TEAM_SYNC_SCHEMA)('offsets')} WHERE topic = $1`,
        [topic],
      );
      const next = new Map(rows.map((r) => [r.partition, BigInt(r.next_offset)]));
      if ([...targets].every(([partition, high]) => high === 0n || (next.get(partition) ?? 0n) >= high)) return Date.now();
      if (Date.now() > deadline) return undefined;
      await delay(250);
    }
  }

  /** Polls a gauge until it is below 1 (caught up); resolves with the moment (ms since the epoch), or undefined after timeoutMs. */
  async function caughtUp(url: string, gauge: string, timeoutMs: number): Promise<number | undefined> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const value = await gaugeValue(url, gauge);
      if (value !== undefined && value < 1) return Date.now();
      if (Date.now() > deadline) return undefined;
      await delay(250);
    }
  }

  it('keeps SCIM writes 100% available while Kafka is down; the publisher and team-sync catch up by themselves', async () => {
    const startedAt = Date.now();
    const ledger = new WriteLedger();
    const load = startEntraLoad({ base: service.base, ledger, seed: SEED, intervalMs: 20 });
    await delay(5_000);
    const stopping = Date.now();
    await broker.stop();
    const down = Date.now();
    await delay(OUTAGE_MS);
    await broker.start();
    const up = Date.now();
    const duringOutage = load.outcomes.filter((o) => o.sentAt >= down && o.doneAt <= up);
    const published = await caughtUp(service.base, 'scim_publisher_seconds_behind', CAUGHT_UP_BOUND_MS);
    // Measured from the broker's return too; what the publisher took is inside it.
    const backlog = await highWatermarks();
    const applied = await drained(backlog, Math.max(0, up + CAUGHT_UP_BOUND_MS - Date.now()));
    // Missing: not caught up within the bound (recorded as the bound itself, and the scenario fails).
    const publishedMs = (published ?? up + CAUGHT_UP_BOUND_MS) - up;
    const appliedMs = (applied ?? up + CAUGHT_UP_BOUND_MS) - up;
    await delay(3_000);
    const outcomes = await load.stop();

    const check = await verifyNothingLost({ base: service.base, ledger, databaseUrl: db.url, brokers: [broker.address], topic });
    const failed = outcomes.filter((o) => o.status < 200 || o.status >= 300);
    const writesDuringOutage = duringOutage.filter((o) => o.write);
    const result = scenarioResult({
      id: '3-kafka-outage',
      title: 'Kafka down under load',
      seed: SEED,
      startedAt,
      outcomes,
      ledger,
      check,
      faults: `broker stopped (scripts/kafka.sh stop, took ${down - stopping} ms), ${OUTAGE_MS / 1000} s down, started (took ${up - down - OUTAGE_MS} ms)`,
      faultsInjected: 1,
      recoveryMs: { 'broker back → publisher caught up (< 1 s behind)': publishedMs, 'broker back → team-sync drained the backlog': appliedMs },
      notes: [
        `While the broker was down: ${duringOutage.length} requests, ${writesDuringOutage.length} of them writes, ${writesDuringOutage.filter((o) => o.status >= 200 && o.status < 300).length} acknowledged; ${failed.length} requests in the whole run were not 2xx.`,
        `Bound asserted for both catch-ups: ${CAUGHT_UP_BOUND_MS / 1000} s after the broker answers again${published === undefined ? '; the publisher did NOT catch up within it' : ''}${applied === undefined ? "; team-sync did NOT drain the backlog within it" : ''}.`,
      ],
      passed: failed.length === 0 && published !== undefined && applied !== undefined,
    });
    writeScenarioResult(result);
    console.log(JSON.stringify(result, null, 1));
    assertNothingLost(check);
    expect(failed.slice(0, 5)).toEqual([]);
    expect(writesDuringOutage.length).toBeGreaterThan(20);
    expect(publishedMs).toBeLessThan(CAUGHT_UP_BOUND_MS);
    expect(appliedMs).toBeLessThan(CAUGHT_UP_BOUND_MS);
    expect(check.teamSync.teamMembers).toBeGreaterThan(0);
  }, (scale === 'full' ? 12 : 8) * 60_000);
});
