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

/** The 16 bytes of an IPv6 literal (brackets allowed, dotted IPv4 tail allowed), or undefined when it is none. */
export function ipv6Bytes(literal: string): number[] | undefined {
  let text = literal.replace(/^\[|\]$/g, '').toLowerCase();
  if (text.includes('%')) text = text.slice(0, text.indexOf('%'));
  const tail: number[] = [];
  const dotted = /^(.*:)(\d+\.\d+\.\d+\.\d+)$/.exec(text);
  if (dotted) {
    const octets = ipv4Octets(dotted[2] ?? '');
    if (!octets) return undefined;
    tail.push(...octets);
    text = `${dotted[1]}`;
    if (text.endsWith(':') && !text.endsWith('::')) text = text.slice(0, -1);
  }
  const halves = text.split('::');
  if (halves.length > 2) return undefined;
  const parse = (part: string | undefined): number[] | undefined => {
    if (part === undefined || part === '') return [];
    const groups = part.split(':');
    const bytes: number[] = [];
    for (const group of groups) {
      if (!/^[0-9a-f]{1,4}$/.test(group)) return undefined;
      const value = Number.parseInt(group, 16);
      bytes.push(value >> 8, value & 255);
    }
    return bytes;
  };
  const head = parse(halves[0]);
  const rest = halves.length === 2 ? parse(halves[1]) : [];
  if (!head || !rest) return undefined;
  const known = head.length + rest.length + tail.length;
  if (halves.length === 1) return known === 16 ? [...head, ...tail] : undefined;
  if (known > 14) return undefined;
  return [...head, ...new Array<number>(16 - known).fill(0), ...rest, ...tail];
}

const startsWith = (bytes: readonly number[], prefix: readonly number[]): boolean =>
  prefix.every((value, index) => bytes[index] === value);

/**
 * IPv6 forms that reach private space: loopback and unspecified, unique-local, link- and site-local, multicast,
 * documentation and discard ranges, Teredo, and every form that embeds an IPv4 address — IPv4-compatible
 * (`::a.b.c.d`), mapped (`::ffff:a.b.c.d`), SIIT-translated (`::ffff:0:a.b.c.d`), NAT64 (`64:ff9b::a.b.c.d`,
 * whose local-use `64:ff9b:1::/48` is private outright) and 6to4 (`2002:aabb:ccdd::`) — judged by that address.
 */
function isPrivateIpv6(host: string): boolean {
  const bytes = ipv6Bytes(host);
  if (!bytes) return true; // unparsable: refuse rather than guess
  const embedded = (offset: number): boolean => isPrivateIpv4(bytes.slice(offset, offset + 4));
  const zeros = (count: number): number[] => new Array<number>(count).fill(0);
  if (startsWith(bytes, zeros(12))) {
    // ::, ::1 and IPv4-compatible ::a.b.c.d (deprecated, still routed by some stacks).
    return bytes.slice(12).every((value) => value === 0) || embedded(12) || startsWith(bytes, [...zeros(15), 1]);
  }
  if (startsWith(bytes, [...zeros(10), 255, 255])) return embedded(12);
  if (startsWith(bytes, [...zeros(8), 255, 255, 0, 0])) return embedded(12);
  if (startsWith(bytes, [0, 0x64, 0xff, 0x9b, ...zeros(8)])) return embedded(12);
  if (startsWith(bytes, [0, 0x64, 0xff, 0x9b, 0, 1])) return true;
  if (startsWith(bytes, [0x20, 0x02])) return embedded(2);
  if (startsWith(bytes, [0x20, 0x01, 0, 0])) return true; // Teredo tunnels to an address it hides
  if (startsWith(bytes, [0x20, 0x01, 0x0d, 0xb8])) return true; // documentation
  if (startsWith(bytes, [0x01, 0, 0, 0, 0, 0, 0, 0])) return true; // discard-only
  const first = bytes[0] ?? 0;
  const second = bytes[1] ?? 0;
  if ((first & 0xfe) === 0xfc) return true; // fc00::/7 unique local
  if (first === 0xfe && (second & 0xc0) >= 0x80) return true; // fe80::/10 link-local, fec0::/10 site-local
  return first === 0xff; // multicast
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
