import { backfillScope } from '../../shared/uniqueness/backfill';
import { reconcileUnsettledKeys } from '../../shared/uniqueness/reconciler';
import { keysOfStream } from '../../services/scim-api/commands/keys-of-stream';
import { newUser, patchOp, startScimApi, type ScimApiUnderTest } from '../helpers/scim-api';

describe('the primary-email key backfill (users written before emails were unique)', () => {
  let api: ScimApiUnderTest;
  const ids: Record<string, string> = {};
  beforeAll(async () => {
    api = await startScimApi('key_backfill');
    for (const name of ['anna', 'ben', 'cleo', 'dan']) {
      const res = await api.scim('post', '/Users', newUser(`${name}@example.com`));
      expect(res.status).toBe(201);
      ids[name] = res.body.id;
    }
    // The data as an older version left it: no email keys, and two users sharing one email.
    await api.db.pool.query(`DELETE FROM unique_keys WHERE scope = 'user.email' AND owner_id = $1`, [ids.cleo]);
    expect((await api.scim('patch', `/Users/${ids.dan}`, patchOp({ op: 'replace', path: 'emails[type eq "work"].value', value: 'CLEO@example.com' }))).status).toBe(200);
    await api.db.pool.query(`DELETE FROM unique_keys WHERE scope = 'user.email'`);
  });
  afterAll(async () => {
    await api.close();
  });

  const emailKeys = async () =>
    (await api.db.pool.query<{ key: string; owner_id: string; state: string }>(`SELECT key, owner_id, state FROM unique_keys WHERE scope = 'user.email' ORDER BY key`)).rows;
  const backfill = () => backfillScope({ pool: api.db.pool, store: api.store, keysOf: keysOfStream }, 'user.email', 'user.userName');

  it('claims each live user\'s primary email as pending, from its stream; a shared email goes to one of them', async () => {
    expect(await backfill()).toEqual({ claimed: 3, conflicts: 1 });

    const keys = await emailKeys();
    expect(keys.map((k) => [k.key, k.state])).toEqual([
      ['anna@example.com', 'pending'],
      ['ben@example.com', 'pending'],
      ['cleo@example.com', 'pending'],
    ]);
    expect([ids.cleo, ids.dan]).toContain(keys[2]!.owner_id);
  });

  it('blocks a new user with a backfilled email at once, while the key is still pending', async () => {
    const res = await api.scim('post', '/Users', newUser('anna.again@example.com', { emails: [{ value: 'Anna@Example.com' }] }));
    expect(res.status).toBe(409);
    expect(res.body).toMatchObject({ status: '409', scimType: 'uniqueness', detail: 'email "Anna@Example.com" is already taken' });
  });

  it('lets the reconciler confirm the keys after re-reading each stream', async () => {
    expect(await reconcileUnsettledKeys({ pool: api.db.pool, store: api.store, keysOf: keysOfStream }, 0)).toEqual({ confirmed: 3, released: 0 });
    expect((await emailKeys()).map((k) => k.state)).toEqual(['confirmed', 'confirmed', 'confirmed']);
  });

  it('reads again only the owner left without its key (the shared email), and never claims it twice', async () => {
    expect(await backfill()).toEqual({ claimed: 0, conflicts: 1 });
    expect(await emailKeys()).toHaveLength(3);
  });

  it('runs at start-up: a second instance over the same database claims what is missing', async () => {
    await api.db.pool.query(`DELETE FROM unique_keys WHERE scope = 'user.email' AND owner_id = $1`, [ids.ben]);
    const second = await startScimApi('key_backfill_2', {}, { db: api.db });
    try {
      expect((await emailKeys()).find((k) => k.key === 'ben@example.com')).toEqual({ key: 'ben@example.com', owner_id: ids.ben, state: 'pending' });
    } finally {
      await second.close();
    }
  });
});
