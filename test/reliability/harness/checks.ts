import { eventsAfter } from '../../helpers/event-log';
import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { setTimeout as delay } from 'node:timers/promises';
import { promisify } from 'node:util';
import { isDeepStrictEqual } from 'node:util';
import { DEFAULT_TEAM_SYNC_SCHEMA } from '../../../services/team-sync/schema';
import { teamSyncView, type TeamSyncView } from '../../../services/team-sync/view';
import { createPool } from '../../../shared/db/pool';
import { projectRoot } from '../../../shared/db/project-root';
import { createPostgresEventStore } from '../../../shared/eventstore/postgres/postgres-event-store';
import type { RecordedEvent } from '../../../shared/eventstore/port';
import { createKafka } from '../../../shared/kafka/client';
import { SCIM_TOKEN } from '../../helpers/scim-api';
import { serviceTeamView } from '../../helpers/team-sync';
import type { LedgerEntry, WriteLedger } from './ledger';

const run = promisify(execFile);

/** One acknowledged write a GET did not show back. */
export interface LostWrite {
  readonly resource: string;
  readonly expected: LedgerEntry['expected'] | 'deleted';
  /** What GET answered: its status and the attributes the ledger compares. */
  readonly got: { status: number; attributes?: Record<string, unknown> };
}

/** How the topic compares with the event store. */
export interface TopicCheck {
  readonly storeEvents: number;
  readonly streams: number;
  /** Messages read from the topic (duplicates included). */
  readonly messages: number;
  /** Redeliveries of an event already on the topic (at-least-once publishing after a crash); allowed. */
  readonly duplicates: number;
  /** Store events never seen on the topic (first ones listed). */
  readonly missing: readonly string[];
  readonly missingCount: number;
  /** Per stream, where revisions were not 0, 1, 2, … in order (a gap, a reordering, or another event at a revision). */
  readonly disorder: readonly string[];
  /** ms from the start of the check until a fresh reader had every event of the store. */
  readonly completeAfterMs?: number;
}

export interface NothingLostResult {
  readonly ok: boolean;
  /** Resources with acknowledged writes checked through GET (deleted ones included). */
  readonly resourcesChecked: number;
  readonly acknowledgedWrites: number;
  readonly unknownWrites: number;
  /** Acknowledged states GET did not show (the last GET round). */
  readonly lost: readonly LostWrite[];
  readonly audit: { readonly ok: boolean; readonly exitCode: number; readonly summary: string };
  readonly topic: TopicCheck;
  readonly teamSync: {
    readonly ok: boolean;
    readonly teamMembers: number;
    readonly siteAdmins: number;
    /** ms from the start of the check until team-sync's view equalled the service's. */
    readonly equalAfterMs?: number;
    /** Rows only one side has, when they differ. */
    readonly onlyService?: readonly unknown[];
    readonly onlyTeamSync?: readonly unknown[];
  };
  /** When each part finished, ms since the epoch (for recovery times). */
  readonly startedAt: number;
}

export interface NothingLostInput {
  /** The service's URL (http://host:port): GETs go to <base>/scim/v2. */
  readonly base: string;
  readonly ledger: WriteLedger;
  readonly databaseUrl: string;
  readonly brokers: readonly string[];
  readonly topic: string;
  /** How long each part may take to converge (the read model, the publisher, team-sync), ms. */
  readonly waitMs?: number;
}

const ATTRIBUTES = ['userName', 'active', 'displayName', 'members', 'version'] as const;

function attributesOf(body: Record<string, unknown>): Record<string, unknown> {
  const meta = body.meta as { version?: string } | undefined;
  return {
    userName: body.userName,
    active: body.active,
    displayName: body.displayName,
    members: Array.isArray(body.members) ? (body.members as { value: string }[]).map((m) => m.value).sort() : [],
    version: meta?.version,
  };
}

function parseObject(text: string): Record<string, unknown> {
  try {
    return JSON.parse(text) as Record<string, unknown>;
  } catch {
    return {};
  }
}

