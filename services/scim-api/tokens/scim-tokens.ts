import type { Pool } from 'pg';
import type { Clock } from '../../../shared/clock';
import { handleCommand, type CommandDependencies } from '../../../shared/commands/handle-command';
import type { CommandContext } from '../../../shared/domain/metadata';
import { createTokenDecider, tokenStreamId, type TokenRules } from '../../../shared/domain/tokens/token';
import { sql } from '../../../shared/db/sql-statement';
import { scimErrors } from '../../../shared/scim/errors';
import { newTokenId, newTokenValue, tokenHmac } from './token-secret';

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

const DAY_MS = 24 * 60 * 60 * 1000;

export interface ScimTokens {
  /**
   * The value is returned here and nowhere else, ever. `expiresAt` (ISO 8601) defaults to 365 days
   * from now; the decider holds it to 29..365 days ahead.
   * @throws ScimError 400 for an expiry out of range or a description over 200 characters.
   */
  create(input: { description?: string; expiresAt?: string }, context: CommandContext, value?: string): Promise<{ record: ScimTokenRecord; token: string }>;
  revoke(tokenId: string, context: CommandContext, reason?: 'revoked' | 'scim-disabled'): Promise<void>;
  /** Unrevoked tokens, expired ones included (flagged), newest first. */
  list(): Promise<ScimTokenRecord[]>;
  /** An unrevoked token, expired or not; undefined for an unknown or revoked one. */
  get(tokenId: string): Promise<ScimTokenRecord | undefined>;
  /** Whether a token with this value exists at all (seeding is idempotent). */
  exists(value: string): Promise<boolean>;
}

export function createScimTokens({ deps, pool, secret, clock, rules }: { deps: CommandDependencies; pool: Pool; secret: string; clock: Clock; rules?: TokenRules }): ScimTokens {
  const decider = createTokenDecider(rules);

  return {
    async create({ description = '', expiresAt }, context, value = newTokenValue('scim')) {
      const tokenId = newTokenId('st');
      const requested = expiresAt === undefined ? Date.parse(context.now) + 365 * DAY_MS : Date.parse(expiresAt);
      if (Number.isNaN(requested)) throw scimErrors.invalidValue('expired-at must be an ISO 8601 date-time');
      const expires = new Date(requested).toISOString();
      const hmac = tokenHmac(secret, value);
      const result = await handleCommand(
        deps,
        tokenStreamId(tokenId),
        decider,
        { type: 'CreateScimToken', data: { tokenId, description, expiresAt: expires }, context },
        {
          newStream: true,
          rows: () => ({
            after: [
              sql(`INSERT INTO scim_tokens (id, description, hmac, created_at, expires_at) VALUES ($1, $2, $3, $4, $5)`, [
                tokenId,
                description.trim(),
                hmac,
                context.now,
                expires,
              ]),
            ],
          }),
        },
      );
      if (result.state.status === 'Absent') throw new Error('token creation left no token');
      const { createdAt, expiresAt: storedExpiry } = result.state;
      return { token: value, record: { id: tokenId, description: result.state.description, createdAt, expiresAt: storedExpiry, lastUsedAt: null, expired: false } };
    },

    async revoke(tokenId, context, reason = 'revoked') {
      await handleCommand(deps, tokenStreamId(tokenId), decider, { type: 'RevokeScimToken', data: { tokenId, reason }, context }, {
        // Before the append where it cannot share its statement: the token stops working first.
        rows: () => ({ before: [sql(`UPDATE scim_tokens SET revoked_at = $2 WHERE id = $1 AND revoked_at IS NULL`, [tokenId, context.now])] }),
      });
    },

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
