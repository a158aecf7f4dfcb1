import type { ContractData } from '../../events/contract';
import { eventMetadata, type CommandContext, type DomainEvent } from '../metadata';
import { scimErrors } from '../../scim/errors';

/**
 * A SCIM bearer token. Its events carry no secret: the HMAC of the value lives only in the
 * `scim_tokens` table, written in the same transaction as the event.
 */
export type ScimTokenCreated = DomainEvent<'ScimTokenCreated', ContractData<'ScimTokenCreated'>>;
export type ScimTokenRevoked = DomainEvent<'ScimTokenRevoked', ContractData<'ScimTokenRevoked'>>;
export type TokenEvent = ScimTokenCreated | ScimTokenRevoked;

export const TOKEN_EVENT_TYPES: readonly TokenEvent['type'][] = ['ScimTokenCreated', 'ScimTokenRevoked'];

export const tokenStreamId = (tokenId: string) => `scim-token-${tokenId}`;

export type TokenState =
  | { readonly status: 'Absent' }
  | { readonly status: 'Active' | 'Revoked'; readonly tokenId: string; readonly description: string; readonly expiresAt: string; readonly createdAt: string };

export type TokenCommand =
  | {
      readonly type: 'CreateScimToken';
      readonly data: { readonly tokenId: string; readonly description: string; readonly expiresAt: string };
      readonly context: CommandContext;
    }
  | { readonly type: 'RevokeScimToken'; readonly data: { readonly tokenId: string; readonly reason: 'revoked' | 'scim-disabled' }; readonly context: CommandContext };

export interface TokenRules {
  readonly minDays: number;
  readonly maxDays: number;
}

/** api-docs/admin/scim-tokens: `expired-at` "must be between 29 and 365 days in the future". */
export const DEFAULT_TOKEN_RULES: TokenRules = { minDays: 29, maxDays: 365 };

/** The longest description kept; api-docs/admin/scim-tokens makes the description optional ('' = none). */
export const MAX_TOKEN_DESCRIPTION_LENGTH = 200;

const DAY_MS = 24 * 60 * 60 * 1000;

export function createTokenDecider(rules: TokenRules = DEFAULT_TOKEN_RULES) {
  return {
    initialState: { status: 'Absent' } as TokenState,
    evolve(state: TokenState, event: TokenEvent): TokenState {
      switch (event.type) {
        case 'ScimTokenCreated':
          return { status: 'Active', ...event.data };
        case 'ScimTokenRevoked':
          return state.status === 'Absent' ? state : { ...state, status: 'Revoked' };
        default:
          return state;
      }
    },
    decide(command: TokenCommand, state: TokenState): TokenEvent[] {
      const metadata = eventMetadata(command.context);
      switch (command.type) {
        case 'CreateScimToken': {
          if (state.status !== 'Absent') throw scimErrors.conflict(`token ${command.data.tokenId} already exists`);
          const description = command.data.description.trim();
          if (description.length > MAX_TOKEN_DESCRIPTION_LENGTH) throw scimErrors.invalidValue(`description: at most ${MAX_TOKEN_DESCRIPTION_LENGTH} characters`);
          const now = Date.parse(command.context.now);
          const expires = Date.parse(command.data.expiresAt);
          if (Number.isNaN(expires)) throw scimErrors.invalidValue('expired-at must be an ISO 8601 date-time');
          // A minute of slack either way, so a preset computed by a client a moment ago still fits.
          if (expires < now + rules.minDays * DAY_MS - 60_000 || expires > now + rules.maxDays * DAY_MS + 60_000) {
            throw scimErrors.invalidValue(`expired-at must be between ${rules.minDays} and ${rules.maxDays} days in the future`);
          }
          return [
            {
              type: 'ScimTokenCreated',
              data: { tokenId: command.data.tokenId, description, expiresAt: new Date(expires).toISOString(), createdAt: command.context.now },
              metadata,
            },
          ];
        }
        case 'RevokeScimToken':
          if (state.status === 'Absent') throw scimErrors.notFound(`token ${command.data.tokenId} not found`);
          if (state.status === 'Revoked') return [];
          return [{ type: 'ScimTokenRevoked', data: { tokenId: command.data.tokenId, reason: command.data.reason }, metadata }];
        default: {
          const _never: never = command;
          throw new Error(`unknown command ${JSON.stringify(_never)}`);
        }
      }
    },
  };
}
