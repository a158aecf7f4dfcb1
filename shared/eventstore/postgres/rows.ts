import type { JsonObject, RecordedEvent } from '../port';
import type { Position } from '../position';

/**
 * The columns of an EventRow. xid8 has no parser in node-postgres, so it travels as text; int8
 * arrives as a bigint where shared/db/pool.ts registered its parser, as a string otherwise.
 */
export const EVENT_COLUMNS = `event_id::text AS event_id, stream_id, stream_revision, event_type, data, metadata,
  recorded_at, transaction_id::text AS transaction_id, global_position`;

export interface EventRow {
  readonly event_id: string;
  readonly stream_id: string;
  readonly stream_revision: bigint | string;
  readonly event_type: string;
  readonly data: JsonObject;
  readonly metadata: JsonObject;
  readonly recorded_at: Date;
  readonly transaction_id: string;
  readonly global_position: bigint | string;
}

export interface PositionRow {
  readonly transaction_id: string;
  readonly global_position: bigint | string;
}

export function toPosition(row: PositionRow): Position {
  return { commit: BigInt(row.transaction_id), prepare: BigInt(row.global_position) };
}

/** Query parameters for `($n::xid8, $m::bigint)`: xid8 only accepts text input. */
export function positionParams(position: Position): [string, string] {
  return [position.commit.toString(), position.prepare.toString()];
}

/**
 * A row whose data and metadata came as JSON text (event_store_read_after): they are parsed the
 * first time a reader looks, and kept as text in `json` for readers that only pass them on.
 */
export function toLazyRecordedEvent(row: Omit<EventRow, 'data' | 'metadata'> & { readonly data: string; readonly metadata: string }): RecordedEvent {
  let data: JsonObject | undefined;
  let metadata: JsonObject | undefined;
  return {
    id: row.event_id,
    type: row.event_type,
    streamId: row.stream_id,
    revision: BigInt(row.stream_revision),
    position: toPosition(row),
    get data() {
      return (data ??= JSON.parse(row.data) as JsonObject);
    },
    get metadata() {
      return (metadata ??= JSON.parse(row.metadata) as JsonObject);
    },
    recordedAt: row.recorded_at,
    json: { data: row.data, metadata: row.metadata },
  };
}

export function toRecordedEvent(row: EventRow): RecordedEvent {
  return {
    id: row.event_id,
    type: row.event_type,
    streamId: row.stream_id,
    revision: BigInt(row.stream_revision),
    position: toPosition(row),
    data: row.data,
    metadata: row.metadata,
    recordedAt: row.recorded_at,
  };
}
