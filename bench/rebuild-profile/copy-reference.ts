/**
 * The COPY reference of bench/rebuild.bench.ts (bench/lib/copy-reference.ts) on DATABASE_URL's
 * rebuilt read models: prints the rows per table and each repeat's milliseconds as JSON.
 */
import { copyReference } from '../lib/copy-reference';

async function main(): Promise<void> {
  const { rowsByTable, rows, copyMs } = await copyReference(process.env.DATABASE_URL!, ['scim_read', 'platform_read'], Number(process.env.REPEATS ?? 2));
  process.stdout.write(`${JSON.stringify({ rows: rowsByTable, total: rows, copyMs }, null, 2)}\n`);
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
