import { randomUUID } from 'node:crypto';
import request from 'supertest';
import { createCommandDependencies, handleCommand } from '../../shared/commands/handle-command';
import { createTransactionalWriter } from '../../shared/commands/stream-writer';
import { SETTINGS_STREAM, settingsDecider } from '../../shared/domain/settings/settings';
import { scimProjection } from '../../projections/scim/projection';
import { GROUP_SCHEMA, newUser, startScimApi, type ScimApiUnderTest } from '../helpers/scim-api';

const cleanupOf = async (api: ScimApiUnderTest) =>
  (await api.admin('get', '/scim-cleanup')).body.data as { type: string; id: string; attributes: { running: boolean; total: number | null; remaining: number; 'started-at': string | null; 'finished-at': string | null } };

async function until<T>(probe: () => Promise<T | undefined>, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error('timed out waiting');
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

describe('disabling SCIM: the removal runs in the background, resumable', () => {
  let api: ScimApiUnderTest;
  beforeAll(async () => {
    api = await startScimApi('scim_disable_job');
  });
  afterAll(async () => {
    await api.close();
  });

  it('answers the DELETE before the identities are gone, shows progress, refuses a re-enable until done', async () => {
    expect(await cleanupOf(api)).toEqual({
      type: 'scim-cleanups',
      id: 'scim',
      attributes: { running: false, total: null, remaining: 1, 'started-at': null, 'finished-at': null },
    });
    const ids: string[] = [];
    for (let i = 0; i < 200; i++) ids.push((await api.scim('post', '/Users', newUser(`bye${i}@example.com`))).body.id as string);
    await api.scim('post', '/Groups', { schemas: [GROUP_SCHEMA], displayName: 'Leaving', members: ids.slice(0, 5).map((value) => ({ value })) });

    expect((await api.admin('delete', '/scim-settings')).status).toBe(200);
    const right = await cleanupOf(api);
    // The bootstrap token is revoked before the answer; the 200 identities and the group follow.
    expect(right.attributes).toMatchObject({ total: 202 });
    expect(right.attributes.remaining).toBeGreaterThan(0);
    expect(right.attributes.running).toBe(true);
    const refused = await api.admin('patch', '/scim-settings', { data: { type: 'scim-settings', attributes: { enabled: true } } });
    expect(refused.status).toBe(409);
    expect(refused.body.errors[0].detail).toContain('still being removed');

    const done = await until(async () => {
      const c = await cleanupOf(api);
      return c.attributes.running ? undefined : c;
    });
    expect(done.attributes).toMatchObject({ running: false, total: 202, remaining: 0 });
    expect(done.attributes['finished-at']).not.toBeNull();
    const deleted = await api.db.pool.query<{ n: string }>(`SELECT count(*) AS n FROM scim_read.users WHERE deleted`);
    expect(Number(deleted.rows[0]!.n)).toBe(200);
    expect((await api.admin('patch', '/scim-settings', { data: { type: 'scim-settings', attributes: { enabled: true } } })).status).toBe(200);
  });

  it('is taken over by another instance when the one that disabled stopped before the end', async () => {
    // A disable recorded, and its removal begun, by an instance that then went away: the event and
    // the job's row, without the removal itself.
    // SCIM was enabled again above, with no token left: a new one.
    const token = (await api.admin('post', '/scim-tokens', { data: { type: 'authentication-tokens', attributes: { description: 'after re-enable' } } })).body.data.attributes.token as string;
    const ids: string[] = [];
    for (let i = 0; i < 10; i++) {
      const created = await request(api.app)
        .post('/scim/v2/Users')
        .set('Authorization', `Bearer ${token}`)
        .set('Content-Type', 'application/scim+json')
        .send(JSON.stringify(newUser(`orphan${i}-${randomUUID().slice(0, 6)}@example.com`)));
      expect(created.status).toBe(201);
      ids.push(created.body.id as string);
    }
    const deps = createCommandDependencies(api.store, createTransactionalWriter(api.store, [scimProjection]));
    const context = { commandId: 'c', requestId: 'r', correlationId: 'r', actor: { kind: 'admin' as const, id: 'at-gone' }, source: {}, now: new Date().toISOString() };
    await handleCommand(deps, SETTINGS_STREAM, settingsDecider, { type: 'DisableScim', context });
    await api.db.pool.query(`UPDATE scim_cleanup SET started_at = now(), total = 10, finished_at = NULL`);

    const other = await startScimApi('scim_disable_job_b', {}, { db: api.db });
    try {
      const done = await until(async () => {
        const c = await cleanupOf(other);
        return c.attributes.running ? undefined : c;
      });
      expect(done.attributes).toMatchObject({ running: false, remaining: 0 });
      for (const id of ids) expect((await api.store.readStream(`user-${id}`)).at(-1)).toMatchObject({ type: 'UserDeleted', data: { reason: 'scim-disabled' } });
    } finally {
      await other.close();
    }
  });
});
