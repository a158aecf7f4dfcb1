import { createEventStoreDbEventStore } from '../../shared/eventstore/eventstoredb/eventstoredb-event-store';
import { createTestDatabase } from '../helpers/postgres';
import { describeEventStoreContract } from './event-store.contract';
import { describeWritePathUnderFaults } from './write-path-faults.contract';

// The jest global setup found the server (EVENTSTOREDB_URL or testcontainers) or recorded why not.
const url = process.env.EVENTSTOREDB_URL;
const skip = url ? undefined : (process.env.EVENTSTOREDB_SKIP_REASON ?? 'EVENTSTOREDB_URL is not set');

describeEventStoreContract(
  'eventstoredb',
  async () => {
    const store = createEventStoreDbEventStore({ connectionString: url! });
    return { store, teardown: () => store.close() };
  },
  skip === undefined ? {} : { skip },
);

// The write path keeps its unique keys in Postgres beside EventStoreDB's log, as the service does.
describeWritePathUnderFaults(
  'eventstoredb',
  async () => {
    const store = createEventStoreDbEventStore({ connectionString: url! });
    const db = await createTestDatabase('esdb_write_path');
    return {
      store,
      pool: db.pool,
      teardown: async () => {
        await store.close();
        await db.drop();
      },
    };
  },
  skip === undefined ? {} : { skip },
);
