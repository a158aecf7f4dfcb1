import fc from 'fast-check';
import { ScimError } from '../../../shared/scim/errors';
import { parseListRequest } from '../../../services/scim-api/read/list-request';

const RULES = { defaultCount: 100, maxCount: 200 };

describe('parseListRequest', () => {
  describe('given query parameters (strings, or arrays of strings when repeated)', () => {
    it('reads every parameter', () => {
      expect(
        parseListRequest(
          { filter: 'userName eq "x"', startIndex: '3', count: ' 7 ', sortBy: 'userName', sortOrder: 'descending', attributes: 'userName, emails', excludedAttributes: ['groups', 'name,title'] },
          RULES,
        ),
      ).toEqual({
        filter: 'userName eq "x"',
        startIndex: 3,
        count: 7,
        sortBy: 'userName',
        sortOrder: 'descending',
        attributes: ['userName', 'emails'],
        excludedAttributes: ['groups', 'name', 'title'],
      });
    });

    it('uses the defaults for what is absent or empty', () => {
      expect(parseListRequest({}, RULES)).toEqual({ startIndex: 1, count: 100 });
      expect(parseListRequest({ filter: '  ', startIndex: '', count: '', sortBy: '', attributes: ' , ' }, RULES)).toEqual({ startIndex: 1, count: 100 });
    });

    it('clamps numbers of any size: startIndex to 1 and up, count to 0 up to the maximum (RFC 7644 §3.4.2.4)', () => {
      expect(parseListRequest({ startIndex: '0', count: '-5' }, RULES)).toMatchObject({ startIndex: 1, count: 0 });
      expect(parseListRequest({ startIndex: '-99999999999999999999', count: '99999999999999999999' }, RULES)).toMatchObject({ startIndex: 1, count: 200 });
      expect(parseListRequest({ startIndex: '9'.repeat(400) }, RULES)).toMatchObject({ startIndex: Number.MAX_SAFE_INTEGER });
      expect(parseListRequest({ startIndex: '+2' }, RULES)).toMatchObject({ startIndex: 2 });
    });

    it.each([
      ['startIndex', '1.5', 'startIndex must be an integer'],
      ['count', '1e3', 'count must be an integer'],
      ['count', 'ten', 'count must be an integer'],
      ['count', ['1', '2'], 'count must be an integer'],
      ['startIndex', ['1'], 'startIndex must be an integer'],
      ['filter', ['userName pr', 'title pr'], 'filter must be one string'],
      ['sortBy', ['a', 'b'], 'sortBy must be one string'],
      ['sortOrder', ['ascending', 'descending'], 'sortOrder must be one string'],
    ])('refuses %s=%j with 400 invalidValue', (name, value, detail) => {
      expect(thrownBy(() => parseListRequest({ [name]: value }, RULES))).toEqual(new ScimError(400, 'invalidValue', detail));
    });
  });

  describe('given a SearchRequest body (RFC 7644 §3.4.3)', () => {
    it('reads JSON numbers and attribute arrays', () => {
      expect(parseListRequest({ schemas: ['urn:ietf:params:scim:api:messages:2.0:SearchRequest'], startIndex: 2, count: 1e21, attributes: ['userName'] }, RULES)).toEqual({
        startIndex: 2,
        count: 200,
        attributes: ['userName'],
      });
    });

    it('counts null as absent', () => {
      expect(parseListRequest({ filter: null, count: null, startIndex: null, sortBy: null, attributes: null }, RULES)).toEqual({ startIndex: 1, count: 100 });
    });

    /** Every parameter × every JSON type it does not take: the kind of `{"count":{"toString":false}}`. */
    const wrongTypes: readonly [string, unknown][] = [
      ['an object', { toString: false }],
      ['an object with valueOf', { valueOf: 5 }],
      ['an empty object', {}],
      ['a boolean', true],
      ['a fraction', 1.5],
      ['an array of objects', [{ toString: false }]],
      ['a nested array', [['userName']]],
    ];
    const parameters = ['startIndex', 'count', 'filter', 'sortBy', 'sortOrder', 'attributes', 'excludedAttributes'];
    const cases = parameters.flatMap((name) => wrongTypes.map(([what, value]) => [name, what, value] as const));

    it.each(cases)('refuses %s as %s with 400 invalidValue naming it', (name, _what, value) => {
      const error = thrownBy(() => parseListRequest({ [name]: value }, RULES));
      expect(error).toBeInstanceOf(ScimError);
      expect(error).toMatchObject({ status: 400, scimType: 'invalidValue', detail: expect.stringMatching(new RegExp(`^${name} must be `)) });
    });

    it.each([[[]], [null], ['text'], [42], [true]])('refuses a body that is not an object (%j) with 400 invalidSyntax', (body) => {
      expect(thrownBy(() => parseListRequest(body, RULES))).toEqual(new ScimError(400, 'invalidSyntax', 'a SearchRequest body must be a JSON object (RFC 7644 §3.4.3)'));
    });
  });

  it('any JSON input either parses or is refused with a 400 SCIM error, never another error (property)', () => {
    const parameter = fc.constantFrom('startIndex', 'count', 'filter', 'sortBy', 'sortOrder', 'attributes', 'excludedAttributes', 'schemas', 'toString', '__proto__');
    fc.assert(
      fc.property(fc.oneof(fc.dictionary(parameter, fc.jsonValue({ maxDepth: 3 })), fc.jsonValue({ maxDepth: 2 })), (body) => {
        const outcome = outcomeOf(() => parseListRequest(body, RULES));
        if (outcome instanceof Error) {
          expect(outcome).toBeInstanceOf(ScimError);
          expect((outcome as ScimError).status).toBe(400);
          return;
        }
        expect(outcome.startIndex).toBeGreaterThanOrEqual(1);
        expect(outcome.count).toBeGreaterThanOrEqual(0);
        expect(outcome.count).toBeLessThanOrEqual(RULES.maxCount);
      }),
      { numRuns: 500 },
    );
  });
});

function outcomeOf<T>(work: () => T): T | Error {
  try {
    return work();
  } catch (error) {
    return error as Error;
  }
}

function thrownBy(work: () => unknown): unknown {
  const outcome = outcomeOf(work);
  if (outcome instanceof Error) return outcome;
  throw new Error('expected an error');
}
