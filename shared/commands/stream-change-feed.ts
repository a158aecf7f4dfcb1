import type { Pool } from '../db/pool';
import type { EventStore } from '../eventstore/port';
import { NotificationListener } from '../eventstore/postgres/listener';
import { DEFAULT_NOTIFY_CHANNEL } from '../eventstore/postgres/postgres-event-store';
import type { Logger } from '../logging/logger';
import { StreamStates } from './stream-states';

/** What a process hears about appends made anywhere. */
export interface StreamChangeObserver {
  /** The stream's last event now has this revision. */
  changed(streamId: string, revision: bigint): void;
  /** Appends may go unheard from now on (the feed is down). */
  pause(): void;
  /** Every append is heard again (what happened meanwhile is unknown). */
  resume(): void;
}

/**
 * Feeds `observer` from the event store's notifications (channel `event_store`, payload
 * `<stream id> <revision>`, sent by every append with the Postgres store and by the two-phase
 * writer after an EventStoreDB append). A lost LISTEN connection pauses the observer until it is back.
 * @returns a function that stops the feed.
 */
export function observeStreamChanges(listener: NotificationListener, observer: StreamChangeObserver): () => void {
  return listener.observe({
    notified(payload) {
      const change = parseStreamChange(payload);
      if (change) observer.changed(change.streamId, change.revision);
    },
    connected: () => observer.resume(),
    lost: () => observer.pause(),
  });
}

/** `'<stream id> <revision>'` as sent by appends; undefined for anything else (an old empty payload). */
export function parseStreamChange(payload: string): { streamId: string; revision: bigint } | undefined {
  const space = payload.lastIndexOf(' ');
  if (space <= 0) return undefined;
  const revision = payload.slice(space + 1);
  if (!/^-?\d+$/.test(revision)) return undefined;
  return { streamId: payload.slice(0, space), revision: BigInt(revision) };
}

/**
 * The process's StreamStates, trusted while a LISTEN connection of its own (on the event store's
 * channel) hears every append; snapshots in `pool`'s database.
 * @returns the states and a function that closes the connection.
 */
export function followedStreamStates({ pool, store, log, channel = DEFAULT_NOTIFY_CHANNEL }: { pool: Pool; store: EventStore; log?: Logger; channel?: string }): {
  states: StreamStates;
  close(): Promise<void>;
} {
  const states = new StreamStates({ store, pool });
  const listener = new NotificationListener({ ...pool.options, application_name: 'stream-state-feed', keepAlive: true }, channel, log);
  const stop = observeStreamChanges(listener, states);
  return {
    states,
    async close() {
      stop();
      states.pause();
      await listener.close();
    },
  };
}
