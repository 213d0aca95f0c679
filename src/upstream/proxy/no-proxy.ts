/**
 * NO_PROXY matching, the way curl and most tools read it: a comma- or space-separated list of host names (a name
 * also matches its subdomains; a leading `.` or `*.` is the same), IP addresses, `host:port` entries and `*` for
 * everything. It applies to the global and environment proxies only: an account's own proxy is always used.
 * Pure, no I/O.
 */

interface Exclusion {
  readonly host: string;
  readonly port: number | undefined;
}

function parseEntry(entry: string): Exclusion | undefined {
  let text = entry.trim().toLowerCase();
  if (text === '') return undefined;
  let port: number | undefined;
  const bracketed = /^\[([^\]]+)\](?::(\d+))?$/.exec(text);
  if (bracketed) {
    text = bracketed[1]!;
    port = bracketed[2] === undefined ? undefined : Number(bracketed[2]);
  } else {
    const withPort = /^([^:]+):(\d+)$/.exec(text);
    if (withPort) {
      text = withPort[1]!;
      port = Number(withPort[2]);
    }
  }
  text = text.replace(/^\*?\./, '');
  return { host: text, port };
}

/** Splits a NO_PROXY value (or joins a list) into entries. */
export function noProxyEntries(value: string | readonly string[]): string[] {
  const list = typeof value === 'string' ? [value] : value;
  return list.flatMap((item) => item.split(/[\s,]+/)).filter((item) => item.trim() !== '');
}

/** True when a call to `target` (a URL) must not use the global or environment proxy. */
export function bypassesProxy(target: string, entries: readonly string[]): boolean {
  if (entries.length === 0) return false;
  let url: URL;
  try {
    url = new URL(target);
  } catch {
    return false;
  }
  const host = url.hostname.toLowerCase().replace(/^\[|\]$/g, '');
  const port = url.port === '' ? (url.protocol === 'https:' ? 443 : 80) : Number(url.port);
  for (const raw of entries) {
    if (raw.trim() === '*') return true;
    const entry = parseEntry(raw);
    if (entry === undefined) continue;
    if (entry.port !== undefined && entry.port !== port) continue;
    if (host === entry.host || host.endsWith(`.${entry.host}`)) return true;
  }
  return false;
}
