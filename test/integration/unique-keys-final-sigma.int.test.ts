import { readFileSync } from 'node:fs';
import path from 'node:path';
import { MIGRATIONS_DIR } from '../../shared/db/migrate';
import { caseFold, uniqueKey } from '../../shared/uniqueness/keys';
import { newUser, startScimApi, type ScimApiUnderTest } from '../helpers/scim-api';

/** The Up part of the migration that folds 'ς' in stored keys, to run again over keys written the old way. */
const FOLD_KEYS = (() => {
  const text = readFileSync(path.join(MIGRATIONS_DIR, '1764332700000_unique-keys-final-sigma.sql'), 'utf8');
  return text.slice(text.indexOf('-- Up Migration'), text.indexOf('-- Down Migration'));
})();

describe('the Greek final sigma in case-insensitive keys', () => {
  let api: ScimApiUnderTest;
  beforeAll(async () => {
    api = await startScimApi('final_sigma');
  });
  afterAll(async () => {
    await api.close();
  });

  it('folds ς to σ after lower-casing, so Σ makes one key wherever it stands', () => {
    expect(caseFold('sigmaΣ')).toBe(caseFold('SIGMAσ'));
    expect(caseFold('ΣΑΣ')).toBe(caseFold('σας'));
    expect(uniqueKey('user.userName', 'Οδυσσεύς@example.com').key).toBe('οδυσσεύσ@example.com');
    expect(uniqueKey('account.link', 'ς').key).toBe('ς');
  });

  it('answers a second user whose userName differs only in the form of sigma with 409 uniqueness', async () => {
    expect((await api.scim('post', '/Users', newUser('sigmaς@example.com'))).status).toBe(201);
    for (const userName of ['sigmaσ@example.com', 'SIGMAΣ@example.com']) {
      const res = await api.scim('post', '/Users', newUser(userName, { emails: [{ value: `other-${userName.length}@example.com`, primary: true }] }));
      expect({ userName, status: res.status, scimType: res.body.scimType }).toEqual({ userName, status: 409, scimType: 'uniqueness' });
    }
  });

  it('migrates keys stored before the rule to the folded form; a clash keeps the first and is reported, never failing', async () => {
    const insert = (scope: string, key: string, owner: string, at: string) =>
      api.db.pool.query(
        `INSERT INTO unique_keys (scope, key, value, owner_stream, owner_id, state, changed_at) VALUES ($1, $2, $2, $3, $3, 'confirmed', $4)`,
        [scope, key, owner, at],
      );
    // As the old rule (toLowerCase only) stored them.
    await insert('group.displayName', 'ομάδας', 'group-a', '2026-01-01T00:00:00Z');
    await insert('group.displayName', 'clashς', 'group-b', '2026-01-02T00:00:00Z');
    await insert('group.displayName', 'clashσ', 'group-c', '2026-01-01T00:00:00Z');
    await insert('team.name', 'teamς', 'team-d', '2026-01-01T00:00:00Z');
    // Two old keys folding to one, neither folded yet: the earlier claim moves.
    await insert('team.name', 'aςς', 'team-e', '2026-01-02T00:00:00Z');
    await insert('team.name', 'aσς', 'team-g', '2026-01-01T00:00:00Z');
    await insert('account.link', 'linkς', 'account-f', '2026-01-01T00:00:00Z');

    const client = await api.db.pool.connect();
    const notices: string[] = [];
    client.on('notice', (notice) => notices.push(notice.message ?? ''));
    try {
      await client.query(FOLD_KEYS);
    } finally {
      client.release();
    }

    const { rows } = await api.db.pool.query<{ scope: string; key: string; owner_stream: string }>(
      `SELECT scope, key, owner_stream FROM unique_keys WHERE owner_stream = ANY($1::text[]) ORDER BY scope, key COLLATE "C"`,
      [['group-a', 'group-b', 'group-c', 'team-d', 'team-e', 'team-g', 'account-f']],
    );
    expect(rows).toEqual([
      { scope: 'account.link', key: 'linkς', owner_stream: 'account-f' },
      { scope: 'group.displayName', key: 'clashς', owner_stream: 'group-b' },
      { scope: 'group.displayName', key: 'clashσ', owner_stream: 'group-c' },
      { scope: 'group.displayName', key: 'ομάδασ', owner_stream: 'group-a' },
      { scope: 'team.name', key: 'aςς', owner_stream: 'team-e' },
      { scope: 'team.name', key: 'aσσ', owner_stream: 'team-g' },
      { scope: 'team.name', key: 'teamσ', owner_stream: 'team-d' },
    ]);
    expect(notices).toEqual([
      'unique key group.displayName clashς (owner group-b) folds to clashσ, which another owner holds: left unchanged',
      'unique key team.name aςς (owner team-e) folds to aσσ, which another owner holds: left unchanged',
    ]);
  });
});
