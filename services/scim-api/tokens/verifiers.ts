import type { Pool } from 'pg';
import type { Clock } from '../../../shared/clock';
import type { Logger } from '../../../shared/logging/logger';
import type { ScimTokenVerifier } from '../scim/authentication';
import { tokenHmac } from './token-secret';

/**
 * SCIM tokens from the `scim_tokens` table: unrevoked and unexpired. The lookup is by HMAC, so
 * the comparison happens inside an index on a digest, never on the secret itself.
 * lastUsedAt is written at most once a minute per token.
 */
export function scimTokenVerifier({ pool, secret, clock, log }: { pool: Pool; secret: string; clock: Clock; log?: Logger }): ScimTokenVerifier {
  return {
    async verify(token) {
      const now = clock.now();
      const { rows } = await pool.query<{ id: string }>(
        `SELECT id FROM scim_tokens WHERE hmac = $1 AND revoked_at IS NULL AND expires_at > $2`,
        [tokenHmac(secret, token), now],
      );
      const id = rows[0]?.id;
      if (!id) return undefined;
      pool
        .query(`UPDATE scim_tokens SET last_used_at = $2::timestamptz WHERE id = $1 AND (last_used_at IS NULL OR last_used_at <= $2::timestamptz - interval '1 minute')`, [id, now])
        .catch((err: unknown) => log?.warn({ err, tokenId: id }, 'could not record token use'));
      return { kind: 'scim-token', id };
    },
  };
}

export function adminTokenVerifier({ pool, secret }: { pool: Pool; secret: string }): ScimTokenVerifier {
  return {
    async verify(token) {
      const { rows } = await pool.query<{ id: string }>(`SELECT id FROM admin_tokens WHERE hmac = $1`, [tokenHmac(secret, token)]);
      return rows[0] ? { kind: 'admin', id: rows[0].id } : undefined;
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
