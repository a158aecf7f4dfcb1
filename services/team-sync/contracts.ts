import { parseEnvelope, type KnownEvent, type ParsedEvent } from '../../shared/events/consumer-parser';

/** team-sync reads the published contract as it is (shared/events/contract.ts, docs/events/). */
export type TeamSyncEvent = KnownEvent;
export type ParsedTeamSyncEvent = ParsedEvent;

/** Parses (validates, upcasts) one message value; throws InvalidEventError for a poison message. */
export const parseTeamSyncEnvelope: (value: Buffer | string) => ParsedTeamSyncEvent = parseEnvelope;
