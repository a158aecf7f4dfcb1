import { eventMetadata, type CommandContext, type DomainEvent } from '../metadata';
import { scimErrors } from '../../scim/errors';

/**
 * A SCIM bearer token. Its events carry no secret: the HMAC of the value lives only in the
 * `scim_tokens` table, written in the same transaction as the event.
 */
export type ScimTokenCreated = DomainEvent<
  'ScimTokenCreated',
  { readonly tokenId: string; readonly description: string; readonly expiresAt: string; readonly createdAt: string }
>;
export type ScimTokenRevoked = DomainEvent<'ScimTokenRevoked', { readonly tokenId: string; readonly reason: 'revoked' | 'scim-disabled' }>;
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

/** scim-behaviour.md: at least 30 days and at most one year ahead. */
export const DEFAULT_TOKEN_RULES: TokenRules = { minDays: 30, maxDays: 366 };

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
          if (description === '' || description.length > 200) throw scimErrors.invalidValue('description is required (at most 200 characters)');
          const now = Date.parse(command.context.now);
          const expires = Date.parse(command.data.expiresAt);
          if (Number.isNaN(expires)) throw scimErrors.invalidValue('expired-at must be an ISO 8601 date-time');
          // A minute of slack either way, so a preset computed by a client a moment ago still fits.
          if (expires < now + rules.minDays * DAY_MS - 60_000 || expires > now + rules.maxDays * DAY_MS + 60_000) {
            throw scimErrors.invalidValue(`expired-at must be between ${rules.minDays} days and one year from now`);
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
