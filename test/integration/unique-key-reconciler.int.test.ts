import { reconcileUnsettledKeys } from '../../shared/uniqueness/reconciler';
import { KEY_OWNER_LOCK_CLASS } from '../../shared/uniqueness/unique-key-table';
import { keysOfStream } from '../../services/scim-api/commands/keys-of-stream';
import { newUser, startScimApi, type ScimApiUnderTest } from '../helpers/scim-api';

describe('the unique key reconciler (two-phase writes)', () => {
  let api: ScimApiUnderTest;
  beforeAll(async () => {
    api = await startScimApi('key_reconciler', {}, { writer: 'two-phase' });
  });
  afterAll(async () => {
    await api.close();
  });
  const keyRows = async () =>
    (await api.db.pool.query<{ scope: string; key: string; state: string }>(`SELECT scope, key, state FROM unique_keys WHERE scope LIKE 'user.%' ORDER BY scope, key`)).rows;
  const reconcile = () => reconcileUnsettledKeys({ pool: api.db.pool, store: api.store, keysOf: keysOfStream }, 0);

  it('leaves settled keys alone after normal two-phase writes', async () => {
    const res = await api.scim('post', '/Users', newUser('settled@example.com', { externalId: 'settled' }));
    expect(res.status).toBe(201);
    expect(await keyRows()).toEqual([
      { scope: 'user.email', key: 'settled@example.com', state: 'confirmed' },
      { scope: 'user.userName', key: 'settled@example.com', state: 'confirmed' },
    ]);
    expect(await reconcile()).toEqual({ confirmed: 0, released: 0 });
  });

  it('confirms keys whose append happened, and releases keys whose append did not (crash between the phases)', async () => {
    const res = await api.scim('post', '/Users', newUser('crashed@example.com'));
    const userId = res.body.id as string;
    // The crash after the append: the claim is still pending.
    await api.db.pool.query(`UPDATE unique_keys SET state = 'pending' WHERE owner_stream = $1`, [`user-${userId}`]);
    // The crash before the append: a claim for a stream that never got its event.
    await api.db.pool.query(
      `INSERT INTO unique_keys (scope, key, value, owner_stream, owner_id, state) VALUES ('user.userName', 'ghost@example.com', 'ghost@example.com', 'user-6b1f3c7e-0000-4000-8000-00000000dead', '6b1f3c7e-0000-4000-8000-00000000dead', 'pending')`,
    );
    expect((await api.scim('post', '/Users', newUser('ghost@example.com'))).status).toBe(409);

    const result = await reconcile();

    expect(result).toEqual({ confirmed: 3, released: 1 });
    expect((await keyRows()).filter((k) => k.key.startsWith('crashed') || k.key.startsWith('ghost'))).toEqual([
      { scope: 'user.email', key: 'crashed@example.com', state: 'confirmed' },
      { scope: 'user.userName', key: 'crashed@example.com', state: 'confirmed' },
    ]);
    expect((await api.scim('post', '/Users', newUser('ghost@example.com'))).status).toBe(201);
  });

  it('restores a key left `releasing` when the rename that released it never happened', async () => {
    const res = await api.scim('post', '/Users', newUser('keeper@example.com'));
    await api.db.pool.query(`UPDATE unique_keys SET state = 'releasing' WHERE owner_stream = $1 AND scope = 'user.userName'`, [`user-${res.body.id}`]);
    await reconcile();
    expect((await keyRows()).find((k) => k.scope === 'user.userName' && k.key === 'keeper@example.com')).toEqual({ scope: 'user.userName', key: 'keeper@example.com', state: 'confirmed' });
  });

  it("waits for a two-phase write of the owner in flight, and leaves the claim that write just made alone", async () => {
    const owner = 'user-6b1f3c7e-0000-4000-8000-00000000beef';
    await api.db.pool.query(
      `INSERT INTO unique_keys (scope, key, value, owner_stream, owner_id, state, changed_at)
       VALUES ('user.userName', 'in-flight@example.com', 'in-flight@example.com', $1, '6b1f3c7e-0000-4000-8000-00000000beef', 'pending', clock_timestamp() - interval '2 minutes')`,
      [owner],
    );
    // A writer of that owner between its claim and its settle holds the owner's lock.
    const writer = await api.db.pool.connect();
    try {
      await writer.query('SELECT pg_advisory_lock($1, hashtext($2))', [KEY_OWNER_LOCK_CLASS, owner]);
      let settled = false;
      const reconciling = reconcileUnsettledKeys({ pool: api.db.pool, store: api.store, keysOf: keysOfStream }, 60_000).then((r) => {
        settled = true;
        return r;
      });
      await new Promise((resolve) => setTimeout(resolve, 300));
      expect(settled).toBe(false);
      // The write claims the key again (its append is on its way), then lets go.
      await writer.query(`UPDATE unique_keys SET changed_at = clock_timestamp() WHERE owner_stream = $1`, [owner]);
      await writer.query('SELECT pg_advisory_unlock($1, hashtext($2))', [KEY_OWNER_LOCK_CLASS, owner]);
      expect(await reconciling).toEqual({ confirmed: 0, released: 0 });
      expect((await keyRows()).find((k) => k.key === 'in-flight@example.com')).toEqual({ scope: 'user.userName', key: 'in-flight@example.com', state: 'pending' });
    } finally {
      writer.release();
      await api.db.pool.query(`DELETE FROM unique_keys WHERE owner_stream = $1`, [owner]);
    }
  });
});
