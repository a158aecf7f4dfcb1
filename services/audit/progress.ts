import { Presets, SingleBar } from 'cli-progress';
import type { EventStore } from '../../shared/eventstore/port';
import type { Position } from '../../shared/eventstore/position';

/** Told how far a long piece of work has come through the log. */
export interface Progress {
  /** `events` handled so far; `position` the last one's place in the log. */
  update(events: number, position: Position): void;
  /** Ends the bar (the line stays, complete or where it stopped). */
  stop(): void;
}

export const NO_PROGRESS: Progress = { update: () => undefined, stop: () => undefined };

/**
 * How far through the log a position is, as one number that grows with it: the Postgres store's
 * global_position (a sequence, in order but for concurrent commits), EventStoreDB's commit
 * position (a byte offset in its log). Good enough for a bar and its ETA, never for ordering.
 */
export function logOrdinal(kind: EventStore['kind'], position: Position): number {
  return Number(kind === 'postgres' ? position.prepare : position.commit);
}

const rate = (events: number, startedAt: number) => {
  const seconds = (Date.now() - startedAt) / 1000;
  return seconds > 0 ? Math.round(events / seconds).toLocaleString('en-US') : '…';
};

/**
 * A progress bar on stderr with the rate (events/s) and the ETA, for work that reads the log from
 * `from` towards `to` (null: from the start); shown only when stderr is a terminal and `enabled`
 * (not with --json or --quiet), so piped or logged output gets no bar and no control characters.
 */
export function progressBar(title: string, kind: EventStore['kind'], from: Position | null, to: Position | null, enabled: boolean): Progress {
  if (!enabled || !process.stderr.isTTY || to === null) return NO_PROGRESS;
  const start = from === null ? 0 : logOrdinal(kind, from);
  const total = Math.max(1, logOrdinal(kind, to) - start);
  const startedAt = Date.now();
  const bar = new SingleBar(
    {
      format: `${title} {bar} {percentage}% | {events} events | {rate} events/s | ETA {eta_formatted}`,
      stream: process.stderr,
      hideCursor: true,
      etaBuffer: 200,
      fps: 5,
    },
    Presets.shades_classic,
  );
  bar.start(total, 0, { events: 0, rate: '…' });
  return {
    update(events, position) {
      bar.update(Math.min(total, Math.max(0, logOrdinal(kind, position) - start)), { events: events.toLocaleString('en-US'), rate: rate(events, startedAt) });
    },
    stop() {
      bar.stop();
    },
  };
}
