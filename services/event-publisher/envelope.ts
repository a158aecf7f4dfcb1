import type { IHeaders, Message } from 'kafkajs';
import type { RecordedEvent } from '../../shared/eventstore/port';
import type { EventEnvelope } from '../../shared/events/contract';
import { formatEnvelopePosition } from '../../shared/events/position';
import { EVENT_SOURCE_PREFIX } from '../../shared/events/source';
import { isUpcast, recordedSchemaVersion, upcastRecordedEvent } from '../../shared/events/upcast';

export type { EventEnvelope } from '../../shared/events/contract';

export function occurredAtOf(event: RecordedEvent): string {
  const occurredAt = event.metadata.occurredAt;
  return typeof occurredAt === 'string' && !Number.isNaN(Date.parse(occurredAt)) ? occurredAt : event.recordedAt.toISOString();
}

/**
 * The JSON value of the event's Kafka message (docs/events/envelope.v1.schema.json), its data in
 * the type's current schema version: an event stored in an older one is upcast, never rewritten.
 */
export function toEnvelope(recorded: RecordedEvent): EventEnvelope {
  const event = upcastRecordedEvent(recorded);
  return {
    ...toEnvelopeHead(event),
    data: event.data,
    metadata: event.metadata,
  };
}

/**
 * CloudEvents 1.0 Kafka protocol binding, binary content mode: attributes as `ce_` headers.
 * `ce_source` is the deployment that recorded the event (EVENT_SOURCE, shared/events/source.ts),
 * `ce_subject` the stream it belongs to; (source, id) is unique, as CloudEvents requires.
 */
export function kafkaHeaders(event: RecordedEvent, source: string = EVENT_SOURCE_PREFIX): IHeaders {
  return {
    ce_specversion: '1.0',
    ce_id: event.id,
    ce_source: source,
    ce_subject: event.streamId,
    ce_type: event.type,
    ce_time: occurredAtOf(event),
    'content-type': 'application/json',
  };
}

/**
 * The envelope as JSON text. Where the store handed over the event's data and metadata as the JSON
 * text it holds (`event.json`), they are put in as they are, neither parsed nor serialised again:
 * the same JSON values as toEnvelope's, at a fraction of the cost.
 */
export function envelopeJson(event: RecordedEvent): string {
  // An event stored in an older schema version goes out upcast: its data is not the stored text.
  if (!event.json || isUpcast(event)) return JSON.stringify(toEnvelope(event));
  const { data: _data, metadata: _metadata, ...head } = toEnvelopeHead(event);
  const text = JSON.stringify(head);
  return `${text.slice(0, -1)},"data":${event.json.data},"metadata":${event.json.metadata}}`;
}

/** toEnvelope without touching `data` (and reading only `metadata`'s version and time). */
function toEnvelopeHead(event: RecordedEvent): Omit<EventEnvelope, 'data' | 'metadata'> & { data?: undefined; metadata?: undefined } {
  return {
    id: event.id,
    type: event.type,
    schemaVersion: recordedSchemaVersion(event),
    streamId: event.streamId,
    revision: event.revision.toString(),
    position: formatEnvelopePosition(event.position),
    occurredAt: occurredAtOf(event),
  };
}

/** Keyed by stream id: one aggregate's events land in one partition, in order. `source`: the deployment's EVENT_SOURCE. */
export function toKafkaMessage(event: RecordedEvent, source: string = EVENT_SOURCE_PREFIX): Message {
  return { key: event.streamId, value: envelopeJson(event), headers: kafkaHeaders(event, source) };
}
