export { createEventStoreDbEventStore, type EventStoreDbOptions } from './eventstoredb-event-store';
export { EventDecodingError } from './mapping';
export { SubscriptionEndedError } from './subscription';
