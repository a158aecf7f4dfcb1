import type { PoolClient } from 'pg';
import { ScimError } from '../scim/errors';
import { describeKey, keyPrecedence, type KeyOwner, type UniqueKey } from './keys';

export type KeyState = 'confirmed' | 'pending';

/**
 * The advisory lock class ('UKEY') of an owner's two-phase writes, keyed by `hashtext(owner
 * stream)`: held by a two-phase writer from before it reads the keys the owner holds until its
 * claims are settled (shared/commands/stream-writer.ts), and by the reconciler while it settles
 * that owner's keys (reconciler.ts).
 */
export const KEY_OWNER_LOCK_CLASS = 0x554b4559;

/**
 * Thrown when keys are held by other owners; the HTTP layer renders it as 409 uniqueness. `keys`
 * lists every taken key of the claim, the one a client most likely means first (userName before
 * email); the detail names them all, leaving out internal ones (an account link) when others are taken.
 */
export class UniqueKeyTakenError extends ScimError {
  readonly keys: readonly UniqueKey[];

  constructor(taken: UniqueKey | readonly UniqueKey[]) {
    const keys = [...(Array.isArray(taken) ? taken : [taken])].sort((a, b) => keyPrecedence(a) - keyPrecedence(b));
    const shown = keys.filter((k) => k.scope !== 'account.link');
    super(409, 'uniqueness', (shown.length > 0 ? shown : keys).map((k) => `${describeKey(k)} is already taken`).join('; '));
    this.keys = keys;
  }

  /** The first taken key. */
  get key(): UniqueKey {
    return this.keys[0]!;
  }
}

// Claims in one global order so two transactions claiming overlapping keys cannot deadlock.
function ordered(keys: readonly UniqueKey[]): UniqueKey[] {
  return [...keys].sort((a, b) => (a.scope === b.scope ? (a.key < b.key ? -1 : a.key > b.key ? 1 : 0) : a.scope < b.scope ? -1 : 1));
}

/**
 * Claims keys for an owner inside the caller's transaction. A key held by the same owner is
 * updated (its value may differ in case); a key held by another owner throws UniqueKeyTakenError
 * (the caller's transaction must then roll back), naming also the other keys of the claim that
 * are taken. A concurrent claimer of the same key waits on the unique index until this
 * transaction ends.
 */
export async function claimKeys(client: PoolClient, owner: KeyOwner, keys: readonly UniqueKey[], state: KeyState): Promise<void> {
  const claiming = ordered(keys);
  for (const [index, key] of claiming.entries()) {
    const result = await client.query<{ owner_stream: string }>(
      `INSERT INTO unique_keys (scope, key, value, owner_stream, owner_id, state)
       VALUES ($1, $2, $3, $4, $5, $6)
       ON CONFLICT (scope, key) DO UPDATE
         SET value = EXCLUDED.value, changed_at = clock_timestamp()
         WHERE unique_keys.owner_stream = EXCLUDED.owner_stream
       RETURNING owner_stream`,
      [key.scope, key.key, key.value, owner.stream, owner.id, state],
    );
    if (result.rowCount === 0) throw new UniqueKeyTakenError([key, ...(await heldByOthers(client, owner, claiming.slice(index + 1)))]);
  }
}

/**
 * Which of these keys other owners hold, read without locking: the first conflict ends the claim,
 * for a claimer that kept one key locked while waiting for the next could deadlock with a writer
 * settling those keys in another order. Only the error's detail depends on it.
 */
async function heldByOthers(client: PoolClient, owner: KeyOwner, keys: readonly UniqueKey[]): Promise<UniqueKey[]> {
  if (keys.length === 0) return [];
  const { rows } = await client.query<{ scope: string; key: string }>(
    `SELECT k.scope, k.key FROM unique_keys k
       JOIN unnest($1::text[], $2::text[]) AS r(scope, key) ON k.scope = r.scope AND k.key = r.key
      WHERE k.owner_stream <> $3`,
    [keys.map((k) => k.scope), keys.map((k) => k.key), owner.stream],
  );
  return keys.filter((k) => rows.some((r) => r.scope === k.scope && r.key === k.key));
}

export async function releaseKeys(client: PoolClient, owner: KeyOwner, keys: readonly UniqueKey[]): Promise<void> {
  if (keys.length === 0) return;
  await client.query(
    `DELETE FROM unique_keys k
      USING unnest($1::text[], $2::text[]) AS r(scope, key)
      WHERE k.scope = r.scope AND k.key = r.key AND k.owner_stream = $3`,
    [keys.map((k) => k.scope), keys.map((k) => k.key), owner.stream],
  );
}

export async function setKeyState(
  client: PoolClient,
  owner: KeyOwner,
  keys: readonly UniqueKey[],
  state: 'confirmed' | 'pending' | 'releasing',
): Promise<void> {
  if (keys.length === 0) return;
  await client.query(
    `UPDATE unique_keys k SET state = $4, changed_at = clock_timestamp()
       FROM unnest($1::text[], $2::text[]) AS r(scope, key)
      WHERE k.scope = r.scope AND k.key = r.key AND k.owner_stream = $3`,
    [keys.map((k) => k.scope), keys.map((k) => k.key), owner.stream, state],
  );
}
