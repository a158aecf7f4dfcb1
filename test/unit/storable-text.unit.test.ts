import fc from 'fast-check';
import { findUnstorableString, isStorable } from '../../shared/db/storable-text';

describe('findUnstorableString', () => {
  it('finds U+0000 and lone surrogates in values and keys, with their location', () => {
    expect(findUnstorableString({ title: '\u0000' })).toBe('$.title');
    expect(findUnstorableString({ emails: [{ value: 'a@b' }, { value: 'x\ud800' }] })).toBe('$.emails[1].value');
    expect(findUnstorableString({ 'urn:x:User': { 'bad\udfff': 1 } })).toBe('$["urn:x:User"]["bad\\udfff"]');
    expect(findUnstorableString(['ok', '\udc00'])).toBe('$[1]');
  });

  it('accepts every well-formed string without U+0000, paired surrogates included', () => {
    expect(findUnstorableString({ name: 'Zoë 😀', n: 1, b: true, z: null })).toBeUndefined();
    fc.assert(
      fc.property(fc.json(), (text) => {
        const value: unknown = JSON.parse(text);
        const hasBad = JSON.stringify(value).includes('\\u0000');
        expect(findUnstorableString(value) === undefined).toBe(!hasBad);
      }),
    );
  });

  it('agrees with isStorable on any string', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary' }), (text) => {
        expect(findUnstorableString(text) === undefined).toBe(isStorable(text));
        expect(isStorable(text)).toBe(!text.includes('\u0000') && Buffer.from(text, 'utf8').toString('utf8') === text);
      }),
    );
  });
});
