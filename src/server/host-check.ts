/**
 * Defences of the admin API and console against pages in the user's own browser.
 *
 * DNS rebinding: a page on evil.example re-points its name at 127.0.0.1 and calls the loopback admin API as a
 * "same-origin" request; the browser still sends `Host: evil.example`, so answering only known Host names stops
 * it. Cross-site requests: a page on another site can send simple POSTs (form encodings, text/plain) with the
 * console's cookie-less credentials or to an open admin API; a JSON content type or a custom header forces a CORS
 * preflight that agw never grants, and an `Origin` of another site is refused outright.
 */
import type { Binding } from './bind-address.ts';

/** The host name of a Host header or an origin's host (lower case, no port, no brackets), or undefined. */
export function hostNameOf(hostHeader: string): string | undefined {
  const trimmed = hostHeader.trim().toLowerCase();
  if (trimmed === '') return undefined;
  const bracketed = /^\[([^\]]+)\](?::\d+)?$/.exec(trimmed);
  if (bracketed) return bracketed[1];
  const colons = trimmed.split(':').length - 1;
  if (colons > 1) return trimmed; // a bare IPv6 literal (no port can be told apart)
  const name = trimmed.replace(/:\d+$/, '');
  return /^[a-z0-9.-]+$/.test(name) ? name.replace(/\.$/, '') : undefined;
}

/** Whether a request with this Host header may reach the admin API or console. No Host at all cannot be a browser. */
export function hostAllowed(hostHeader: string | undefined, binding: Binding): boolean {
  if (hostHeader === undefined) return true;
  const name = hostNameOf(hostHeader);
  return name !== undefined && binding.hostNames.has(name);
}

/** Whether `origin` (the Origin header) names this gateway under an accepted host; `null` origins never do. */
export function originAllowed(origin: string, binding: Binding): boolean {
  let parsed: URL;
  try {
    parsed = new URL(origin);
  } catch {
    return false;
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') return false;
  const name = hostNameOf(parsed.host);
  return name !== undefined && binding.hostNames.has(name);
}

const safeMethods = new Set(['GET', 'HEAD', 'OPTIONS']);

/** The header scripts may send instead of a JSON body to mark a state-changing admin call as deliberate. */
export const adminRequestHeader = 'x-agw-admin';

/**
 * Why a state-changing admin request is refused as possibly cross-site, or undefined when it may proceed.
 * Reading methods pass: they change nothing and a cross-site page cannot read the answer.
 */
export function crossSiteProblem(
  method: string,
  headers: Readonly<Record<string, string | string[] | undefined>>,
  binding: Binding,
): string | undefined {
  if (safeMethods.has(method)) return undefined;
  const origin = headers['origin'];
  if (typeof origin === 'string' && !originAllowed(origin, binding)) {
    return `requests from the origin ${JSON.stringify(origin)} may not change this gateway`;
  }
  const contentType = headers['content-type'];
  const json = typeof contentType === 'string' && /^application\/([a-z.+-]*\+)?json\b/i.test(contentType.trim());
  // Authorization, like the admin header, is not a header a page may send to another site without a preflight.
  if (json || headers[adminRequestHeader] !== undefined || headers['authorization'] !== undefined) return undefined;
  return `state-changing admin requests need a JSON body (content-type: application/json), an Authorization header or the header ${adminRequestHeader}: 1`;
}
