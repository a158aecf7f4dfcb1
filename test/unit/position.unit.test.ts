import fc from 'fast-check';
import {
  comparePositions,
  formatPosition,
  isAfter,
  maxPosition,
  parsePosition,
  START,
  type Position,
} from '../../shared/eventstore/position';

const position = fc.record({ commit: fc.bigInt({ min: 0n, max: 2n ** 64n - 1n }), prepare: fc.bigInt({ min: 0n, max: 2n ** 63n - 1n }) });

describe('positions', () => {
  it('order by commit, then by prepare', () => {
    expect(comparePositions({ commit: 9n, prepare: 500n }, { commit: 10n, prepare: 1n })).toBe(-1);
    expect(comparePositions({ commit: 10n, prepare: 2n }, { commit: 10n, prepare: 1n })).toBe(1);
    expect(comparePositions({ commit: 10n, prepare: 1n }, { commit: 10n, prepare: 1n })).toBe(0);
  });

  it('compare as a total order: antisymmetric, and consistent with isAfter and maxPosition', () => {
    fc.assert(
      fc.property(position, position, (a, b) => {
        expect(comparePositions(a, b)).toBe(-comparePositions(b, a) || 0);
        expect(isAfter(a, b)).toBe(comparePositions(a, b) === 1);
        const max = maxPosition(a, b);
        expect(comparePositions(max, a)).toBeGreaterThanOrEqual(0);
        expect(comparePositions(max, b)).toBeGreaterThanOrEqual(0);
      }),
    );
  });

  it('START is not after any position', () => {
    fc.assert(fc.property(position, (p) => expect(isAfter(START, p)).toBe(false)));
  });

  it('survive formatting and parsing, beyond Number.MAX_SAFE_INTEGER', () => {
    fc.assert(fc.property(position, (p) => expect(parsePosition(formatPosition(p))).toEqual(p)));
    expect(formatPosition({ commit: 2n ** 63n, prepare: 7n })).toBe('9223372036854775808/7');
  });

  it.each(['', '1', '1/', '/1', '-1/2', '1/2/3', ' 1/2', '1.5/2', 'a/b'])('rejects %j as a position', (text) => {
    expect(() => parsePosition(text)).toThrow(/not a position/);
  });

  it('sorts a shuffled list into commit-then-prepare order', () => {
    const sorted: Position[] = [
      { commit: 1n, prepare: 5n },
      { commit: 1n, prepare: 6n },
      { commit: 2n, prepare: 1n },
      { commit: 10n, prepare: 0n },
    ];
    expect([sorted[3]!, sorted[0]!, sorted[2]!, sorted[1]!].sort(comparePositions)).toEqual(sorted);
  });
});
