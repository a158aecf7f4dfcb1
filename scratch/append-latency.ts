import { randomUUID } from 'node:crypto';
import { migrate } from '../shared/db/migrate';
import { createPool } from '../shared/db/pool';
import { createPostgresEventStore } from '../shared/eventstore/postgres/postgres-event-store';
import { scimProjection } from '../projections/scim/projection';
import { startReadModels } from '../projections/runtime/read-models';

async function main() {
  const url = 'postgres://postgres@127.0.0.1:5432/append_latency';
  await migrate(url);
  const pool = createPool(url, 10);
  const store = createPostgresEventStore({ pool });
  const rm = startReadModels({ pool, store });
  await rm.caughtUp(); await rm.stop();
  const run = async (label: string, fn: () => Promise<unknown>) => {
    for (let i = 0; i < 100; i++) await fn();
    const n = 1000; const t0 = process.hrtime.bigint();
    for (let i = 0; i < n; i++) await fn();
    console.log(label, (Number(process.hrtime.bigint() - t0) / 1e6 / n).toFixed(3), 'ms');
  };
  await pool.query('CREATE TABLE IF NOT EXISTS plain (id uuid primary key, k text unique, doc jsonb)');
  await run('plain insert 1KB', () => pool.query('INSERT INTO plain VALUES ($1, $2, $3)', [randomUUID(), randomUUID(), JSON.stringify({ x: 'y'.repeat(1000) })]));
  await run('select 1', () => pool.query('SELECT 1'));
  const event = () => {
    const userId = randomUUID();
    const attributes = { userName: `${userId}@example.com`, emails: [{ value: `${userId}@example.com`, primary: true }], name: { givenName: 'Jane', familyName: 'Doe' }, displayName: 'Jane Doe', title: 'x'.repeat(500) };
    return { userId, attributes, e: { id: randomUUID(), type: 'UserProvisioned', data: { userId, attributes, active: true, accountId: randomUUID(), linkedExistingAccount: false }, metadata: { requestId: 'r', correlationId: 'c', causationId: 'x', actor: { kind: 'system', id: 's' }, source: {}, occurredAt: new Date().toISOString(), schemaVersion: 1 } } };
  };
  await run('append only', async () => { const { userId, e } = event(); await store.appendWith(`user-${userId}`, [e], { expectedRevision: 'no_stream' }); });
  await run('append + 3 keys', async () => { const { userId, e, attributes } = event(); await store.appendWith(`user-${userId}`, [e], { expectedRevision: 'no_stream', keys: { ownerStream: `user-${userId}`, ownerId: userId, claim: [{ scope: 'user.userName', key: attributes.userName, value: attributes.userName }, { scope: 'user.email', key: attributes.userName, value: attributes.userName }, { scope: 'account.link', key: randomUUID(), value: 'x' }], release: [] } }); });
  await run('append + keys + inline', async () => { const { userId, e, attributes } = event(); const state = { status: 'Active', userId, attributes, accountId: randomUUID(), created: new Date().toISOString(), lastModified: new Date().toISOString() };
    await store.appendWith(`user-${userId}`, [e], { expectedRevision: 'no_stream', keys: { ownerStream: `user-${userId}`, ownerId: userId, claim: [{ scope: 'user.userName', key: attributes.userName, value: attributes.userName }, { scope: 'user.email', key: attributes.userName, value: attributes.userName }, { scope: 'account.link', key: randomUUID(), value: 'x' }], release: [] }, with: [...scimProjection.statements({ streamId: `user-${userId}`, before: { status: 'Absent' }, state, revision: 0n, events: [e] })] }); });
  await store.close(); await pool.end();
}
main();
