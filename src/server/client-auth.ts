/**
 * Client authentication for the API routes (accounts-tokens-pool.md §9.2, with the reference's gaps closed):
 * the key is accepted from `Authorization: Bearer`, `x-api-key`, `x-goog-api-key` and `?key=` (what the Gemini
 * SDKs send); comparison is constant-time; an empty configured key never matches anything; repeated failures
 * from one address are throttled.
 */
import { hash, timingSafeEqual } from 'node:crypto';

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
    // `Bearer` with nothing after it (trimmed away) is no key, not the key "Bearer".
    const value = /^bearer(\s+|$)/i.test(authorization) ? authorization.replace(/^bearer(\s+|$)/i, '') : authorization;
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

/** Digests of the configured secrets (API key, admin password): they change only with the configuration. */
const expectedDigests = new Map<string, Buffer>();
const maxExpectedDigests = 8;

/** Constant-time equality that also hides the length of the secret (both sides are hashed first). */
export function secretsEqual(presented: string, expected: string): boolean {
  if (expected === '') return false;
  let right = expectedDigests.get(expected);
  if (right === undefined) {
    // Replaced secrets are dropped wholesale: a handful of entries, refilled by the next comparison.
    if (expectedDigests.size >= maxExpectedDigests) expectedDigests.clear();
    right = hash('sha256', expected, 'buffer');
    expectedDigests.set(expected, right);
  }
  return timingSafeEqual(hash('sha256', presented, 'buffer'), right);
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
 * Slows down guessing: per client address, the distinct wrong credentials tried in a sliding minute. Past the
 * limit the address waits, right credentials included (a guesser learns nothing at full speed). Repeating the
 * same wrong key is not guessing — a misconfigured local client must not lock every other client on 127.0.0.1
 * out — so it does not count twice, and a request without any key is not a guess at all. Bounded: the oldest
 * addresses are forgotten first.
 */
export function createFailureThrottle(options: { limitPerMinute: number; now: () => number; maxAddresses?: number }) {
  const guesses = new Map<string, Map<string, number>>();
  const maxAddresses = options.maxAddresses ?? 10_000;
  const windowMs = 60_000;
  const recent = (address: string): Map<string, number> => {
    const cutoff = options.now() - windowMs;
    const tried = guesses.get(address) ?? new Map<string, number>();
    for (const [guess, time] of tried) if (time <= cutoff) tried.delete(guess);
    if (tried.size === 0) guesses.delete(address);
    return tried;
  };
  return {
    /** Seconds the address must wait, or 0 when it may try. */
    retryAfterSeconds(address: string): number {
      const tried = recent(address);
      if (tried.size < options.limitPerMinute) return 0;
      const oldest = Math.min(...tried.values());
      return Math.max(1, Math.ceil((oldest + windowMs - options.now()) / 1000));
    },
    /** `presented` is the wrong credential (hashed here, never kept); undefined when none was sent. */
    recordFailure(address: string, presented: string | undefined): void {
      if (presented === undefined || presented === '') return;
      const tried = recent(address);
      tried.set(hash('sha256', presented, 'base64url').slice(0, 22), options.now());
      guesses.delete(address);
      guesses.set(address, tried);
      if (guesses.size > maxAddresses) guesses.delete(guesses.keys().next().value as string);
    },
    recordSuccess(address: string): void {
      guesses.delete(address);
    },
  };
}
