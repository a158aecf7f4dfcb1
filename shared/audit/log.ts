import type { EventStore, RecordedEvent } from '../eventstore/port';
import type { Position } from '../eventstore/position';

/** Events per page when the audit tool reads the global log. */
export const LOG_PAGE_SIZE = 1000;

/**
 * The global log after `after` (exclusive; from the start without it), page by page in log
 * order, up to its end as the store answers when each page is asked for. Only one page is held
 * at a time: the reader's memory does not grow with the log.
 */
export async function* logPages(
  store: EventStore,
  options: { readonly after?: Position | null; readonly pageSize?: number; readonly signal?: AbortSignal } = {},
): AsyncGenerator<RecordedEvent[]> {
  let after = options.after ?? undefined;
  const pageSize = options.pageSize ?? LOG_PAGE_SIZE;
  for (;;) {
    options.signal?.throwIfAborted();
    const page = await store.readAll({ ...(after ? { after } : {}), maxCount: pageSize });
    if (page.length === 0) return;
    yield page;
    after = page[page.length - 1]!.position;
    if (page.length < pageSize) return;
  }
}

/**
 * Every event so far of the streams whose ids start with one of `prefixes`, in log order: a
 * subscription filtered by the store (the Postgres store drops other rows in SQL, EventStoreDB on
 * the server), ended once it has caught up with the log.
 */
export async function* streamsWithPrefix(store: EventStore, prefixes: readonly string[], signal?: AbortSignal): AsyncGenerator<RecordedEvent> {
  const subscription = store.subscribeToAll({ filter: { streamPrefixes: prefixes } });
  try {
    for await (const message of subscription) {
      signal?.throwIfAborted();
      if (message.kind === 'event') yield message.event;
      else if (message.kind === 'caughtUp') return;
    }
  } finally {
    await subscription.unsubscribe();
  }
}
