/**
 * The client identity the backend judges: the Antigravity version a request reports, read from its User-Agent
 * (`Antigravity/4.3.0 (…)`, `antigravity/1.23.2 linux/amd64`, `antigravity/hub/2.9.1 darwin/arm64`,
 * `vscode/1.X.X (Antigravity/4.3.0)`) or, failing that, from `x-client-version`.
 */
import type { IncomingHttpHeaders } from 'node:http';

const userAgentVersion = /antigravity\/(?:hub\/)?(\d+(?:\.\d+){0,3})/i;
const bareVersion = /^\s*v?(\d+(?:\.\d+){0,3})\s*$/;

function single(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}

/** The reported version, or undefined when the request names none. */
export function reportedClientVersion(headers: IncomingHttpHeaders): string | undefined {
  const fromAgent = userAgentVersion.exec(single(headers['user-agent']) ?? '');
  if (fromAgent !== null) return fromAgent[1];
  const fromHeader = bareVersion.exec(single(headers['x-client-version']) ?? '');
  return fromHeader === null ? undefined : fromHeader[1];
}

/** Numeric comparison of dotted versions; missing parts count as 0 (`2.9` = `2.9.0`). */
export function compareVersions(left: string, right: string): number {
  const a = left.split('.').map(Number);
  const b = right.split('.').map(Number);
  for (let index = 0; index < Math.max(a.length, b.length); index++) {
    const difference = (a[index] ?? 0) - (b[index] ?? 0);
    if (difference !== 0) return Math.sign(difference);
  }
  return 0;
}

/** A request without a version counts as older than every floor (the backend gates on what it can read). */
export function atLeast(version: string | undefined, floor: string): boolean {
  return version !== undefined && compareVersions(version, floor) >= 0;
}

/** Whether a string is a dotted version the comparison understands. */
export function isVersion(text: unknown): text is string {
  return typeof text === 'string' && bareVersion.test(text) && !text.trim().startsWith('v');
}
