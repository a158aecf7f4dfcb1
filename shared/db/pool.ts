import { Pool, types, type PoolClient } from 'pg';

// int8 (bigint) columns carry stream revisions and positions: keep them exact.
types.setTypeParser(types.builtins.INT8, (v) => BigInt(v));

export type { Pool, PoolClient } from 'pg';

export function createPool(connectionString: string, max = 10): Pool {
  const pool = new Pool({ connectionString, max });
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
