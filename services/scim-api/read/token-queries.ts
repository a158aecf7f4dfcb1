import type { Pool } from 'pg';
import type { Clock } from '../../../shared/clock';
import { scimErrors } from '../../../shared/scim/errors';
import { tokenHmac } from '../tokens/token-secret';

export interface ScimTokenRecord {
  readonly id: string;
  /** '' when none was given (api-docs/admin/scim-tokens: the description is optional). */
  readonly description: string;
  readonly createdAt: string;
  readonly expiresAt: string;
  readonly lastUsedAt: string | null;
  /** Past `expiresAt`: refused on /scim/v2, still listed until revoked (scim/manage/tokens: an expired badge per token). */
  readonly expired: boolean;
}

/** Token ids as newTokenId makes them: anything else is no token, answered without a query. */
export const SCIM_TOKEN_ID = /^st-[0-9a-f]{20}$/;

interface TokenRow {
  id: string;
  description: string;
  created_at: Date;
  expires_at: Date;
  last_used_at: Date | null;
}

const toRecord = (row: TokenRow, now: Date): ScimTokenRecord => ({
  id: row.id,
  description: row.description,
  createdAt: row.created_at.toISOString(),
  expiresAt: row.expires_at.toISOString(),
  lastUsedAt: row.last_used_at?.toISOString() ?? null,
  expired: row.expires_at.getTime() <= now.getTime(),
});

/** SCIM tokens as the `scim_tokens` table holds them (written with each token command's append). */
export interface TokenQueries {
  /** Unrevoked tokens, expired ones included (flagged), newest first. */
  list(): Promise<ScimTokenRecord[]>;
  /** An unrevoked token, expired or not; undefined for an unknown or revoked one. */
  get(tokenId: string): Promise<ScimTokenRecord | undefined>;
  /** Whether a token with this value exists at all (seeding is idempotent). */
  exists(value: string): Promise<boolean>;
}

export function createTokenQueries({ pool, secret, clock }: { pool: Pool; secret: string; clock: Clock }): TokenQueries {
  return {
    async list() {
      const now = clock.now();
      const { rows } = await pool.query<TokenRow>(`SELECT * FROM scim_tokens WHERE revoked_at IS NULL ORDER BY created_at DESC, id`);
      return rows.map((row) => toRecord(row, now));
    },

    async get(tokenId) {
      if (!SCIM_TOKEN_ID.test(tokenId)) return undefined;
      const { rows } = await pool.query<TokenRow>(`SELECT * FROM scim_tokens WHERE id = $1 AND revoked_at IS NULL`, [tokenId]);
      return rows[0] ? toRecord(rows[0], clock.now()) : undefined;
    },

    async exists(value) {
      const { rowCount } = await pool.query(`SELECT 1 FROM scim_tokens WHERE hmac = $1`, [tokenHmac(secret, value)]);
      return (rowCount ?? 0) > 0;
    },
  };
}

export function assertTokenExists(record: ScimTokenRecord | undefined, tokenId: string): ScimTokenRecord {
  if (!record) throw scimErrors.notFound(`token ${tokenId} not found`);
  return record;
}
