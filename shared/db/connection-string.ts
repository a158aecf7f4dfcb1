/** The database a connection string names, and the same server's maintenance database. */
export function databaseName(connectionString: string): string {
  const url = new URL(connectionString);
  const name = decodeURIComponent(url.pathname.replace(/^\//, ''));
  if (!name) throw new Error('DATABASE_URL names no database');
  return name;
}

export function withDatabase(connectionString: string, database: string): string {
  const url = new URL(connectionString);
  url.pathname = `/${encodeURIComponent(database)}`;
  return url.toString();
}

/** For logs: the URL without its password. */
export function redactConnectionString(connectionString: string): string {
  const url = new URL(connectionString);
  if (url.password) url.password = 'redacted';
  return url.toString();
}
