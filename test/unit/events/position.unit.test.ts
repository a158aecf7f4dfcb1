import fc from 'fast-check';
import { comparePositions, formatPosition } from '../../../shared/eventstore/position';
import { compareEnvelopePositions, ENVELOPE_POSITION_PATTERN, formatEnvelopePosition, parseEnvelopePosition } from '../../../shared/events/position';

/** The contract's position (what consumers order by) against the store's, which the publisher sends. */
describe('the envelope position', () => {
  const position = fc.record({ commit: fc.bigInt({ min: 0n, max: 2n ** 64n - 1n }), prepare: fc.bigInt({ min: 0n, max: 2n ** 64n - 1n }) });

  it('reads back what the publisher writes for any store position, and orders as the store does', () => {
    fc.assert(
      fc.property(position, position, (a, b) => {
        const text = formatEnvelopePosition(a);
        expect(text).toMatch(ENVELOPE_POSITION_PATTERN);
        expect(text).toBe(formatPosition(a));
        expect(parseEnvelopePosition(text)).toEqual(a);
        expect(compareEnvelopePositions(a, b)).toBe(comparePositions(a, b));
      }),
    );
  });

  it.each(['', '12', '1/', '/2', '1/2/3', '-1/2', '1 /2', 'a/b'])('rejects %j', (text) => {
    expect(() => parseEnvelopePosition(text)).toThrow(/not a position/);
  });
});
