import { failedPrecondition } from '../../../shared/commands/precondition';
import { preconditionFrom } from '../../../services/scim-api/scim/responses';

const headers = (fields: Record<string, string>) => ({ get: (name: string) => fields[name.toLowerCase()] }) as Parameters<typeof preconditionFrom>[0];

describe('preconditionFrom (RFC 7232 §3.1, §3.2)', () => {
  it.each([
    [{}, undefined],
    [{ 'if-match': '*' }, { ifMatch: '*' }],
    [{ 'if-match': 'W/"3"' }, { ifMatch: [3n] }],
    [{ 'if-match': 'W/"zz", W/"3" ,"4"' }, { ifMatch: [3n, 4n] }],
    [{ 'if-match': '"a,b", W/"5"' }, { ifMatch: [5n] }],
    [{ 'if-none-match': 'W/"1", W/"2"' }, { ifNoneMatch: [1n, 2n] }],
    [{ 'if-none-match': 'garbage' }, { ifNoneMatch: [] }],
    [{ 'if-match': '"1"', 'if-none-match': '*' }, { ifMatch: [1n], ifNoneMatch: '*' }],
  ])('reads %j as %j', (fields, expected) => {
    expect(preconditionFrom(headers(fields))).toEqual(expected);
  });

  it.each(['garbage', 'W/"zz"', 'W/"1" junk', '"9223372036854775808"', ''])('answers If-Match %j, which names no version, with 412', (field) => {
    expect(() => preconditionFrom(headers({ 'if-match': field }))).toThrow(expect.objectContaining({ status: 412 }));
  });
});

describe('failedPrecondition', () => {
  it('holds when If-Match lists the current revision of an existing resource', () => {
    expect(failedPrecondition({ ifMatch: [1n, 3n] }, 3n, true)).toBeUndefined();
    expect(failedPrecondition({ ifMatch: '*' }, 3n, true)).toBeUndefined();
  });

  it('fails If-Match for another revision, or a resource that does not exist', () => {
    expect(failedPrecondition({ ifMatch: [1n, 2n] }, 3n, true)).toBe('the resource has changed: If-Match names version 1, 2, current is 3');
    expect(failedPrecondition({ ifMatch: [3n] }, 3n, false)).toBe('the resource has changed: If-Match names version 3, current is none');
    expect(failedPrecondition({ ifMatch: '*' }, null, false)).toBe('If-Match: * names a resource that does not exist');
  });

  it('fails If-None-Match naming the current revision, or * for an existing resource', () => {
    expect(failedPrecondition({ ifNoneMatch: [3n] }, 3n, true)).toBe('If-None-Match names the current version 3');
    expect(failedPrecondition({ ifNoneMatch: '*' }, 3n, true)).toBe('If-None-Match: * and the resource exists');
    expect(failedPrecondition({ ifNoneMatch: [2n] }, 3n, true)).toBeUndefined();
    expect(failedPrecondition({ ifNoneMatch: '*' }, 3n, false)).toBeUndefined();
  });
});
