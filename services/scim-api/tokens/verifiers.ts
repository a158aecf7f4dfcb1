import { LRUCache } from 'lru-cache';
import type { Pool } from 'pg';
import type { StreamChangeFeed } from '../../../shared/commands/stream-change-feed';
import { tokenStreamId } from '../../../shared/domain/tokens/token';
import type { Clock } from '../../../shared/clock';
import type { Logger } from '../../../shared/logging/logger';
import type { ScimTokenVerifier } from '../scim/authentication';
import { tokenHmac } from './token-secret';

const TOKEN_STREAM_PREFIX = tokenStreamId('');

const MINUTE_MS = 60_000;

/**
 * SCIM tokens from the `scim_tokens` table: unrevoked and unexpired. The lookup is by HMAC, so
 * the comparison happens inside an index on a digest, never on the secret itself.
 *
 * A valid token is remembered (by its HMAC) while `changes` hears every append: revoking a token
 * appends to its stream, and the notification drops it here at the revocation's commit, before
 * the revoking request is even answered. Without a feed, or while it is down, every request asks
 * Postgres. lastUsedAt is written at most once a minute per token (TKN: a 1-minute throttle).
 */
export function scimTokenVerifier({ pool, secret, clock, log, changes }: { pool: Pool; secret: string; clock: Clock; log?: Logger; changes?: StreamChangeFeed }): ScimTokenVerifier {
  const valid = new LRUCache<string, { id: string; expiresAt: number }>({ max: 1_000 });
  const lastTouched = new LRUCache<string, number>({ max: 10_000 });
  let trusted = false;
  /** Bumped by every token change: a lookup that raced with one is not remembered. */
  let generation = 0;
  const drop = () => {
    generation++;
    valid.clear();
  };
  changes?.observe({
    changed: (streamId) => {
      if (streamId.startsWith(TOKEN_STREAM_PREFIX)) drop();
    },
    pause: () => {
      trusted = false;
      drop();
    },
    resume: () => {
      drop();
      trusted = true;
    },
  });

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
      const hmac = tokenHmac(secret, token);
      const key = hmac.toString('base64');
      const known = trusted ? valid.get(key) : undefined;
      if (known && known.expiresAt > now.getTime()) {
        touch(known.id, now);
        return { kind: 'scim-token', id: known.id };
      }
      const before = generation;
      const { rows } = await pool.query<{ id: string; expires_at: Date }>(
        `SELECT id, expires_at FROM scim_tokens WHERE hmac = $1 AND revoked_at IS NULL AND expires_at > $2`,
        [hmac, now],
      );
      const row = rows[0];
      if (!row) return undefined;
      if (trusted && generation === before) valid.set(key, { id: row.id, expiresAt: row.expires_at.getTime() });
      touch(row.id, now);
      return { kind: 'scim-token', id: row.id };
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
