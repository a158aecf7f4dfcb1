import { allowedMethods } from '../../../services/scim-api/scim/allowed-methods';
import { clientAddressKey } from '../../../services/scim-api/scim/client-address';

describe('allowedMethods', () => {
  it.each([
    ['/Users', ['GET', 'POST', 'HEAD']],
    ['/groups/', ['GET', 'POST', 'HEAD']],
    ['/Users/.search', ['POST']],
    ['/Groups/.SEARCH', ['POST']],
    ['/Users/2819c223-7f76-453a-919d-413861904646', ['GET', 'PUT', 'PATCH', 'DELETE', 'HEAD']],
    ['/Groups/not-a-uuid', ['GET', 'PUT', 'PATCH', 'DELETE', 'HEAD']],
    ['/Users/%', ['GET', 'PUT', 'PATCH', 'DELETE', 'HEAD']],
    ['/ServiceProviderConfig', ['GET', 'HEAD']],
    ['/Schemas', ['GET', 'HEAD']],
    ['/Schemas/urn:ietf:params:scim:schemas:core:2.0:User', ['GET', 'HEAD']],
    ['/ResourceTypes/User', ['GET', 'HEAD']],
  ])('%s answers %j', (path, methods) => {
    expect(allowedMethods(path)).toEqual(methods);
  });

  it.each(['/', '/Bulk', '/Me', '/Users/a/b', '/ServiceProviderConfig/x', '/Userss', '/Schemas/a/b'])('knows no methods for %s (404)', (path) => {
    expect(allowedMethods(path)).toBeUndefined();
  });
});

describe('clientAddressKey', () => {
  it.each([
    ['203.0.113.7', '203.0.113.7'],
    ['::ffff:203.0.113.7', '203.0.113.7'],
    ['2001:db8:1:2:3:4:5:6', '2001:db8:1:2::/64'],
    ['2001:db8:1:2:ffff::1', '2001:db8:1:2::/64'],
    ['2001:db8:1:3::1', '2001:db8:1:3::/64'],
    ['::1', '::/64'],
    [undefined, 'unknown'],
    ['not an address', 'unknown'],
  ])('keys %s as %s', (ip, key) => {
    expect(clientAddressKey(ip)).toBe(key);
  });
});
