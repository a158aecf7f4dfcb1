/**
 * The reference of bench/rebuild.bench.ts, on DATABASE_URL: every row of the rebuilt read models
 * (scim_read and platform_read) exported once to server-side binary files, then loaded with
 * COPY ... FROM (timed, one session) into empty tables created LIKE them INCLUDING ALL. Prints
 * the rows per table and each repeat's milliseconds as JSON.
 */
import { rmSync } from 'node:fs';
import pg from 'pg';

async function main(): Promise<void> {
  const repeats = Number(process.env.REPEATS ?? 2);
  const session = new pg.Client({ connectionString: process.env.DATABASE_URL!, application_name: 'bench-copy' });
  await session.connect();
  const tables = (
    await session.query<{ table_schema: string; table_name: string }>(
      `SELECT table_schema, table_name FROM information_schema.tables WHERE table_schema = ANY($1) AND table_type = 'BASE TABLE' ORDER BY 1, 2`,
      [['scim_read', 'platform_read']],
    )
  ).rows.map((t) => ({ source: `${t.table_schema}."${t.table_name}"`, name: `${t.table_schema}_${t.table_name}` }));
  const rows: Record<string, number> = {};
  for (const t of tables) rows[t.source] = Number((await session.query(`SELECT count(*) AS n FROM ${t.source}`)).rows[0].n);
  await session.query(`DROP SCHEMA IF EXISTS bench_copy CASCADE; CREATE SCHEMA bench_copy; ${tables.map((t) => `CREATE TABLE bench_copy."${t.name}" (LIKE ${t.source} INCLUDING ALL);`).join(' ')}`);
  const file = (name: string) => `/tmp/prof_rebuild_copy_${process.pid}_${name}.bin`;
  const copyMs: number[] = [];
  try {
    for (const t of tables) await session.query(`COPY ${t.source} TO '${file(t.name)}' (FORMAT binary)`);
    for (let r = 0; r < repeats; r++) {
      await session.query(tables.map((t) => `TRUNCATE bench_copy."${t.name}";`).join(' '));
      const started = performance.now();
      for (const t of tables) await session.query(`COPY bench_copy."${t.name}" FROM '${file(t.name)}' (FORMAT binary)`);
      copyMs.push(performance.now() - started);
      process.stderr.write(`  COPY ${r + 1}/${repeats}: ${copyMs.at(-1)!.toFixed(0)} ms\n`);
    }
  } finally {
    for (const t of tables) rmSync(file(t.name), { force: true });
    await session.query('DROP SCHEMA IF EXISTS bench_copy CASCADE');
    await session.end();
  }
  process.stdout.write(`${JSON.stringify({ rows, total: Object.values(rows).reduce((a, b) => a + b, 0), copyMs }, null, 2)}\n`);
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
