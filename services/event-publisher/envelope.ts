import type { IHeaders, Message } from 'kafkajs';
import type { RecordedEvent } from '../../shared/eventstore/port';
import type { EventEnvelope } from '../../shared/events/contract';
import { formatEnvelopePosition } from '../../shared/events/position';
import { EVENT_SOURCE_PREFIX } from '../../shared/events/source';

export type { EventEnvelope } from '../../shared/events/contract';

export function schemaVersionOf(event: RecordedEvent): number {
  const version = event.metadata.schemaVersion;
  return typeof version === 'number' && Number.isInteger(version) && version >= 1 ? version : 1;
}

export function occurredAtOf(event: RecordedEvent): string {
  const occurredAt = event.metadata.occurredAt;
  return typeof occurredAt === 'string' && !Number.isNaN(Date.parse(occurredAt)) ? occurredAt : event.recordedAt.toISOString();
}

/** The JSON value of the event's Kafka message (docs/events/envelope.v1.schema.json). */
export function toEnvelope(event: RecordedEvent): EventEnvelope {
  return {
    id: event.id,
    type: event.type,
    schemaVersion: schemaVersionOf(event),
    streamId: event.streamId,
    revision: event.revision.toString(),
    position: formatEnvelopePosition(event.position),
    occurredAt: occurredAtOf(event),
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

/** Keyed by stream id: one aggregate's events land in one partition, in order. `source`: the deployment's EVENT_SOURCE. */
export function toKafkaMessage(event: RecordedEvent, source: string = EVENT_SOURCE_PREFIX): Message {
  return { key: event.streamId, value: JSON.stringify(toEnvelope(event)), headers: kafkaHeaders(event, source) };
}
