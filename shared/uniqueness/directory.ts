import type { Pool } from 'pg';
import { caseFold } from './keys';

/**
 * Write-side lookups answered by the unique-key table, which holds every live user's userName
 * and every registered account's email the moment their write committed (no projection lag).
 * Pending keys (an EventStoreDB append not yet settled) are not yet facts, so they are left out.
 */
export async function findUserNames(pool: Pool, userIds: readonly string[]): Promise<Map<string, string>> {
  if (userIds.length === 0) return new Map();
  const { rows } = await pool.query<{ owner_id: string; value: string }>(
    `SELECT owner_id, value FROM unique_keys
      WHERE scope = 'user.userName' AND owner_id = ANY($1::text[]) AND state <> 'pending'`,
    [userIds],
  );
  return new Map(rows.map((r) => [r.owner_id, r.value]));
}

/** A registered platform account with this email that no SCIM identity is linked to yet. */
export async function findLinkableAccount(pool: Pool, email: string): Promise<string | undefined> {
  const { rows } = await pool.query<{ owner_id: string }>(
    `SELECT e.owner_id FROM unique_keys e
      WHERE e.scope = 'account.email' AND e.key = $1 AND e.state <> 'pending'
        AND NOT EXISTS (SELECT 1 FROM unique_keys l WHERE l.scope = 'account.link' AND l.key = e.owner_id)`,
    [caseFold(email)],
  );
  return rows[0]?.owner_id;
}

/** The current displayName of a live group, from its uniqueness key. */
export async function findGroupDisplayName(pool: Pool, groupId: string): Promise<string | null> {
  const { rows } = await pool.query<{ value: string }>(
    `SELECT value FROM unique_keys WHERE scope = 'group.displayName' AND owner_id = $1 AND state <> 'pending'`,
    [groupId],
  );
  return rows[0]?.value ?? null;
}