/** Runs `tasks` with at most `limit` at once. */
async function inBatches<T, R>(items: readonly T[], limit: number, task: (item: T) => Promise<R>): Promise<R[]> {
  const results: R[] = new Array<R>(items.length);
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(limit, items.length) }, async () => {
      while (next < items.length) {
        const i = next++;
        results[i] = await task(items[i]!);
      }
    }),
  );
  return results;
}

/** The acknowledged writes a GET does not show (after waitMs of retries: the read model may lag a restart). */
export async function acknowledgedWritesMissing(base: string, ledger: WriteLedger, waitMs: number): Promise<LostWrite[]> {
  const deadline = Date.now() + waitMs;
  let pending = ledger.resources();
  for (;;) {
    const results = await inBatches(pending, 16, async (entry): Promise<LostWrite | undefined> => {
      const res = await fetch(`${base}/scim/v2/${entry.type}s/${entry.id}`, { headers: { Authorization: `Bearer ${SCIM_TOKEN}` }, signal: AbortSignal.timeout(10_000) }).catch(() => undefined);
      const status = res?.status ?? 0;
      // Parsed here, not with res.json(): under Jest, fetch's parser would make objects of another
      // realm, which isDeepStrictEqual never finds equal to this one's.
      const body = res ? parseObject(await res.text().catch(() => '')) : {};
      if (entry.deleted) return status === 404 ? undefined : { resource: `${entry.type}/${entry.id}`, expected: 'deleted', got: { status } };
      if (status === 404 && entry.maybeDeleted) return undefined;
      if (status !== 200) return { resource: `${entry.type}/${entry.id}`, expected: entry.expected, got: { status } };
      if (entry.uncertain) return undefined;
      const got = attributesOf(body);
      const differs = ATTRIBUTES.some((name) => entry.expected[name] !== undefined && !isDeepStrictEqual(entry.expected[name], got[name]));
      return differs ? { resource: `${entry.type}/${entry.id}`, expected: entry.expected, got: { status, attributes: got } } : undefined;
    });
    const lost = results.filter((r): r is LostWrite => r !== undefined);
    if (lost.length === 0 || Date.now() > deadline) return lost;
    const missing = new Set(lost.map((l) => l.resource));
    pending = pending.filter((e) => missing.has(`${e.type}/${e.id}`));
    await delay(500);
  }
}

/** `scim-audit verify` (services/audit/main.ts, as an operator runs it) against the database: exit 0 is clean. */
export async function auditVerify(databaseUrl: string): Promise<NothingLostResult['audit']> {
  try {
    const { stdout } = await run(process.execPath, ['--import', 'tsx', 'services/audit/main.ts', 'verify', '--json', '--quiet', '--wait', '60'], {
      cwd: projectRoot(__dirname),
      env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', DATABASE_URL: databaseUrl },
      maxBuffer: 64 * 1024 * 1024,
    });
    return { ok: true, exitCode: 0, summary: summariseVerify(stdout) };
  } catch (error) {
    const failed = error as { code?: number; stdout?: string; stderr?: string };
    return { ok: false, exitCode: typeof failed.code === 'number' ? failed.code : -1, summary: `${summariseVerify(failed.stdout ?? '')} ${(failed.stderr ?? '').slice(-2000)}`.trim() };
  }
}

function summariseVerify(stdout: string): string {
  try {
    const report = JSON.parse(stdout) as { ok: boolean; projections: { name: string; events: number; differenceCount: number; differences: unknown[]; behind?: string }[]; claims?: { checked: number; differences: unknown[] } };
    const parts = report.projections.map((p) => `${p.name}: ${p.events} events, ${p.differenceCount} differences${p.behind ? ` (behind: ${p.behind})` : ''}${p.differenceCount > 0 ? ` e.g. ${JSON.stringify(p.differences.slice(0, 3))}` : ''}`);
    if (report.claims) parts.push(`claims: ${report.claims.checked} checked, ${report.claims.differences.length} differences${report.claims.differences.length > 0 ? ` e.g. ${JSON.stringify(report.claims.differences.slice(0, 3))}` : ''}`);
    return parts.join('; ');
  } catch {
    return stdout.slice(0, 2000);
  }
}

