/**
 * The client addresses a user key may be used from: exact addresses and CIDR ranges, IPv4 and IPv6. The address
 * checked is the socket peer (the gateway trusts no X-Forwarded-For), and an IPv4 peer seen on a dual-stack socket
 * as `::ffff:a.b.c.d` counts as the IPv4 address it is.
 */
import { BlockList, isIP } from 'node:net';

/** A problem with an entry, or undefined when it is an address or a CIDR range. */
export function addressRangeProblem(entry: string): string | undefined {
  const [address = '', prefix, extra] = entry.split('/');
  const family = isIP(address);
  const problem = `${JSON.stringify(entry)} is not an IP address or CIDR range (e.g. 192.168.1.20, 10.0.0.0/8, fd00::/8)`;
  if (family === 0 || extra !== undefined) return problem;
  if (prefix === undefined) return undefined;
  if (!/^\d{1,3}$/.test(prefix) || Number(prefix) > (family === 4 ? 32 : 128)) return problem;
  return undefined;
}

export interface AddressMatcher {
  allows(address: string): boolean;
}

function plainAddress(address: string): string {
  const mapped = /^::ffff:(\d{1,3}(?:\.\d{1,3}){3})$/i.exec(address);
  return mapped?.[1] ?? address.split('%')[0] ?? address;
}

/** A matcher for valid entries (see {@link addressRangeProblem}); an empty list allows nothing. */
export function addressMatcher(entries: readonly string[]): AddressMatcher {
  const list = new BlockList();
  for (const entry of entries) {
    const [address = '', prefix] = entry.split('/');
    const type = isIP(address) === 4 ? 'ipv4' : 'ipv6';
    if (prefix === undefined) list.addAddress(plainAddress(address), type);
    else list.addSubnet(address, Number(prefix), type);
  }
  return {
    allows(address) {
      const plain = plainAddress(address);
      const family = isIP(plain);
      if (family === 0) return false;
      return list.check(plain, family === 4 ? 'ipv4' : 'ipv6');
    },
  };
}
