/**
 * An event's place in the service's global log as the Kafka contract carries it (the envelope's
 * `position`, docs/events/envelope.v1.schema.json): `<commit>/<prepare>`, two unsigned decimal
 * integers. Positions order by commit, then prepare: the order the service applied events in,
 * whichever event store recorded them. Compare them as pairs of integers, never as text.
 */
export interface EnvelopePosition {
  readonly commit: bigint;
  readonly prepare: bigint;
}

/** The envelope's `position` field, as its JSON Schema states it. */
export const ENVELOPE_POSITION_PATTERN = /^[0-9]+\/[0-9]+$/;

export function formatEnvelopePosition(position: EnvelopePosition): string {
  return `${position.commit}/${position.prepare}`;
}

/** @throws Error when `text` is not `<commit>/<prepare>`. */
export function parseEnvelopePosition(text: string): EnvelopePosition {
  if (!ENVELOPE_POSITION_PATTERN.test(text)) throw new Error(`not a position: ${JSON.stringify(text)}`);
  const [commit, prepare] = text.split('/');
  return { commit: BigInt(commit!), prepare: BigInt(prepare!) };
}

/** -1, 0 or 1 as `a` comes before, with or after `b` in the log. */
export function compareEnvelopePositions(a: EnvelopePosition, b: EnvelopePosition): -1 | 0 | 1 {
  if (a.commit !== b.commit) return a.commit < b.commit ? -1 : 1;
  if (a.prepare !== b.prepare) return a.prepare < b.prepare ? -1 : 1;
  return 0;
}
