import { Client } from 'pg';
import { databaseName, withDatabase } from './connection-string';

function quoteIdentifier(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}

/** Creates the database DATABASE_URL names when it does not exist; safe to race. */
export async function ensureDatabase(connectionString: string): Promise<boolean> {
  const name = databaseName(connectionString);
  const admin = new Client({ connectionString: withDatabase(connectionString, 'postgres') });
  await admin.connect();
  try {
    const found = await admin.query('select 1 from pg_database where datname = $1', [name]);
    if (found.rowCount) return false;
    try {
      await admin.query(`create database ${quoteIdentifier(name)}`);
      return true;
    } catch (error) {
      // 42P04 duplicate_database, 23505 when two creators race on pg_database's unique index
      const code = (error as { code?: string }).code;
      if (code === '42P04' || code === '23505') return false;
      throw error;
    }
  } finally {
    await admin.end();
  }
}

export async function dropDatabase(connectionString: string): Promise<void> {
  const name = databaseName(connectionString);
  const admin = new Client({ connectionString: withDatabase(connectionString, 'postgres') });
  await admin.connect();
  try {
    await admin.query(`drop database if exists ${quoteIdentifier(name)} with (force)`);
  } finally {
    await admin.end();
  }
}
