/**
 * Rebuilds projections from position zero and swaps them in without downtime:
 *   tsx scripts/rebuild.ts [name ...]     (no names: every registered projection)
 * Live runners notice the moved checkpoint at their next batch and carry on from it.
 */
import { projections } from '../projections/registry';
import type { Projection } from '../projections/runtime/projection';
import { rebuildProjection } from '../projections/runtime/rebuild';
import { inlineReads } from '../projections/runtime/runner';
import { loadConfig } from '../shared/config';
import { migrate } from '../shared/db/migrate';
import { createPool } from '../shared/db/pool';
import { createEventStore } from '../shared/eventstore/create-event-store';
import { formatPosition } from '../shared/eventstore/position';
import { createLogger } from '../shared/logging/logger';

const config = loadConfig();
const log = createLogger({ level: config.LOG_LEVEL, name: 'rebuild', format: config.LOG_FORMAT });

function select(names: readonly string[]): Projection[] {
  if (names.length === 0) return projections;
  const known = new Map(projections.map((p) => [p.name, p]));
  const unknown = names.filter((n) => !known.has(n));
  if (unknown.length > 0) {
    throw new Error(`unknown projection(s): ${unknown.join(', ')}; registered: ${[...known.keys()].join(', ') || '(none)'}`);
  }
  return [...new Set(names)].map((n) => known.get(n)!);
}

async function main(names: readonly string[]): Promise<void> {
  const selected = select(names);
  if (selected.length === 0) {
    log.warn('no projections registered in projections/registry.ts; nothing to rebuild');
    return;
  }
  // Ctrl-C stops between pages and drops the half-built schema; the live read model is untouched.
  const interrupted = new AbortController();
  process.once('SIGINT', () => interrupted.abort());
  process.once('SIGTERM', () => interrupted.abort());

  await migrate(config.DATABASE_URL, log);
  const pool = createPool(config.DATABASE_URL, config.DATABASE_POOL_SIZE);
  const store = createEventStore(config, pool, log);
  try {
    for (const projection of selected) {
      const started = Date.now();
      const readCommitted = inlineReads(store, projection);
      const result = await rebuildProjection({ pool, store, projection, log, signal: interrupted.signal, ...(readCommitted ? { readCommitted } : {}) });
      log.info(
        {
          projection: projection.name,
          version: projection.version,
          events: result.events,
          position: result.position && formatPosition(result.position),
          ms: Date.now() - started,
        },
        'projection rebuilt',
      );
    }
  } finally {
    await store.close();
    await pool.end();
  }
}

main(process.argv.slice(2)).catch((err: unknown) => {
  log.fatal({ err }, 'rebuild failed');
  process.exitCode = 1;
});
