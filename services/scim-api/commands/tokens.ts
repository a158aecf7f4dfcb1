import { handleCommand, type CommandDependencies, type CommandResult, type HandleOptions } from '../../../shared/commands/handle-command';
import { sql } from '../../../shared/db/sql-statement';
import type { CommandContext } from '../../../shared/domain/metadata';
import { createTokenDecider, tokenStreamId, type TokenCommand, type TokenEvent, type TokenRules, type TokenState } from '../../../shared/domain/tokens/token';
import { scimErrors } from '../../../shared/scim/errors';
import type { ScimTokenRecord } from '../read/token-queries';
import { newTokenId, newTokenValue, tokenHmac } from '../tokens/token-secret';

export type TokenResult = CommandResult<TokenState, TokenEvent>;

const DAY_MS = 24 * 60 * 60 * 1000;

export interface TokenCommands {
  /**
   * The value is returned here and nowhere else, ever. `expiresAt` (ISO 8601) defaults to 365 days
   * from now; the decider holds it to 29..365 days ahead.
   * @throws ScimError 400 for an expiry out of range or a description over 200 characters.
   */
  create(input: { description?: string; expiresAt?: string }, context: CommandContext, value?: string): Promise<{ record: ScimTokenRecord; token: string }>;
  revoke(tokenId: string, context: CommandContext, reason?: 'revoked' | 'scim-disabled'): Promise<TokenResult>;
}

/**
 * Token commands. Each append carries the `scim_tokens` row the bearer check reads (only the
 * value's HMAC under `secret`, never the value).
 */
export function createTokenCommands({ deps, secret, rules }: { deps: CommandDependencies; secret: string; rules?: TokenRules }): TokenCommands {
  const decider = createTokenDecider(rules);

  const run = (tokenId: string, command: TokenCommand, options: HandleOptions<TokenState, TokenEvent> = {}) =>
    handleCommand(deps, tokenStreamId(tokenId), decider, command, options);

  return {
    async create({ description = '', expiresAt }, context, value = newTokenValue('scim')) {
      const tokenId = newTokenId('st');
      const requested = expiresAt === undefined ? Date.parse(context.now) + 365 * DAY_MS : Date.parse(expiresAt);
      if (Number.isNaN(requested)) throw scimErrors.invalidValue('expired-at must be an ISO 8601 date-time');
      const expires = new Date(requested).toISOString();
      const hmac = tokenHmac(secret, value);
      const result = await run(
        tokenId,
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

    revoke: (tokenId, context, reason = 'revoked') =>
      run(tokenId, { type: 'RevokeScimToken', data: { tokenId, reason }, context }, {
        // Before the append where it cannot share its statement: the token stops working first.
        rows: () => ({ before: [sql(`UPDATE scim_tokens SET revoked_at = $2 WHERE id = $1 AND revoked_at IS NULL`, [tokenId, context.now])] }),
      }),
  };
}
