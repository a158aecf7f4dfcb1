/**
 * Seeds a store the way the service's own write side fills it, never with SQL into the read
 * models: events through the event-store port (shared/eventstore) and, in the same transaction,
 * the unique keys the service claims for them (computed by the write side's own rule,
 * services/scim-api/commands/keys-of-stream.ts), so that a seeded user is indistinguishable from
 * one POSTed over HTTP (disabling SCIM finds it, a duplicate POST gets 409). The service then
 * builds its read model from these events by itself, through its projection.
 *
 * Several users share one transaction (SEED_BATCH per commit, concurrent transactions): the
 * seed is setup, not the measure, and a commit per user would make 1,000,000 users take hours.
 */
import { randomUUID } from 'node:crypto';
import { inTransaction, createPool, type Pool } from '../../shared/db/pool';
import { migrate } from '../../shared/db/migrate';
import type { EventToAppend } from '../../shared/eventstore/port';
import { createPostgresEventStore, type PostgresEventStore } from '../../shared/eventstore/postgres/postgres-event-store';
import { START } from '../../shared/eventstore/position';
import type { UniqueKey } from '../../shared/uniqueness/keys';
import { claimKeys } from '../../shared/uniqueness/unique-key-table';
import { keysOfStream } from '../../services/scim-api/commands/keys-of-stream';
import { entraUserAttributes } from './entra';

export interface Seeder {
  readonly store: PostgresEventStore;
  readonly pool: Pool;
  /** Provisions users n = from .. from+count-1 of `run`; returns their ids in order. */
  users(run: string, from: number, count: number, onProgress?: (done: number) => void): Promise<string[]>;
  /** Creates a group with these members; returns its id. */
  group(displayName: string, memberIds: readonly string[]): Promise<string>;
  /**
   * Appends `events` membership changes to a group's stream (a member added, then removed, in
   * turn, like Entra's churn), in appends of up to 500 events.
   */
  groupHistory(groupId: string, events: number, memberIds: readonly string[]): Promise<void>;
  close(): Promise<void>;
}

const BATCH = Number(process.env.SEED_BATCH ?? 200);
const CONCURRENCY = Number(process.env.SEED_CONCURRENCY ?? 4);

function metadata(): Record<string, unknown> {
  const requestId = randomUUID();
  return {
    requestId,
    correlationId: requestId,
    causationId: randomUUID(),
    actor: { kind: 'scim-token', id: 'bench-seed' },
    source: { ip: '127.0.0.1', userAgent: 'bench seed (Azure Active Directory SCIM Client shape)' },
    occurredAt: new Date().toISOString(),
    schemaVersion: 1,
  };
}

const event = (type: string, data: Record<string, unknown>): EventToAppend => ({ id: randomUUID(), type, data, metadata: metadata() });

/** Opens a seeder on a database (migrated first, as the service would). */
export async function openSeeder(url: string): Promise<Seeder> {
  await migrate(url);
  const pool = createPool(url, CONCURRENCY + 2);
  const store = createPostgresEventStore({ pool });
  const revisions = new Map<string, bigint>();

  // The keys a new stream holds, by the write side's own rule (the key reconciler's source of truth).
  const keysOf = (streamId: string, events: readonly EventToAppend[]): readonly UniqueKey[] =>
    keysOfStream(
      streamId,
      events.map((e, i) => ({ ...e, streamId, revision: BigInt(i), position: START, recordedAt: new Date() })),
    ) ?? [];
  // An event writer registers before its transaction's first write (the key claim), as every append does.
  const appendWithKeys = (client: Parameters<typeof claimKeys>[0], streamId: string, id: string, events: EventToAppend[]) =>
    client
      .query('SELECT event_store_register_writer()')
      .then(() => claimKeys(client, { stream: streamId, id }, keysOf(streamId, events), 'confirmed'))
      .then(() => store.appendToStreamInTransaction(client, streamId, events, { expectedRevision: 'no_stream' }));

  return {
    store,
    pool,
    async users(run, from, count, onProgress) {
      const ids = Array.from({ length: count }, () => randomUUID());
      let next = 0;
      let done = 0;
      await Promise.all(
        Array.from({ length: CONCURRENCY }, async () => {
          while (next < count) {
            const start = next;
            next = Math.min(count, next + BATCH);
            const end = next;
            await inTransaction(pool, async (client) => {
              for (let i = start; i < end; i++) {
                const userId = ids[i]!;
                const accountId = randomUUID();
                const attributes = entraUserAttributes(run, from + i);
                await appendWithKeys(client, `user-${userId}`, userId, [event('UserProvisioned', { userId, attributes, active: true, accountId, linkedExistingAccount: false })]);
              }
            });
            done += end - start;
            onProgress?.(done);
          }
        }),
      );
      return ids;
    },
    async group(displayName, memberIds) {
      const groupId = randomUUID();
      const externalId = randomUUID();
      await inTransaction(pool, (client) =>
        appendWithKeys(client, `group-${groupId}`, groupId, [event('GroupCreated', { groupId, displayName, externalId, memberIds: [...memberIds] })]),
      );
      revisions.set(groupId, 0n);
      return groupId;
    },
    async groupHistory(groupId, events, memberIds) {
      const streamId = `group-${groupId}`;
      let revision = revisions.get(groupId) ?? 0n;
      for (let written = 0; written < events; ) {
        const batch: EventToAppend[] = [];
        for (; batch.length < 500 && written < events; written++) {
          const memberId = memberIds[Math.floor(written / 2) % memberIds.length]!;
          batch.push(event(written % 2 === 0 ? 'GroupMembersAdded' : 'GroupMembersRemoved', { groupId, memberIds: [memberId] }));
        }
        revision = (await store.appendToStream(streamId, batch, { expectedRevision: revision })).nextExpectedRevision;
      }
      revisions.set(groupId, revision);
    },
    async close() {
      await store.close();
      await pool.end();
    },
  };
}

/** The run id of the users in a seeded template: user n is userNameOf(TEMPLATE_RUN, n). */
export const TEMPLATE_RUN = 'tpl';
