import type { Config } from '../config';
import type { Pool } from '../db/pool';
import type { Logger } from '../logging/logger';
import { createEventStoreDbEventStore } from './eventstoredb/eventstoredb-event-store';
import type { EventStore } from './port';
import { createPostgresEventStore } from './postgres/postgres-event-store';

/** The adapter EVENT_STORE names; the Postgres one shares the service's pool. */
export function createEventStore(config: Pick<Config, 'EVENT_STORE' | 'EVENTSTOREDB_URL'>, pool: Pool, log: Logger): EventStore {
  if (config.EVENT_STORE === 'eventstoredb') {
    // The config schema guarantees the URL when EVENT_STORE=eventstoredb.
    return createEventStoreDbEventStore({ connectionString: config.EVENTSTOREDB_URL!, log: log.child({ component: 'eventstoredb' }) });
  }
  return createPostgresEventStore({ pool, log: log.child({ component: 'postgres-event-store' }) });
}
