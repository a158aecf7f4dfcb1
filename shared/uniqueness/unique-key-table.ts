import type { PoolClient } from 'pg';
import { ScimError } from '../scim/errors';
import { describeKey, type KeyOwner, type UniqueKey } from './keys';

export type KeyState = 'confirmed' | 'pending';

/** Thrown when a key is held by another owner; the HTTP layer renders it as 409 uniqueness. */
export class UniqueKeyTakenError extends ScimError {
  constructor(readonly key: UniqueKey) {
    super(409, 'uniqueness', `${describeKey(key)} is already taken`);
  }
}

// Claims in one global order so two transactions claiming overlapping keys cannot deadlock.
function ordered(keys: readonly UniqueKey[]): UniqueKey[] {
  return [...keys].sort((a, b) => (a.scope === b.scope ? (a.key < b.key ? -1 : a.key > b.key ? 1 : 0) : a.scope < b.scope ? -1 : 1));
}

/**
 * Claims keys for an owner inside the caller's transaction. A key held by the same owner is
 * updated (its value may differ in case); a key held by another owner throws UniqueKeyTakenError.
 * A concurrent claimer of the same key waits on the unique index until this transaction ends.
 */
export async function claimKeys(client: PoolClient, owner: KeyOwner, keys: readonly UniqueKey[], state: KeyState): Promise<void> {
  for (const key of ordered(keys)) {
    const result = await client.query<{ owner_stream: string }>(
      `INSERT INTO unique_keys (scope, key, value, owner_stream, owner_id, state)
       VALUES ($1, $2, $3, $4, $5, $6)
       ON CONFLICT (scope, key) DO UPDATE
         SET value = EXCLUDED.value, changed_at = clock_timestamp()
         WHERE unique_keys.owner_stream = EXCLUDED.owner_stream
       RETURNING owner_stream`,
      [key.scope, key.key, key.value, owner.stream, owner.id, state],
    );
    if (result.rowCount === 0) throw new UniqueKeyTakenError(key);
  }
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
