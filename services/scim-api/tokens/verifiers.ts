import { LRUCache } from 'lru-cache';
import type { Pool } from 'pg';
import type { ScimStatus } from '../../../shared/domain/settings/settings';
import type { Clock } from '../../../shared/clock';
import type { Logger } from '../../../shared/logging/logger';
import type { ScimTokenVerifier } from '../scim/authentication';
import { tokenHmac } from './token-secret';

const MINUTE_MS = 60_000;

/**
 * SCIM tokens from the `scim_tokens` table: unrevoked and unexpired. The lookup is by HMAC, so
 * the comparison happens inside an index on a digest, never on the secret itself. It reads the
 * provisioning state (scim_status) in the same statement: one round trip per request tells both,
 * as of that moment, so a token revoked or a service paused through any instance is refused by
 * every instance from the next request on (an in-memory copy would depend on a notification
 * arriving before the request does, which nothing guarantees).
 * lastUsedAt is written at most once a minute per token (TKN: a 1-minute throttle).
 */
export function scimTokenVerifier({ pool, secret, clock, log }: { pool: Pool; secret: string; clock: Clock; log?: Logger }): ScimTokenVerifier {
  const lastTouched = new LRUCache<string, number>({ max: 10_000 });

  function touch(id: string, now: Date): void {
    const last = lastTouched.get(id);
    if (last !== undefined && now.getTime() - last < MINUTE_MS) return;
    lastTouched.set(id, now.getTime());
    pool
      .query(`UPDATE scim_tokens SET last_used_at = $2::timestamptz WHERE id = $1 AND (last_used_at IS NULL OR last_used_at <= $2::timestamptz - interval '1 minute')`, [id, now])
      .catch((err: unknown) => log?.warn({ err, tokenId: id }, 'could not record token use'));
  }

  return {
    async verify(token) {
      const now = clock.now();
      const { rows } = await pool.query<{ id: string; status: ScimStatus }>(
        `SELECT t.id, coalesce((SELECT status FROM scim_status), 'disabled') AS status
           FROM scim_tokens t WHERE t.hmac = $1 AND t.revoked_at IS NULL AND t.expires_at > $2`,
        [tokenHmac(secret, token), now],
      );
      const row = rows[0];
      if (!row) return undefined;
      touch(row.id, now);
      return { actor: { kind: 'scim-token', id: row.id }, scimStatus: row.status };
    },
  };
}

export function adminTokenVerifier({ pool, secret }: { pool: Pool; secret: string }): ScimTokenVerifier {
  return {
    async verify(token) {
      const { rows } = await pool.query<{ id: string }>(`SELECT id FROM admin_tokens WHERE hmac = $1`, [tokenHmac(secret, token)]);
      return rows[0] ? { actor: { kind: 'admin', id: rows[0].id } } : undefined;
    },
  };
}

/** ADMIN_BOOTSTRAP_TOKEN: kept as an HMAC like every other token; seeding twice changes nothing. */
export async function seedAdminToken(pool: Pool, secret: string, token: string): Promise<void> {
  await pool.query(
    `INSERT INTO admin_tokens (id, description, hmac) VALUES ('at-bootstrap', 'ADMIN_BOOTSTRAP_TOKEN', $1)
     ON CONFLICT (id) DO UPDATE SET hmac = EXCLUDED.hmac`,
    [tokenHmac(secret, token)],
  );
}
