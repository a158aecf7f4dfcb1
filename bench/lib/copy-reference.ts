import { rmSync } from 'node:fs';
import pg from 'pg';

export interface CopyReference {
  /** The tables copied, as `schema."table"`, in order. */
  readonly tables: readonly string[];
  /** Rows of each table, by `schema."table"`. */
  readonly rowsByTable: Readonly<Record<string, number>>;
  /** Rows of all the tables. */
  readonly rows: number;
  /** Each repeat's time (ms) to load every table with COPY … FROM. */
  readonly copyMs: readonly number[];
}

/**
 * Postgres COPY of the rows a read model holds, the reference the rebuild is measured against:
 * every base table of `schemas` in `databaseUrl` is exported once to a server-side binary file
 * (not timed), then loaded `repeats` times with COPY … FROM, in one session, into empty tables
 * created LIKE it INCLUDING ALL (the same indexes), as a bulk load would write rows and indexes.
 * The scratch schema `bench_copy` and the files are removed afterwards. The server must be local
 * (its files go to /tmp).
 */
export async function copyReference(databaseUrl: string, schemas: readonly string[], repeats: number): Promise<CopyReference> {
  const session = new pg.Client({ connectionString: databaseUrl, application_name: 'bench-copy' });
  await session.connect();
  const file = (name: string) => `/tmp/bench_copy_${process.pid}_${name}.bin`;
  let tables: { source: string; name: string }[] = [];
  try {
    tables = (
      await session.query<{ table_schema: string; table_name: string }>(
        `SELECT table_schema, table_name FROM information_schema.tables WHERE table_schema = ANY($1) AND table_type = 'BASE TABLE' ORDER BY table_schema, table_name`,
        [schemas],
      )
    ).rows.map((t) => ({ source: `${t.table_schema}."${t.table_name}"`, name: `${t.table_schema}_${t.table_name}` }));
    const rowsByTable: Record<string, number> = {};
    for (const { source } of tables) rowsByTable[source] = Number((await session.query<{ n: string }>(`SELECT count(*) AS n FROM ${source}`)).rows[0]!.n);
    await session.query(
      `DROP SCHEMA IF EXISTS bench_copy CASCADE; CREATE SCHEMA bench_copy; ${tables.map((t) => `CREATE TABLE bench_copy."${t.name}" (LIKE ${t.source} INCLUDING ALL);`).join(' ')}`,
    );
    for (const { source, name } of tables) await session.query(`COPY ${source} TO '${file(name)}' (FORMAT binary)`);
    const copyMs: number[] = [];
    for (let r = 0; r < repeats; r++) {
      await session.query(tables.map((t) => `TRUNCATE bench_copy."${t.name}";`).join(' '));
      const started = performance.now();
      for (const { name } of tables) await session.query(`COPY bench_copy."${name}" FROM '${file(name)}' (FORMAT binary)`);
      copyMs.push(performance.now() - started);
      process.stderr.write(`  COPY ${r + 1}/${repeats}: ${copyMs.at(-1)!.toFixed(0)} ms\n`);
    }
    return { tables: tables.map((t) => t.source), rowsByTable, rows: Object.values(rowsByTable).reduce((a, b) => a + b, 0), copyMs };
  } finally {
    for (const { name } of tables) rmSync(file(name), { force: true });
    await session.query('DROP SCHEMA IF EXISTS bench_copy CASCADE').catch(() => undefined);
    await session.end();
  }
}
