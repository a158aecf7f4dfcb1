import { isValidHost } from '../../../services/scim-api/http/public-url';

describe('isValidHost (RFC 9110 §7.2 uri-host [":" port])', () => {
  it.each(['scim.example.com', 'scim.example.com:8443', 'localhost', '127.0.0.1:8080', '[::1]:8080', '[2001:db8::1]', 'scim_api:8080', 'EXAMPLE.com.'])('accepts %s', (host) => {
    expect(isValidHost(host)).toBe(true);
  });

  it.each([
    '',
    'evil.example.com/path',
    'user@evil.example.com',
    'evil.example.com:99999',
    'evil.example.com:',
    'a b',
    'evil.example.com, other.example.com',
    '[not-ipv6]',
    '-leading.example.com',
    'javascript:alert(1)',
    '<script>',
    `${'a'.repeat(64)}.example.com`,
  ])('refuses %j', (host) => {
    expect(isValidHost(host)).toBe(false);
  });
});
