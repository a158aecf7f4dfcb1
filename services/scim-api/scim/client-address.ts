import ipaddr from 'ipaddr.js';

/**
 * The rate-limit key of a client address (`req.ip`, which honours X-Forwarded-For only from the
 * proxies the app trusts): an IPv4 address as it is (IPv4-mapped IPv6 `::ffff:a.b.c.d` included),
 * an IPv6 address by its /64 prefix (`2001:db8:1:2::/64`), because one host usually holds a whole
 * /64 and could otherwise take a fresh budget with every address. Unparseable input (no address
 * at all) shares the key `unknown`.
 */
export function clientAddressKey(ip: string | undefined): string {
  if (ip === undefined || !ipaddr.isValid(ip)) return 'unknown';
  const address = ipaddr.process(ip);
  if (address.kind() === 'ipv4') return address.toString();
  return `${ipaddr.IPv6.networkAddressFromCIDR(`${address.toString()}/64`).toString()}/64`;
}
