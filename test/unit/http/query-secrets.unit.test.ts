import { hasSecretParameter, redactQuery, redactUrl } from '../../../services/scim-api/http/query-secrets';

describe('credential query parameters (RFC 6750 §2.3 access_token)', () => {
  it.each([
    ['/scim/v2/Users?access_token=abc', '/scim/v2/Users?access_token=[redacted]'],
    ['/scim/v2/Users?count=1&access_token=abc&filter=x', '/scim/v2/Users?count=1&access_token=[redacted]&filter=x'],
    ['/scim/v2/Users?Access_Token=abc', '/scim/v2/Users?Access_Token=[redacted]'],
    ['/scim/v2/Users?access%5Ftoken=abc', '/scim/v2/Users?access%5Ftoken=[redacted]'],
    ['/scim/v2/Users?access_token[]=a&access_token[x]=b', '/scim/v2/Users?access_token[]=[redacted]&access_token[x]=[redacted]'],
    ['/scim/v2/Users?access_token', '/scim/v2/Users?access_token=[redacted]'],
    ['/scim/v2/Users?access_token=a#frag', '/scim/v2/Users?access_token=[redacted]#frag'],
    ['/scim/v2/Users?count=1', '/scim/v2/Users?count=1'],
    ['/scim/v2/Users', '/scim/v2/Users'],
    ['/x?access_tokens=1&my_access_token=2', '/x?access_tokens=1&my_access_token=2'],
  ])('%s is logged as %s', (url, logged) => {
    expect(redactUrl(url)).toBe(logged);
    expect(hasSecretParameter(url)).toBe(logged.includes('[redacted]'));
  });

  it('redacts a parsed query too', () => {
    expect(redactQuery({ access_token: 'abc', ACCESS_TOKEN: ['a', 'b'], count: '1' })).toEqual({ access_token: '[redacted]', ACCESS_TOKEN: '[redacted]', count: '1' });
    expect(redactQuery(undefined)).toBeUndefined();
  });

  it('survives a malformed %-escape in a name', () => {
    expect(redactUrl('/x?%E0%A4%A=1&access_token=2')).toBe('/x?%E0%A4%A=1&access_token=[redacted]');
  });
});
