/**
 * Outbound proxy URLs (issue 18): which schemes agw speaks, how a URL is checked, and how it is shown. A proxy URL
 * may carry credentials (`http://user:secret@host:3128`); they are needed to connect and never shown: every
 * display goes through {@link proxyLabel}, and the one scrubber (src/telemetry/redaction.ts) removes them from
 * free text as a last line of defence. Pure, no I/O.
 */

export const proxySchemes = ['http', 'https', 'socks5', 'socks5h'] as const;
export type ProxyScheme = (typeof proxySchemes)[number];

export interface ProxyAddress {
  /** The URL as given (credentials included); only the dispatchers see it. */
  readonly url: string;
  readonly scheme: ProxyScheme;
  readonly hostname: string;
  readonly port: number;
  readonly username: string;
  readonly password: string;
  /** `scheme://host:port`, never credentials: what logs, errors and displays show. */
  readonly label: string;
}

const defaultPorts: Record<ProxyScheme, number> = { http: 80, https: 443, socks5: 1080, socks5h: 1080 };

/**
 * Parses and checks a proxy URL; answers a reason (without the URL, which may hold a password) when it is not
 * one agw can use. A URL without a scheme is taken as `http://` (the reference's upstream_proxy rule).
 */
export function parseProxyUrl(text: string): ProxyAddress | string {
  const trimmed = text.trim();
  if (trimmed === '') return 'the proxy URL is empty';
  const withScheme = /^[a-z][a-z0-9+.-]*:\/\//i.test(trimmed) ? trimmed : `http://${trimmed}`;
  let parsed: URL;
  try {
    parsed = new URL(withScheme);
  } catch {
    return 'the proxy URL is not a valid URL (expected scheme://[user:password@]host:port)';
  }
  const scheme = parsed.protocol.slice(0, -1).toLowerCase();
  if (!(proxySchemes as readonly string[]).includes(scheme)) {
    return `unsupported proxy scheme "${scheme}" (use ${proxySchemes.map((name) => `${name}://`).join(', ')})`;
  }
  if (parsed.hostname === '') return 'the proxy URL has no host';
  if ((parsed.pathname !== '' && parsed.pathname !== '/') || parsed.search !== '' || parsed.hash !== '') {
    return 'a proxy URL is scheme://[user:password@]host:port, without a path or query';
  }
  const typed = scheme as ProxyScheme;
  const port = parsed.port === '' ? defaultPorts[typed] : Number(parsed.port);
  const hostname = parsed.hostname.replace(/^\[|\]$/g, '');
  const hostText = hostname.includes(':') ? `[${hostname}]` : hostname;
  return {
    url: withScheme,
    scheme: typed,
    hostname,
    port,
    username: decodeURIComponent(parsed.username),
    password: decodeURIComponent(parsed.password),
    label: `${typed}://${hostText}:${port}`,
  };
}

/** The display form of a proxy URL (no credentials); an unusable URL shows as `(invalid proxy URL)`. */
export function proxyLabel(text: string): string {
  const address = parseProxyUrl(text);
  return typeof address === 'string' ? '(invalid proxy URL)' : address.label;
}

/** The check the config schema and the account field share: undefined when usable, else the reason. */
export function proxyUrlProblem(text: string): string | undefined {
  const address = parseProxyUrl(text);
  return typeof address === 'string' ? address : undefined;
}