/** Every event of the store, in global order. */
async function storeEvents(databaseUrl: string): Promise<RecordedEvent[]> {
  const pool = createPool(databaseUrl, 2);
  const store = createPostgresEventStore({ pool });
  try {
    return await eventsAfter(store);
  } finally {
    await store.close();
    await pool.end();
  }
}

/**
 * Reads the topic from the beginning with a consumer group of its own until every event of the
 * store has arrived (or waitMs passed), and checks each stream's revisions arrive as 0, 1, 2, …
 * with the store's event at each; a redelivery of an earlier revision with the same event id is
 * counted as a duplicate (the publisher is at-least-once across a crash), anything else is disorder.
 */
export async function topicMatchesStore(databaseUrl: string, brokers: readonly string[], topic: string, waitMs: number): Promise<TopicCheck> {
  const startedAt = Date.now();
  const events = await storeEvents(databaseUrl);
  const byStream = new Map<string, RecordedEvent[]>();
  for (const event of events) {
    const list = byStream.get(event.streamId) ?? [];
    list.push(event);
    byStream.set(event.streamId, list);
  }
  const unseen = new Set(events.map((e) => e.id));
  const nextRevision = new Map<string, number>();
  const disorder: string[] = [];
  let messages = 0;
  let duplicates = 0;
  let completeAt: number | undefined;

  const kafka = createKafka({ brokers, clientId: 'reliability-check', connectionTimeout: 3000, retry: { retries: 10, initialRetryTime: 200, maxRetryTime: 2000 } });
  const groupId = `reliability-check-${randomUUID()}`;
  const consumer = kafka.consumer({ groupId, sessionTimeout: 6000, heartbeatInterval: 1000 });
  await consumer.connect();
  try {
    await consumer.subscribe({ topic, fromBeginning: true });
    await consumer.run({
      eachMessage: async ({ message }) => {
        messages++;
        const envelope = JSON.parse(message.value!.toString('utf8')) as { id: string; streamId: string; revision: string };
        const revision = Number(envelope.revision);
        const expected = nextRevision.get(envelope.streamId) ?? 0;
        const stored = byStream.get(envelope.streamId)?.[revision];
        if (revision < expected && stored?.id === envelope.id) {
          duplicates++;
        } else if (revision === expected && (stored === undefined || stored.id === envelope.id)) {
          // stored undefined: an event appended after the store was read; it still must be in order.
          nextRevision.set(envelope.streamId, expected + 1);
          unseen.delete(envelope.id);
        } else if (disorder.length < 20) {
          disorder.push(`${envelope.streamId}: revision ${revision} (event ${envelope.id}) where ${expected} was next${stored && stored.id !== envelope.id ? `; the store has event ${stored.id} at ${revision}` : ''}`);
        }
        if (unseen.size === 0 && completeAt === undefined) completeAt = Date.now();
      },
    });
    const deadline = Date.now() + waitMs;
    while (unseen.size > 0 && Date.now() < deadline) await delay(200);
  } finally {
    await consumer.disconnect().catch(() => undefined);
    const admin = kafka.admin();
    await admin.connect().catch(() => undefined);
    await admin.deleteGroups([groupId]).catch(() => undefined);
    await admin.disconnect().catch(() => undefined);
  }
  return {
    storeEvents: events.length,
    streams: byStream.size,
    messages,
    duplicates,
    missing: [...unseen].slice(0, 10),
    missingCount: unseen.size,
    disorder,
    ...(completeAt !== undefined ? { completeAfterMs: completeAt - startedAt } : {}),
  };
}

