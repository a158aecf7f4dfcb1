/**
 * Seeds USERS users into DATABASE_URL exactly as bench/lib/templates.ts's usersTemplate does
 * (bench/lib/seed.ts: events and unique keys through the event-store port), then VACUUM ANALYZE
 * as the template does. Used instead of the bench's template because helpers may not start the
 * bench's own cluster; the store is the same.
 */
import pg from 'pg';
import { openSeeder, TEMPLATE_RUN } from '../lib/seed';

async function main(): Promise<void> {
  const url = process.env.DATABASE_URL!;
  const users = Number(process.env.USERS ?? 100_000);
  const started = Date.now();
  const seeder = await openSeeder(url);
  try {
    let reported = 0;
    await seeder.users(TEMPLATE_RUN, 0, users, (done) => {
      if (done - reported >= 20_000 || done === users) {
        reported = done;
        process.stderr.write(`  ${done} seeded (${((Date.now() - started) / 1000).toFixed(0)} s)\n`);
      }
    });
  } finally {
    await seeder.close();
  }
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  await client.query('VACUUM ANALYZE');
  await client.end();
  process.stderr.write(`seeded ${users} users in ${((Date.now() - started) / 1000).toFixed(0)} s\n`);
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
