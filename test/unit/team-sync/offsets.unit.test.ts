import fc from 'fast-check';
import { compareEnvelopePositions, formatEnvelopePosition } from '../../../shared/events/position';
import { positionKey } from '../../../services/team-sync/base-state';
import { computeLag, planChunk } from '../../../services/team-sync/offsets';

describe('positionKey', () => {
  const position = fc.record({ commit: fc.bigInt({ min: 0n, max: 2n ** 64n - 1n }), prepare: fc.bigInt({ min: 0n, max: 2n ** 64n - 1n }) });

  it('sorts as the positions do: commit first, then prepare', () => {
    expect(BigInt(positionKey('9/500'))).toBeLessThan(BigInt(positionKey('10/1')));
    expect(BigInt(positionKey('10/2'))).toBeGreaterThan(BigInt(positionKey('10/1')));
    fc.assert(
      fc.property(position, position, (a, b) => {
        const [ka, kb] = [BigInt(positionKey(formatEnvelopePosition(a))), BigInt(positionKey(formatEnvelopePosition(b)))];
        expect(ka < kb ? -1 : ka > kb ? 1 : 0).toBe(compareEnvelopePositions(a, b));
      }),
    );
  });

  it('rejects what is not a position, and a prepare part beyond 64 bits', () => {
    expect(() => positionKey('12')).toThrow(/not a position/);
    expect(() => positionKey(`1/${2n ** 64n}`)).toThrow(/beyond 64 bits/);
  });
});

describe('planChunk', () => {
  const offsets = (...values: number[]) => values.map(BigInt);

  describe('when nothing is stored for the partition', () => {
    it('applies what Kafka gives', () => {
      expect(planChunk(null, offsets(0, 1, 2), false)).toEqual({ kind: 'apply', from: 0, gap: false });
    });
  });

  describe('when the batch starts at the stored offset', () => {
    it('applies all of it', () => {
      expect(planChunk(5n, offsets(5, 6, 7), false)).toEqual({ kind: 'apply', from: 0, gap: false });
    });
  });

  describe('when the batch starts before the stored offset (a redelivery)', () => {
    it('skips the messages applied already', () => {
      expect(planChunk(6n, offsets(4, 5, 6, 7), false)).toEqual({ kind: 'apply', from: 2, gap: false });
    });

    it('seeks forward when every message was applied', () => {
      expect(planChunk(100n, offsets(0, 1, 2), false)).toEqual({ kind: 'seek', offset: 100n });
    });
  });

  describe('when the batch starts after the stored offset', () => {
    it('seeks back to the stored offset', () => {
      expect(planChunk(0n, offsets(40, 41), false)).toEqual({ kind: 'seek', offset: 0n });
    });

    it('applies, flagging the gap, when that seek was tried already (the records are gone)', () => {
      expect(planChunk(0n, offsets(40, 41), true)).toEqual({ kind: 'apply', from: 0, gap: true });
    });
  });
});

describe('computeLag', () => {
  const now = Date.parse('2026-01-01T00:01:00Z');

  it('sums high watermark minus stored offset over partitions, and ages the last applied event of a partition behind', () => {
    const lag = computeLag(
      [
        { partition: 1, high: 10n, low: 0n },
        { partition: 0, high: 7n, low: 0n },
        { partition: 2, high: 3n, low: 0n },
      ],
      [
        { partition: 0, nextOffset: 7n, lastOccurredAt: new Date('2026-01-01T00:00:00Z') },
        { partition: 1, nextOffset: 8n, lastOccurredAt: new Date('2026-01-01T00:00:30Z') },
      ],
      now,
    );
    expect(lag).toEqual({
      eventsBehind: 2 + 3,
      secondsBehind: 30,
      partitions: [
        { partition: 0, high: '7', next: '7', behind: 0 },
        { partition: 1, high: '10', next: '8', behind: 2 },
        { partition: 2, high: '3', next: '0', behind: 3 },
      ],
    });
  });

  it('is zero when every partition is caught up, however old the last event', () => {
    expect(computeLag([{ partition: 0, high: 4n, low: 0n }], [{ partition: 0, nextOffset: 4n, lastOccurredAt: new Date(0) }], now)).toMatchObject({
      eventsBehind: 0,
      secondsBehind: 0,
    });
  });

  it('counts nothing below the log start (records removed by retention)', () => {
    expect(computeLag([{ partition: 0, high: 50n, low: 40n }], [{ partition: 0, nextOffset: 2n, lastOccurredAt: null }], now).eventsBehind).toBe(10);
  });
});
