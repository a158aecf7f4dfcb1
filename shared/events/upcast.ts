import type { RecordedEvent } from '../eventstore/port';
import { EVENT_CONTRACTS, type EventContracts } from './contract';

/**
 * The schema version an event was written with: `metadata.schemaVersion`, which every event the
 * service writes carries (an event without a usable one counts as version 1, the first).
 */
export function recordedSchemaVersion(event: Pick<RecordedEvent, 'metadata'>): number {
  const version = event.metadata.schemaVersion;
  return typeof version === 'number' && Number.isInteger(version) && version >= 1 ? version : 1;
}

/**
 * The event as its type's current schema version describes it: the data of an older version is
 * upcast one version at a time (the contract's `older` upcasters, shared/events/contract.ts) and
 * `metadata.schemaVersion` names the current version. Every reader of the store goes through it
 * (stream folds, projections, the publisher, the audit tool); the stored event itself is never
 * rewritten. An event already current, of a type without older versions, of a type the contract
 * does not know, or of a newer version than it knows, comes back as it is (the same object).
 *
 * Unlike the consumer parser (consumer-parser.ts) it does not validate: the events are the
 * store's own, validated by the deciders that recorded them, and a projection must never throw on
 * one. @throws Error for a version older than the oldest the contract still knows (none so far).
 */
export function upcastRecordedEvent(event: RecordedEvent, contracts: EventContracts = EVENT_CONTRACTS): RecordedEvent {
  if (!isUpcast(event, contracts)) return event;
  const contract = contracts[event.type]!;
  const version = recordedSchemaVersion(event);
  const start = contract.older.findIndex((older) => older.version === version);
  if (start < 0) throw new Error(`${event.type} v${version} (event ${event.id}): no upcaster from this version; the oldest known is v${contract.older[0]!.version}`);
  let data: unknown = event.data;
  for (const older of contract.older.slice(start)) data = older.upcast(data);
  // Not `json`: the stored text is the old version's, which no reader of the upcast event may pass on.
  const { json: _stored, ...rest } = event;
  return { ...rest, data: data as RecordedEvent['data'], metadata: { ...event.metadata, schemaVersion: contract.version } };
}

/** Whether the event was written in an older schema version than its type's current one (so readers get it upcast). */
export function isUpcast(event: Pick<RecordedEvent, 'type' | 'metadata'>, contracts: EventContracts = EVENT_CONTRACTS): boolean {
  const contract = Object.prototype.hasOwnProperty.call(contracts, event.type) ? contracts[event.type] : undefined;
  return contract !== undefined && contract.older.length > 0 && recordedSchemaVersion(event) < contract.version;
}
