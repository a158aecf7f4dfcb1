import { Pool, types, type PoolClient } from 'pg';

// int8 (bigint) columns carry stream revisions and positions: keep them exact.
types.setTypeParser(types.builtins.INT8, (v) => BigInt(v));

export type { Pool, PoolClient } from 'pg';

export interface PoolOptions {
  /**
   * Postgres cancels any statement on these connections that runs longer (SQLSTATE 57014). Sent
   * as a startup parameter, so it costs no round trip. Unset: no limit.
   */
  readonly statementTimeoutMs?: number;
  /**
   * False turns Postgres's JIT compilation off on these connections (`-c jit=off`). A filter of
   * many EXISTS clauses over a small read model is estimated costly enough to be compiled, and the
   * compilation alone can take a hundred times longer than the query.
   */
  readonly jit?: boolean;
  /**
   * How long `connect()` (and so `query()`) waits for a connection, a free one of the pool or a new
   * one to the server, before it fails with "timeout exceeded when trying to connect" (a 503 on the
   * API, shared/infrastructure/unavailable.ts). Unset: node-postgres waits for ever.
   */
  readonly connectTimeoutMs?: number;
}

export function createPool(connectionString: string, max = 10, { statementTimeoutMs, jit, connectTimeoutMs }: PoolOptions = {}): Pool {
  const pool = new Pool({
    connectionString,
    max,
    ...(connectTimeoutMs === undefined ? {} : { connectionTimeoutMillis: connectTimeoutMs }),
    ...(statementTimeoutMs === undefined ? {} : { statement_timeout: statementTimeoutMs }),
    ...(jit === false ? { options: '-c jit=off' } : {}),
  });
  // An idle client that loses its connection emits here; without a listener the process dies.
  pool.on('error', () => undefined);
  return pool;
}

export async function inTransaction<T>(pool: Pool, work: (client: PoolClient) => Promise<T>): Promise<T> {
  const client = await pool.connect();
  // A connection that dies mid-transaction emits 'error' on the client; the failed query already
  // rejects with it, and without a listener the process would crash.
  const ignore = () => undefined;
  client.on('error', ignore);
  try {
    await client.query('begin');
    const result = await work(client);
    await client.query('commit');
    return result;
  } catch (error) {
    await client.query('rollback').catch(() => undefined);
    throw error;
  } finally {
    client.off('error', ignore);
    client.release();
  }
}
