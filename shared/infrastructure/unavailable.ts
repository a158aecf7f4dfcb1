import { ErrorType, isCommandError } from '@eventstore/db-client';
import { ScimError } from '../scim/errors';

/** A backing service a request needs: the Postgres database, or EventStoreDB when it is the event store. */
export type Dependency = 'postgres' | 'EventStoreDB';

/** Why a request could not be served: which dependency, and what happened to the connection, in a few words. */
export interface Unavailability {
  readonly dependency: Dependency;
  readonly reason: string;
}

/**
 * Seconds a client is asked to wait (Retry-After, RFC 9110 §10.2.3) when a dependency cannot be
 * reached: a Postgres restart or an EventStoreDB leader election takes a few seconds, and the pool
 * and subscriptions reconnect by themselves within them.
 */
export const UNAVAILABLE_RETRY_AFTER_SECONDS = 5;

/** Socket errors of a connection that could not be made or was lost (Node's `code`). */
const SOCKET_ERRORS: Readonly<Record<string, string>> = {
  ECONNREFUSED: 'connection refused',
  ECONNRESET: 'connection reset',
  ECONNABORTED: 'connection aborted',
  EPIPE: 'connection closed',
  ETIMEDOUT: 'connection timed out',
  EHOSTUNREACH: 'host unreachable',
  ENETUNREACH: 'network unreachable',
  ENOTFOUND: 'host not found',
  EAI_AGAIN: 'name resolution failed',
  EADDRNOTAVAIL: 'address not available',
};

/**
 * Postgres SQLSTATEs of a server that is going away, coming up, or full (PostgreSQL, Appendix A):
 * class 08 (connection exception) as a whole, 57P01 admin_shutdown ("terminating connection due
 * to administrator command"), 57P02 crash_shutdown, 57P03 cannot_connect_now (starting up or
 * shutting down), 53300 too_many_connections.
 */
const SQLSTATES: Readonly<Record<string, string>> = {
  '57P01': 'connection terminated by the administrator',
  '57P02': 'server crashed',
  '57P03': 'server starting up or shutting down',
  '53300': 'too many connections',
};

/** What node-postgres (pg, pg-pool) says, without a code, of a connection it lost or could not get. */
const PG_MESSAGES: readonly (readonly [RegExp, string])[] = [
  [/^Connection terminated/, 'connection terminated'],
  [/^timeout exceeded when trying to connect$/, 'no connection within the pool timeout'],
  [/^timeout expired$/, 'connection timed out'],
  [/^Client has encountered a connection error and is not queryable$/, 'connection lost'],
  [/^Query read timeout$/, 'no answer within the query timeout'],
];

/**
 * @eventstore/db-client's error `type`s (ErrorType) of a server that cannot take the call now:
 * gRPC UNAVAILABLE, DEADLINE_EXCEEDED, ABORTED (the client's TimeoutError: a commit timeout), a
 * server-side CANCELLED, and a follower answering a call that needs the leader (an election).
 */
const EVENTSTOREDB_TYPES: Readonly<Record<string, string>> = {
  [ErrorType.UNAVAILABLE]: 'unavailable',
  [ErrorType.DEADLINE_EXCEEDED]: 'deadline exceeded',
  [ErrorType.TIMEOUT]: 'operation timed out',
  [ErrorType.CANCELLED]: 'call cancelled by the server',
  [ErrorType.NOT_LEADER]: 'no leader (election in progress)',
};

const MAX_DEPTH = 5;

/**
 * Whether `error` says a backing service cannot be reached or is going away — an outage, not a
 * bug — and which one: Node socket errors (refused, reset, timed out; also inside an
 * AggregateError, as Node's connection attempts to several addresses report them), Postgres
 * SQLSTATEs of a shutdown, start-up or full server, node-postgres' own connection and pool-timeout
 * errors, and EventStoreDB's unavailable / deadline / timeout / not-leader errors. Looks through
 * `cause` and `errors` a few levels deep. Undefined for anything else (a bug, a bad statement).
 */
export function classifyUnavailable(error: unknown, depth = 0): Unavailability | undefined {
  if (typeof error !== 'object' || error === null || depth > MAX_DEPTH) return undefined;
  if (error instanceof Error && isCommandError(error)) {
    const reason = EVENTSTOREDB_TYPES[error.type];
    return reason === undefined ? undefined : { dependency: 'EventStoreDB', reason };
  }
  const { code, message, cause, errors } = error as { code?: unknown; message?: unknown; cause?: unknown; errors?: unknown };
  if (typeof code === 'string') {
    if (SOCKET_ERRORS[code] !== undefined) return { dependency: 'postgres', reason: SOCKET_ERRORS[code] };
    if (SQLSTATES[code] !== undefined) return { dependency: 'postgres', reason: SQLSTATES[code] };
    if (/^08[0-9A-Z]{3}$/.test(code)) return { dependency: 'postgres', reason: 'connection exception' };
  }
  if (typeof message === 'string') {
    for (const [pattern, reason] of PG_MESSAGES) if (pattern.test(message)) return { dependency: 'postgres', reason };
  }
  if (Array.isArray(errors)) {
    for (const inner of errors) {
      const found = classifyUnavailable(inner, depth + 1);
      if (found) return found;
    }
  }
  return cause === undefined ? undefined : classifyUnavailable(cause, depth + 1);
}

/**
 * The 503 a request gets when {@link classifyUnavailable} recognises its error: Retry-After
 * {@link UNAVAILABLE_RETRY_AFTER_SECONDS} (RFC 9110 §15.6.4: the server is "currently unable to
 * handle the request due to a temporary overload or scheduled maintenance"), a detail naming the
 * dependency and what happened, never the driver's message (it may name hosts). Undefined otherwise.
 */
export function unavailableError(error: unknown): ScimError | undefined {
  const unavailable = classifyUnavailable(error);
  if (!unavailable) return undefined;
  return new ScimError(
    503,
    undefined,
    `${unavailable.dependency} cannot be reached (${unavailable.reason}); retry after ${UNAVAILABLE_RETRY_AFTER_SECONDS} seconds`,
    { retryAfterSeconds: UNAVAILABLE_RETRY_AFTER_SECONDS },
  );
}
