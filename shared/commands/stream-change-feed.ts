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
 * One LISTEN connection of the process's own on the event store's channel, telling every observer
 * about appends anywhere: the StreamStates it makes (snapshots in `pool`'s database) and caches of
 * other write-model tables (SCIM tokens).
 */
export class StreamChangeFeed {
  readonly states: StreamStates;
  private readonly listener: NotificationListener;
  private readonly stops: (() => void)[] = [];

  constructor({ pool, store, log, channel = DEFAULT_NOTIFY_CHANNEL }: { pool: Pool; store: EventStore; log?: Logger; channel?: string }) {
    this.states = new StreamStates({ store, pool });
    this.listener = new NotificationListener({ ...pool.options, application_name: 'stream-change-feed', keepAlive: true }, channel, log);
    this.observe(this.states);
  }

  /** Tells `observer` every change from now on; it starts paused until the connection is up. */
  observe(observer: StreamChangeObserver): () => void {
    const stop = observeStreamChanges(this.listener, observer);
    this.stops.push(stop);
    return stop;
  }

  async close(): Promise<void> {
    for (const stop of this.stops.splice(0)) stop();
    this.states.pause();
    await this.listener.close();
  }
}
