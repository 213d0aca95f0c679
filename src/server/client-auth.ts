/**
 * Client authentication for the API routes (accounts-tokens-pool.md §9.2, with the reference's gaps closed):
 * the key is accepted from `Authorization: Bearer`, `x-api-key`, `x-goog-api-key` and `?key=` (what the Gemini
 * SDKs send); comparison is constant-time; an empty configured key never matches anything; repeated failures
 * from one address are throttled.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import type { AuthMode } from '../config/gateway-config.ts';

export interface PresentedKey {
  value: string;
  /** Where the key came from, for the rejection message. */
  source: 'authorization' | 'x-api-key' | 'x-goog-api-key' | 'query';
}

type HeaderValue = string | string[] | undefined;

function firstHeader(value: HeaderValue): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}

export function extractPresentedKey(
  headers: Readonly<Record<string, HeaderValue>>,
  query: unknown,
): PresentedKey | undefined {
  const authorization = firstHeader(headers['authorization'])?.trim();
  if (authorization) {
    const value = /^bearer\s+/i.test(authorization) ? authorization.replace(/^bearer\s+/i, '') : authorization;
    if (value !== '') return { value, source: 'authorization' };
  }
  const apiKey = firstHeader(headers['x-api-key'])?.trim();
  if (apiKey) return { value: apiKey, source: 'x-api-key' };
  const googleKey = firstHeader(headers['x-goog-api-key'])?.trim();
  if (googleKey) return { value: googleKey, source: 'x-goog-api-key' };
  if (typeof query === 'object' && query !== null) {
    const key = (query as Record<string, unknown>)['key'];
    if (typeof key === 'string' && key.trim() !== '') return { value: key.trim(), source: 'query' };
  }
  return undefined;
}

/** Constant-time equality that also hides the length of the secret (both sides are hashed first). */
export function secretsEqual(presented: string, expected: string): boolean {
  if (expected === '') return false;
  const left = createHash('sha256').update(presented).digest();
  const right = createHash('sha256').update(expected).digest();
  return timingSafeEqual(left, right);
}

const healthPaths = new Set(['/healthz', '/health']);

/** Whether a request to `path` needs the API key under `mode` (`auto` already resolved by the config). */
export function requiresClientKey(mode: Exclude<AuthMode, 'auto'>, method: string, path: string): boolean {
  if (method === 'OPTIONS') return false;
  if (mode === 'off') return false;
  if (mode === 'all_except_health' && healthPaths.has(path)) return false;
  return true;
}

export function rejectionMessage(presented: PresentedKey | undefined, configuredKeyEmpty: boolean): string {
  if (configuredKeyEmpty) {
    return 'this gateway requires an API key but none is configured; set one with `agw config set proxy.api_key <key>`';
  }
  if (presented === undefined) {
    return 'missing API key: send it as `Authorization: Bearer <key>`, `x-api-key: <key>`, `x-goog-api-key: <key>` or `?key=<key>`';
  }
  return `the API key sent in ${presented.source === 'query' ? 'the key query parameter' : `the ${presented.source} header`} is not valid for this gateway`;
}

/**
 * Counts authentication failures per client address in a sliding minute. Past the limit, the address is told to
 * wait instead of being allowed to keep guessing. Bounded: the oldest addresses are forgotten first.
 */
export function createFailureThrottle(options: { limitPerMinute: number; now: () => number; maxAddresses?: number }) {
  const failures = new Map<string, number[]>();
  const maxAddresses = options.maxAddresses ?? 10_000;
  const windowMs = 60_000;
  const recent = (address: string): number[] => {
    const cutoff = options.now() - windowMs;
    const times = (failures.get(address) ?? []).filter((time) => time > cutoff);
    if (times.length === 0) failures.delete(address);
    else failures.set(address, times);
    return times;
  };
  return {
    /** Seconds the address must wait, or 0 when it may try. */
    retryAfterSeconds(address: string): number {
      const times = recent(address);
      if (times.length < options.limitPerMinute) return 0;
      return Math.max(1, Math.ceil(((times[0] ?? 0) + windowMs - options.now()) / 1000));
    },
    recordFailure(address: string): void {
      const times = recent(address);
      times.push(options.now());
      failures.delete(address);
      failures.set(address, times);
      if (failures.size > maxAddresses) failures.delete(failures.keys().next().value as string);
    },
    recordSuccess(address: string): void {
      failures.delete(address);
    },
  };
}
