import type { RecordedEvent } from '../eventstore/port';
import { comparePositions, formatPosition, parsePosition, type Position } from '../eventstore/position';
import { ScimError } from '../scim/errors';

/**
 * A point in the history: a time (the events that occurred at or before it), or a position in
 * the global log (the events at or before it). Two events of one request share their time, so
 * only a position can fall between them.
 */
export type Instant =
  | { readonly kind: 'time'; readonly time: Date }
  | { readonly kind: 'position'; readonly position: Position };

const POSITION = /^\d+\/\d+$/;
/** RFC 3339 date-time with an offset or Z; fractions of a second optional. */
const DATE_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:\d{2})$/i;
const DATE = /^\d{4}-\d{2}-\d{2}$/;

/** Bad input: names what was expected. HTTP 400 where an API passes it on. */
export class InstantSyntaxError extends ScimError {
  constructor(text: string, what: string) {
    super(
      400,
      'invalidValue',
      `${what} ${JSON.stringify(text)} is neither a time (RFC 3339, e.g. 2026-03-01T09:30:00Z, or a date, 2026-03-01, meaning its start in UTC) nor a log position (<commit>/<prepare>, e.g. 7514/1202)`,
    );
    this.name = 'InstantSyntaxError';
  }
}

/**
 * `2026-03-01T09:30:00Z` (an offset is required, so a time never depends on the reader's zone),
 * `2026-03-01` (00:00 UTC that day), or a position `7514/1202` as history and export print them.
 * @throws InstantSyntaxError for anything else; `what` names the argument in the message.
 */
export function parseInstant(text: string, what = 'instant'): Instant {
  const value = text.trim();
  if (POSITION.test(value)) return { kind: 'position', position: parsePosition(value) };
  const iso = DATE.test(value) ? `${value}T00:00:00Z` : value;
  if (!DATE_TIME.test(iso)) throw new InstantSyntaxError(text, what);
  const time = new Date(iso);
  if (Number.isNaN(time.getTime())) throw new InstantSyntaxError(text, what);
  return { kind: 'time', time };
}

export function formatInstant(instant: Instant): string {
  return instant.kind === 'time' ? instant.time.toISOString() : formatPosition(instant.position);
}

/** When the event happened: its `metadata.occurredAt` (when the service decided it), else when it was recorded. */
export function occurredAt(event: Pick<RecordedEvent, 'metadata' | 'recordedAt'>): string {
  const value = event.metadata.occurredAt;
  return typeof value === 'string' && !Number.isNaN(Date.parse(value)) ? value : event.recordedAt.toISOString();
}

/** Whether the event happened at or before the instant. */
export function reached(event: RecordedEvent, instant: Instant): boolean {
  if (instant.kind === 'position') return comparePositions(event.position, instant.position) <= 0;
  return Date.parse(occurredAt(event)) <= instant.time.getTime();
}

/**
 * The events of one stream up to the instant: its longest prefix whose events all happened at or
 * before it. A stream is never folded with a gap, even should a later event carry an earlier time
 * (a request retried after losing a race keeps its time).
 */
export function streamUpTo(events: readonly RecordedEvent[], instant: Instant): RecordedEvent[] {
  const end = events.findIndex((event) => !reached(event, instant));
  return end < 0 ? [...events] : events.slice(0, end);
}
