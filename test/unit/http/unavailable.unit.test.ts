import { DeadlineExceededError, NotLeaderError, StreamNotFoundError, TimeoutError, UnavailableError, WrongExpectedVersionError } from '@eventstore/db-client';
import { DatabaseError } from 'pg';
import { classifyUnavailable, unavailableError, UNAVAILABLE_RETRY_AFTER_SECONDS } from '../../../shared/infrastructure/unavailable';
import { toScimError } from '../../../services/scim-api/scim/error-middleware';

/** A Postgres error as node-postgres raises it: a DatabaseError with the server's SQLSTATE in `code`. */
function pgError(code: string, message: string): DatabaseError {
  const error = new DatabaseError(message, message.length, 'error');
  error.code = code;
  return error;
}

const socketError = (code: string, message = `connect ${code} 127.0.0.1:5432`) => Object.assign(new Error(message), { code, errno: -111, syscall: 'connect' });

describe('classifyUnavailable: outages, not bugs', () => {
  it.each([
    ['ECONNREFUSED (nothing listens)', socketError('ECONNREFUSED'), 'postgres', 'connection refused'],
    ['ECONNRESET', socketError('ECONNRESET', 'read ECONNRESET'), 'postgres', 'connection reset'],
    ['ETIMEDOUT', socketError('ETIMEDOUT'), 'postgres', 'connection timed out'],
    ['57P01 terminated by administrator', pgError('57P01', 'terminating connection due to administrator command'), 'postgres', 'connection terminated by the administrator'],
    ['57P02 crash shutdown', pgError('57P02', 'terminating connection because of crash of another server process'), 'postgres', 'server crashed'],
    ['57P03 cannot connect now', pgError('57P03', 'the database system is starting up'), 'postgres', 'server starting up or shutting down'],
    ['53300 too many connections', pgError('53300', 'sorry, too many clients already'), 'postgres', 'too many connections'],
    ['08006 connection failure', pgError('08006', 'connection failure'), 'postgres', 'connection exception'],
    ['pg: Connection terminated unexpectedly', new Error('Connection terminated unexpectedly'), 'postgres', 'connection terminated'],
    ['pg-pool: connection timeout', new Error('Connection terminated due to connection timeout'), 'postgres', 'connection terminated'],
    ['pg-pool: pool timeout', new Error('timeout exceeded when trying to connect'), 'postgres', 'no connection within the pool timeout'],
    ['pg: not queryable', new Error('Client has encountered a connection error and is not queryable'), 'postgres', 'connection lost'],
    ['EventStoreDB unavailable', new UnavailableError(), 'EventStoreDB', 'unavailable'],
    ['EventStoreDB deadline exceeded', new DeadlineExceededError(), 'EventStoreDB', 'deadline exceeded'],
    ['EventStoreDB commit timeout', new TimeoutError(), 'EventStoreDB', 'operation timed out'],
  ])('%s → 503 naming the dependency', (_name, error, dependency, reason) => {
    expect(classifyUnavailable(error)).toEqual({ dependency, reason });
  });

  it('looks inside an AggregateError (Node trying ::1 and 127.0.0.1) and through `cause`', () => {
    const aggregate = Object.assign(new AggregateError([socketError('ECONNREFUSED'), socketError('ECONNREFUSED')], ''), {});
    expect(classifyUnavailable(aggregate)).toEqual({ dependency: 'postgres', reason: 'connection refused' });
    expect(classifyUnavailable(new Error('append failed', { cause: new UnavailableError() }))).toEqual({ dependency: 'EventStoreDB', reason: 'unavailable' });
  });

  it.each([
    ['a TypeError (a bug)', new TypeError("Cannot read properties of undefined (reading 'id')")],
    ['a syntax error in SQL (42601)', pgError('42601', 'syntax error at or near "SELEC"')],
    ['a unique violation (23505)', pgError('23505', 'duplicate key value violates unique constraint')],
    ['a statement timeout (57014), which the read path answers itself', pgError('57014', 'canceling statement due to statement timeout')],
    ['EventStoreDB stream not found', new StreamNotFoundError(undefined, 'user-1')],
    ['EventStoreDB wrong expected version', new WrongExpectedVersionError(undefined, { streamName: 'user-1', expected: 1n, current: 2n })],
    ['a plain object that looks like the client\'s error', { type: 'unavailable' }],
    ['a string', 'ECONNREFUSED'],
    ['null', null],
  ])('%s stays a bug (undefined)', (_name, error) => {
    expect(classifyUnavailable(error)).toBeUndefined();
  });

  it('counts a follower without a leader as an outage (an election)', () => {
    const notLeader = Object.create(NotLeaderError.prototype) as NotLeaderError;
    Object.assign(notLeader, { type: 'not-leader', message: 'not leader' });
    expect(classifyUnavailable(notLeader)).toEqual({ dependency: 'EventStoreDB', reason: 'no leader (election in progress)' });
  });
});

describe('the 503 of an outage', () => {
  it('carries Retry-After and a detail naming the dependency, never the driver\'s message', () => {
    const error = unavailableError(socketError('ECONNREFUSED', 'connect ECONNREFUSED 10.1.2.3:5432'))!;
    expect(error.status).toBe(503);
    expect(error.scimType).toBeUndefined();
    expect(error.headers.retryAfterSeconds).toBe(UNAVAILABLE_RETRY_AFTER_SECONDS);
    expect(error.detail).toBe(`postgres cannot be reached (connection refused); retry after ${UNAVAILABLE_RETRY_AFTER_SECONDS} seconds`);
    expect(error.detail).not.toContain('10.1.2.3');
  });

  it('is what the SCIM (and admin) error rendering makes of it; a bug stays unknown there (500)', () => {
    expect(toScimError(pgError('57P01', 'terminating connection due to administrator command'))).toMatchObject({ status: 503, headers: { retryAfterSeconds: 5 } });
    expect(toScimError(new TypeError('x is not a function'))).toBeUndefined();
  });
});
