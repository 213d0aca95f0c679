/**
 * Whether a client-supplied URL may be passed on as a remote reference (image_url, url sources) when
 * agw.allow_remote_images is on: only http(s) URLs whose host is a public name or address. Loopback, private,
 * link-local (cloud metadata) and unspecified addresses are refused, so the gateway never becomes a way to reach
 * the machine or network it runs in. Names are not resolved (no I/O here); agw never fetches these URLs itself.
 */

function ipv4Octets(host: string): number[] | undefined {
  const parts = host.split('.');
  if (parts.length !== 4) return undefined;
  const octets = parts.map((part) => (/^\d{1,3}$/.test(part) ? Number(part) : Number.NaN));
  return octets.every((octet) => Number.isInteger(octet) && octet <= 255) ? octets : undefined;
}

function isPrivateIpv4(octets: number[]): boolean {
  const [a = 0, b = 0] = octets;
  return (
    a === 0 ||
    a === 10 ||
    a === 127 ||
    (a === 100 && b >= 64 && b <= 127) ||
    (a === 169 && b === 254) ||
    (a === 172 && b >= 16 && b <= 31) ||
    (a === 192 && b === 168) ||
    a >= 224
  );
}

function isPrivateIpv6(host: string): boolean {
  const address = host.replace(/^\[|\]$/g, '').toLowerCase();
  if (address === '::' || address === '::1') return true;
  // IPv4-mapped (::ffff:7f00:1 after URL normalisation, or dotted).
  const mapped = /^::ffff:(.+)$/.exec(address);
  if (mapped) {
    const tail = mapped[1] ?? '';
    const dotted = ipv4Octets(tail);
    if (dotted) return isPrivateIpv4(dotted);
    const hex = /^([0-9a-f]{1,4}):([0-9a-f]{1,4})$/.exec(tail);
    if (hex) {
      const high = Number.parseInt(hex[1] ?? '0', 16);
      const low = Number.parseInt(hex[2] ?? '0', 16);
      return isPrivateIpv4([high >> 8, high & 255, low >> 8, low & 255]);
    }
    return true;
  }
  return /^f[cd]/.test(address) || /^fe[89ab]/.test(address) || /^ff/.test(address);
}

/** The reason `url` may not be used as a remote reference, or undefined when it may. */
export function remoteUrlProblem(url: string): string | undefined {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return 'is not a valid URL';
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') return 'must be an http(s) URL';
  if (parsed.username !== '' || parsed.password !== '') return 'must not carry credentials';
  // The WHATWG parser already turned decimal, octal and hex IPv4 forms into dotted quads.
  const host = parsed.hostname.toLowerCase().replace(/\.$/, '');
  if (host === 'localhost' || host.endsWith('.localhost') || host.endsWith('.local') || host.endsWith('.internal'))
    return 'points at a local host name';
  const octets = ipv4Octets(host);
  if (octets ? isPrivateIpv4(octets) : host.startsWith('[') && isPrivateIpv6(host))
    return 'points at a loopback, private or link-local address';
  return undefined;
}
