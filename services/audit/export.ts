import { once } from 'node:events';
import type { Writable } from 'node:stream';
import { stringify } from 'csv-stringify/sync';
import { occurredAt, type Instant } from '../../shared/audit/instant';
import { logPages } from '../../shared/audit/log';
import type { EventStore, RecordedEvent } from '../../shared/eventstore/port';
import { comparePositions, formatPosition, type Position } from '../../shared/eventstore/position';
import { recordedSchemaVersion } from '../../shared/events/upcast';
import { chainedJsonLine, chainHash, csvDigestLine, GENESIS, jsonDigestLine } from './export-chain';

export type ExportFormat = 'ndjson' | 'csv';

export interface ExportOptions {
  /** A time: from the first event that occurred at or after it. A position: the events after it (exclusive, as a checkpoint). */
  readonly from?: Instant;
  /** A time: up to the last event before the first that occurred after it. A position: up to it (inclusive). */
  readonly to?: Instant;
  readonly format: ExportFormat;
  /** Hash-chain every line and end with a digest line (export-chain.ts). */
  readonly chain: boolean;
  readonly out: Writable;
  readonly signal?: AbortSignal;
  /** Told after each page: events written so far, the last position read. */
  readonly onProgress?: (events: number, position: Position) => void;
  readonly pageSize?: number;
}

export interface ExportResult {
  readonly events: number;
  /** Positions of the first and last event written; null when none was. */
  readonly first: string | null;
  readonly last: string | null;
  /** The digest of a chained export (its last hash): keep it apart from the file. */
  readonly digest: string | null;
}

/** The columns of the CSV format, in order; `data` and `metadata` hold JSON. */
export const CSV_COLUMNS = [
  'position',
  'id',
  'stream_id',
  'revision',
  'type',
  'schema_version',
  'occurred_at',
  'recorded_at',
  'actor_kind',
  'actor_id',
  'request_id',
  'data',
  'metadata',
] as const;

/**
 * One event as the export shows it: as it was recorded (never upcast: the export is the record,
 * each line names the schema version its data follows), with its place in the log.
 */
export function exportRecord(event: RecordedEvent): Record<string, unknown> {
  return {
    position: formatPosition(event.position),
    id: event.id,
    streamId: event.streamId,
    revision: event.revision.toString(),
    type: event.type,
    schemaVersion: recordedSchemaVersion(event),
    occurredAt: occurredAt(event),
    recordedAt: event.recordedAt.toISOString(),
    data: event.data,
    metadata: event.metadata,
  };
}

function csvRow(event: RecordedEvent): string {
  const actor = (event.metadata.actor ?? {}) as { kind?: unknown; id?: unknown };
  const text = (value: unknown) => (typeof value === 'string' ? value : '');
  const row = [
    formatPosition(event.position),
    event.id,
    event.streamId,
    event.revision.toString(),
    event.type,
    String(recordedSchemaVersion(event)),
    occurredAt(event),
    event.recordedAt.toISOString(),
    text(actor.kind),
    text(actor.id),
    text(event.metadata.requestId),
    JSON.stringify(event.data),
    JSON.stringify(event.metadata),
  ];
  return csvLine(row);
}

/** One CSV record (RFC 4180 quoting by csv-stringify), without its line end. */
function csvLine(fields: readonly string[]): string {
  return stringify([fields]).replace(/\r?\n$/, '');
}

/** Where a time or position bound puts an event: before the range, in it, or past it. */
function place(event: RecordedEvent, from: Instant | undefined, to: Instant | undefined, started: boolean): 'before' | 'in' | 'after' {
  if (to && (to.kind === 'position' ? comparePositions(event.position, to.position) > 0 : Date.parse(occurredAt(event)) > to.time.getTime())) return 'after';
  if (!started && from?.kind === 'time' && Date.parse(occurredAt(event)) < from.time.getTime()) return 'before';
  return 'in';
}

/**
 * Writes the log, or the part of it between `from` and `to`, to `out`, page by page: only one
 * page of events is held at a time and a page is written only once `out` has taken the last, so
 * memory stays flat whatever the size of the log. A time range is a contiguous part of the log
 * (from the first event at or after `from` up to the first event after `to`); a position range is
 * exact.
 */
export async function exportLog(store: EventStore, options: ExportOptions): Promise<ExportResult> {
  const { format, chain, out } = options;
  let prev = GENESIS;
  let events = 0;
  let first: string | null = null;
  let last: string | null = null;
  let started = false;

  const write = async (text: string) => {
    if (!out.write(text)) await once(out, 'drain');
  };

  if (format === 'csv') await write(`${csvLine(chain ? [...CSV_COLUMNS, 'prev', 'hash'] : [...CSV_COLUMNS])}\n`);
  const after = options.from?.kind === 'position' ? options.from.position : undefined;
  pages: for await (const page of logPages(store, { after, ...(options.pageSize ? { pageSize: options.pageSize } : {}), ...(options.signal ? { signal: options.signal } : {}) })) {
    const lines: string[] = [];
    let done = false;
    for (const event of page) {
      const where = place(event, options.from, options.to, started);
      if (where === 'before') continue;
      if (where === 'after') {
        done = true;
        break;
      }
      started = true;
      const content = format === 'csv' ? csvRow(event) : JSON.stringify(exportRecord(event));
      if (chain) {
        const hash = chainHash(prev, content);
        lines.push(format === 'csv' ? `${content},${prev},${hash}` : chainedJsonLine(prev, hash, content));
        prev = hash;
      } else {
        lines.push(content);
      }
      events++;
      const position = formatPosition(event.position);
      first ??= position;
      last = position;
    }
    if (lines.length > 0) await write(`${lines.join('\n')}\n`);
    options.onProgress?.(events, page[page.length - 1]!.position);
    if (done) break pages;
  }
  if (chain) await write(`${format === 'csv' ? csvDigestLine(prev, events) : jsonDigestLine(prev, events)}\n`);
  return { events, first, last, digest: chain ? prev : null };
}
