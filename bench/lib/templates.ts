/**
 * Seeded databases kept between runs as templates in the bench cluster: seeding 100,000 users
 * through the event store and letting the service project them takes minutes, the measures
 * seconds. A template is named after its size and a hash of everything that decides its content
 * (migrations, the event store, the projections, the write side's keys, the seeder), so a change
 * to any of them makes a new one; each benchmark copies it (CREATE DATABASE ... TEMPLATE) and
 * works on the copy.
 */
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import type { BenchCluster } from './cluster';
import { openSeeder, TEMPLATE_RUN } from './seed';
import { deleteTopics, ROOT, startService } from './service';
import { setTimeout as delay } from 'node:timers/promises';

const INPUTS = ['shared/db/migrations', 'shared/eventstore', 'shared/uniqueness', 'shared/domain', 'projections', 'services/scim-api/commands', 'bench/lib/seed.ts', 'bench/lib/entra.ts', 'bench/lib/templates.ts'];

function filesUnder(relative: string): string[] {
  const full = path.join(ROOT, relative);
  if (!statSync(full, { throwIfNoEntry: false })) return [];
  if (statSync(full).isFile()) return [full];
  return readdirSync(full, { withFileTypes: true }).flatMap((entry) => filesUnder(path.join(relative, entry.name)));
}

function contentHash(): string {
  const hash = createHash('sha256');
  for (const file of INPUTS.flatMap(filesUnder).sort()) hash.update(file).update(readFileSync(file));
  return hash.digest('hex').slice(0, 10);
}

/**
 * The name of a template database `key` (letters, digits, underscores), built on first use by
 * `seed` (given the database's URL), then by the service itself: started on it, it projects the
 * seeded events and its publisher sends them (to a throwaway topic), so a copy starts with its
 * read model built and its publisher caught up. Progress goes to stderr.
 */
export async function cachedTemplate(cluster: BenchCluster, key: string, seed: (url: string) => Promise<void>): Promise<string> {
  const name = `bench_tpl_${key}_${contentHash()}`;
  if (await cluster.databaseExists(name)) return name;
  // Older templates of this key (another version of the code) only take disk space.
  const stale = await cluster.query<{ datname: string }>(`SELECT datname FROM pg_database WHERE datname ~ $1 AND datname <> $2`, [`^bench_tpl_${key}_[0-9a-f]+$`, name]);
  for (const { datname } of stale) await cluster.dropDatabase(datname);

  const building = `${name}_building`;
  await cluster.dropDatabase(building);
  await cluster.createDatabase(building);
  const started = Date.now();
  await seed(cluster.url(building));
  const service = await startService({ databaseUrl: cluster.url(building), label: `template-${key}`, startTimeoutMs: 3 * 3600_000 });
  try {
    await publisherCaughtUp(service.origin, 3 * 3600_000);
  } finally {
    await service.stop();
    await deleteTopics([service.kafkaTopic]);
  }
  await cluster.query(`VACUUM ANALYZE`, [], building);
  process.stderr.write(`  template ${key} built in ${((Date.now() - started) / 1000).toFixed(0)} s\n`);
  await cluster.query(`ALTER DATABASE "${building}" RENAME TO "${name}"`);
  return name;
}

/**
 * A template holding `users` users: userNameOf(TEMPLATE_RUN, n) for n < users, their events and
 * unique keys seeded through the event-store port, and the read model the service projected.
 */
export function usersTemplate(cluster: BenchCluster, users: number): Promise<string> {
  return cachedTemplate(cluster, `users_${users}`, async (url) => {
    const started = Date.now();
    const seeder = await openSeeder(url);
    let reported = 0;
    try {
      await seeder.users(TEMPLATE_RUN, 0, users, (done) => {
        if (done - reported >= 50_000 || done === users) {
          reported = done;
          process.stderr.write(`  template of ${users} users: ${done} seeded (${((Date.now() - started) / 1000).toFixed(0)} s)\n`);
        }
      });
    } finally {
      await seeder.close();
    }
  });
}

/** Waits until the service's /metrics says its publisher has every event acknowledged by Kafka. */
export async function publisherCaughtUp(origin: string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const text = await (await fetch(`${origin}/metrics`)).text();
    const behind = /^scim_publisher_events_behind (\S+)/m.exec(text)?.[1];
    if (behind === undefined) return; // no publisher metric: nothing to wait for
    if (Number(behind) === 0) return;
    if (Date.now() > deadline) throw new Error(`the publisher is still ${behind} events behind`);
    await delay(1_000);
  }
}
