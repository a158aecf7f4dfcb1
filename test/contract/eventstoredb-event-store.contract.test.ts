import { createEventStoreDbEventStore } from '../../shared/eventstore/eventstoredb/eventstoredb-event-store';
import { describeEventStoreContract } from './event-store.contract';

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