function rowsOnlyIn(a: TeamSyncView, b: TeamSyncView): unknown[] {
  const keys = new Set(b.teamMembers.map((r) => JSON.stringify(r)));
  const admins = new Set(b.siteAdmins);
  return [...a.teamMembers.filter((r) => !keys.has(JSON.stringify(r))), ...a.siteAdmins.filter((id) => !admins.has(id)).map((id) => ({ siteAdmin: id }))];
}

/** Waits (up to waitMs) until team-sync's view (its schema in the service's database) equals the service's team membership. */
export async function teamSyncMatchesService(databaseUrl: string, waitMs: number): Promise<NothingLostResult['teamSync']> {
  const startedAt = Date.now();
  const pool = createPool(databaseUrl, 2);
  try {
    for (;;) {
      const [service, teamSync] = await Promise.all([serviceTeamView(pool), teamSyncView(pool, DEFAULT_TEAM_SYNC_SCHEMA)]);
      const equal = isDeepStrictEqual(service, teamSync);
      if (equal || Date.now() - startedAt > waitMs) {
        return {
          ok: equal,
          teamMembers: service.teamMembers.length,
          siteAdmins: service.siteAdmins.length,
          ...(equal ? { equalAfterMs: Date.now() - startedAt } : { onlyService: rowsOnlyIn(service, teamSync).slice(0, 10), onlyTeamSync: rowsOnlyIn(teamSync, service).slice(0, 10) }),
        };
      }
      await delay(250);
    }
  } finally {
    await pool.end();
  }
}

/**
 * The suite's check after each scenario (issue 13), once the faults are over and the load has
 * stopped: every acknowledged write visible through GET; `scim-audit verify` clean; every event of
 * the store on the topic with contiguous revisions per stream; team-sync's view equal to the
 * service's team membership. Never throws for a finding: read `ok`, or call assertNothingLost.
 */
export async function verifyNothingLost(input: NothingLostInput): Promise<NothingLostResult> {
  const { base, ledger, databaseUrl, brokers, topic, waitMs = 90_000 } = input;
  const startedAt = Date.now();
  const lost = await acknowledgedWritesMissing(base, ledger, waitMs);
  const [audit, topicCheck, teamSync] = await Promise.all([auditVerify(databaseUrl), topicMatchesStore(databaseUrl, brokers, topic, waitMs), teamSyncMatchesService(databaseUrl, waitMs)]);
  return {
    ok: lost.length === 0 && audit.ok && topicCheck.missingCount === 0 && topicCheck.disorder.length === 0 && teamSync.ok,
    resourcesChecked: ledger.resources().length,
    acknowledgedWrites: ledger.acknowledgedWrites,
    unknownWrites: ledger.unknownWrites.length,
    lost,
    audit,
    topic: topicCheck,
    teamSync,
    startedAt,
  };
}

/** Throws an Error listing every finding of a result that is not ok. */
export function assertNothingLost(result: NothingLostResult): void {
  if (result.ok) return;
  const findings: string[] = [];
  if (result.lost.length > 0) findings.push(`${result.lost.length} acknowledged writes not visible through GET, e.g. ${JSON.stringify(result.lost.slice(0, 5), null, 1)}`);
  if (!result.audit.ok) findings.push(`scim-audit verify exited ${result.audit.exitCode}: ${result.audit.summary}`);
  if (result.topic.missingCount > 0) findings.push(`${result.topic.missingCount} of ${result.topic.storeEvents} store events not on the topic, e.g. ${result.topic.missing.join(', ')}`);
  if (result.topic.disorder.length > 0) findings.push(`revisions out of order on the topic:\n  ${result.topic.disorder.join('\n  ')}`);
  if (!result.teamSync.ok) findings.push(`team-sync differs from the service: only the service has ${JSON.stringify(result.teamSync.onlyService)}; only team-sync has ${JSON.stringify(result.teamSync.onlyTeamSync)}`);
  throw new Error(`nothing-lost check failed:\n- ${findings.join('\n- ')}`);
}
