import { logPages } from '../../shared/audit/log';
import type { EventStore, RecordedEvent } from '../../shared/eventstore/port';
import type { Position } from '../../shared/eventstore/position';

/** Every event of the store after `after` (exclusive; from the start without it), in global order, read page by page with logPages. */
export async function eventsAfter(store: EventStore, after?: Position | null): Promise<RecordedEvent[]> {
  const events: RecordedEvent[] = [];
  for await (const page of logPages(store, { after })) events.push(...page);
  return events;
}
