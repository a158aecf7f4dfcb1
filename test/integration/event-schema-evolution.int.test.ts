import { randomUUID } from 'node:crypto';
import { setTimeout as delay } from 'node:timers/promises';
import { readCheckpoint } from '../../projections/runtime/checkpoints';
import { toEnvelope } from '../../services/event-publisher/envelope';
import { historyOf } from '../../shared/audit/history';
import { resolveSubject } from '../../shared/audit/subjects';
import { foldEvents } from '../../shared/commands/stream-states';
import { userDecider } from '../../shared/domain/users/decider';
import { parseEnvelope } from '../../shared/events/consumer-parser';
import type { RecordedEvent } from '../../shared/eventstore/port';
import { isAfter } from '../../shared/eventstore/position';
import { GROUP_SCHEMA, newUser, startScimApi, type ScimApiUnderTest } from '../helpers/scim-api';

/**
 * UserDeleted v2 (reason always present) beside a UserDeleted v1 that an older version of the
 * service wrote: the v1 row stays as it is, and every reader gets it as v2.
 */
describe('a UserDeleted v1 written before v2', () => {
  let api: ScimApiUnderTest;
  let userId: string;
  let teamId: string;
  let v1: RecordedEvent;

  beforeAll(async () => {
    api = await startScimApi('schema_evolution');
    userId = (await api.scim('post', '/Users', newUser('old.writer@example.com'))).body.id;
    const groupId = (await api.scim('post', '/Groups', { schemas: [GROUP_SCHEMA], displayName: 'Old writers', members: [{ value: userId }] })).body.id;
    teamId = (await api.admin('post', '/teams', { data: { type: 'teams', attributes: { name: 'old-writers' } } })).body.data.id;
    await api.admin('post', `/teams/${teamId}/scim-group-mapping`, { data: { type: 'scim-group-mapping', attributes: { 'scim-group-id': groupId } } }).expect(204);
    const provisioned = (await api.store.readStream(`user-${userId}`))[0]!;

    // What the service wrote before v2: no reason, schemaVersion 1, appended through the store's port.
    const metadata = { ...provisioned.metadata, requestId: 'old-writer', causationId: randomUUID(), occurredAt: new Date().toISOString(), schemaVersion: 1 };
    await api.store.appendToStream(`user-${userId}`, [{ id: randomUUID(), type: 'UserDeleted', data: { userId, accountId: provisioned.data.accountId }, metadata }], { expectedRevision: 0n });
    v1 = (await api.store.readStream(`user-${userId}`))[1]!;
    for (const projection of ['scim', 'platform']) {
      while (!(await readCheckpoint(api.db.pool, projection).then((p) => p !== null && !isAfter(v1.position, p)))) await delay(20);
    }
  });

  afterAll(() => api?.close());

  it('is stored as it was written: v1, no reason', async () => {
    const { rows } = await api.db.pool.query(`SELECT data, metadata->'schemaVersion' AS version FROM events WHERE event_id = $1`, [v1.id]);
    expect(rows).toEqual([{ data: { userId, accountId: expect.any(String) }, version: 1 }]);
  });

  it('folds into a deleted user for the write side: GET, PUT and DELETE answer 404', async () => {
    expect(foldEvents(userDecider, await api.store.readStream(`user-${userId}`)).status).toBe('Deleted');
    expect((await api.scim('get', `/Users/${userId}`)).status).toBe(404);
    expect((await api.scim('delete', `/Users/${userId}`)).status).toBe(404);
  });

  it('reaches both read models as a deletion: the SCIM row a tombstone, the account suspended, the team without the user', async () => {
    const scim = await api.db.pool.query(`SELECT deleted FROM scim_read.users WHERE id = $1`, [userId]);
    expect(scim.rows).toEqual([{ deleted: true }]);
    const account = await api.db.pool.query(`SELECT suspended, scim_user_id FROM platform_read.accounts WHERE id = $1`, [v1.data.accountId]);
    expect(account.rows).toEqual([{ suspended: true, scim_user_id: null }]);
    const members = await api.db.pool.query(`SELECT kind FROM platform_read.team_members WHERE team_id = $1`, [teamId]);
    expect(members.rows).toEqual([]);
    const activity = await api.db.pool.query(`SELECT summary FROM platform_read.activity WHERE event_id = $1`, [v1.id]);
    expect(activity.rows).toEqual([{ summary: 'user old.writer@example.com deleted' }]);
  });

  it('is published as v2, and a consumer parses it as v2', () => {
    const envelope = toEnvelope(v1);
    expect(envelope).toMatchObject({ schemaVersion: 2, data: { userId, reason: 'deleted' }, metadata: { schemaVersion: 2 } });
    expect(parseEnvelope(JSON.stringify(envelope))).toMatchObject({ known: true, type: 'UserDeleted', schemaVersion: 2, data: { reason: 'deleted' } });
    // A v1 message still on the topic from before: upcast by the parser itself.
    expect(parseEnvelope(JSON.stringify({ ...envelope, schemaVersion: 1, data: v1.data, metadata: v1.metadata }))).toMatchObject({ schemaVersion: 2, upcastFrom: 1, data: { reason: 'deleted' } });
  });

  it('shows in the history as written v1, read as v2', async () => {
    const history = await historyOf(api.store, await resolveSubject(api.store, 'user', 'old.writer@example.com'));
    expect(history.entries[1]).toMatchObject({ type: 'UserDeleted', schemaVersion: 1, readAs: 2, data: { userId, reason: 'deleted' } });
  });

  it('sits beside the v2 events the service writes now', async () => {
    const other = (await api.scim('post', '/Users', newUser('new.writer@example.com'))).body.id;
    await api.scim('delete', `/Users/${other}`).expect(204);
    const { rows } = await api.db.pool.query(`SELECT data->>'reason' AS reason, metadata->'schemaVersion' AS version FROM events WHERE stream_id = $1 AND event_type = 'UserDeleted'`, [`user-${other}`]);
    expect(rows).toEqual([{ reason: 'deleted', version: 2 }]);
  });
});
