/**
 * What the listening socket is actually bound to. Authentication in `auto` mode and the Host check both decide
 * from the addresses the server really holds, not from the configured string: `localhost` may bind ::1 and
 * 127.0.0.1, a host name may resolve to a LAN address, and `0.0.0.0` / `::` mean every interface.
 */
import { isIP } from 'node:net';
import { networkInterfaces } from 'node:os';

export interface Binding {
  /** Every address the server listens on (without brackets). */
  readonly addresses: readonly string[];
  /** True when no address is reachable from another machine. */
  readonly loopbackOnly: boolean;
  /** Host names (lower case, without port or brackets) under which this server may be addressed by a browser. */
  readonly hostNames: ReadonlySet<string>;
}

/** Whether `address` (an IP literal, brackets allowed) is a loopback address: 127.0.0.0/8, ::1, ::ffff:127.x. */
export function isLoopbackAddress(address: string): boolean {
  const bare = address.replace(/^\[|\]$/g, '').toLowerCase();
  if (isIP(bare) === 4) return bare.startsWith('127.');
  if (isIP(bare) !== 6) return false;
  if (bare === '::1' || bare === '0:0:0:0:0:0:0:1') return true;
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/.exec(bare);
  return mapped !== null && (mapped[1] ?? '').startsWith('127.');
}

function isWildcard(address: string): boolean {
  return address === '0.0.0.0' || address === '::' || address === '0:0:0:0:0:0:0:0';
}

/** The names a browser may use for loopback, whatever the binding. */
const loopbackNames = ['localhost', '127.0.0.1', '::1'];

/**
 * The binding for `addresses` (what the server reports after listen). `interfaceAddresses` is what a wildcard
 * binding makes reachable (default: this machine's interfaces); `extraHostNames` are names configured by the user
 * (a reverse proxy's name, a LAN host name).
 */
export function describeBinding(
  addresses: readonly string[],
  options: { extraHostNames?: readonly string[]; interfaceAddresses?: () => readonly string[] } = {},
): Binding {
  const bare = addresses.map((address) => address.replace(/^\[|\]$/g, '').toLowerCase());
  const loopbackOnly = bare.length > 0 && bare.every(isLoopbackAddress);
  const names = new Set<string>(loopbackNames);
  for (const address of bare) {
    if (isWildcard(address)) {
      for (const local of (options.interfaceAddresses ?? localInterfaceAddresses)()) names.add(local.toLowerCase());
    } else {
      names.add(address);
    }
  }
  for (const name of options.extraHostNames ?? []) names.add(name.toLowerCase().replace(/^\[|\]$/g, ''));
  return { addresses: bare, loopbackOnly, hostNames: names };
}

function localInterfaceAddresses(): string[] {
  return Object.values(networkInterfaces())
    .flat()
    .flatMap((entry) => (entry ? [entry.address.replace(/%.*$/, '')] : []));
}

/** The binding assumed from a configured host before the server listens (a name counts as reachable). */
export function bindingFromConfiguredHost(host: string, extraHostNames: readonly string[] = []): Binding {
  if (host === 'localhost') return describeBinding(['127.0.0.1', '::1'], { extraHostNames });
  return describeBinding([host], { extraHostNames });
}

/** A URL a local client can use to reach the server (a wildcard binding is reached through loopback). */
export function localUrl(binding: Binding, port: number): string {
  const first = binding.addresses[0] ?? '127.0.0.1';
  const host = isWildcard(first) ? (first.includes(':') ? '::1' : '127.0.0.1') : first;
  return `http://${host.includes(':') ? `[${host}]` : host}:${port}`;
}

/** How the start-up line names what is bound: every address as a URL, with a word on what a wildcard means. */
export function describeListening(binding: Binding, port: number): string {
  return binding.addresses
    .map((address) => {
      const shown = `http://${address.includes(':') ? `[${address}]` : address}:${port}`;
      if (address === '0.0.0.0') return `${shown} (every IPv4 interface)`;
      if (isWildcard(address)) return `${shown} (every interface)`;
      return shown;
    })
    .join(', ');
}
