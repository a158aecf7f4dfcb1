/**
 * What every benchmark needs: the bench cluster, fresh databases, the service and peers as
 * processes, and a cleanup that stops and drops whatever the run made, also when it fails.
 */
import { ensureCluster, type BenchCluster } from './cluster';
import { deleteTopics, startService, type Service, type ServiceOptions } from './service';

export interface BenchContext {
  readonly cluster: BenchCluster;
  /** The server, for the reports. */
  readonly postgres: string;
  /** A fresh, empty database (or a copy of `template`); dropped at cleanup. */
  database(label: string, template?: string): Promise<string>;
  /** The service on a database of this context; stopped (and its topic deleted) at cleanup. */
  service(database: string, label: string, options?: Partial<ServiceOptions>): Promise<Service>;
  onCleanup(fn: () => Promise<void>): void;
  cleanup(): Promise<void>;
}

export async function benchContext(name: string): Promise<BenchContext> {
  const cluster = await ensureCluster();
  const postgres = await cluster.describe();
  const cleanups: (() => Promise<void>)[] = [];
  const tag = `${name.replace(/[^a-z0-9]+/gi, '_')}_${process.pid}`;
  return {
    cluster,
    postgres,
    async database(label, template) {
      const database = `bench_${tag}_${label}`.toLowerCase().slice(0, 63);
      await cluster.dropDatabase(database);
      await cluster.createDatabase(database, template);
      cleanups.push(() => cluster.dropDatabase(database));
      return database;
    },
    async service(database, label, options = {}) {
      const service = await startService({ databaseUrl: cluster.url(database), label: `${name}-${label}`, ...options });
      cleanups.push(async () => {
        await service.stop();
        await deleteTopics([service.kafkaTopic]);
      });
      return service;
    },
    onCleanup(fn) {
      cleanups.push(fn);
    },
    async cleanup() {
      for (const fn of cleanups.splice(0).reverse()) {
        await fn().catch((error: unknown) => console.error(`cleanup of ${name}:`, error));
      }
    },
  };
}
