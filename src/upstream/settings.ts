/**
 * Settings of the v1internal client. The config layer builds them; `upstreamDefaults` are the values it should
 * use when nothing is configured (docs/upstream.md explains each).
 */

export interface UpstreamSettings {
  /** `v1internal` base URLs, tried in order. */
  endpoints: readonly string[];
  /** TCP + TLS handshake budget per endpoint, milliseconds. */
  connectTimeoutMs: number;
  /** From request sent to response headers received, milliseconds. */
  headersTimeoutMs: number;
  /** Longest silence between two body chunks (undici bodyTimeout), milliseconds. */
  chunkGapTimeoutMs: number;
  /** Whole call including the streamed body, milliseconds. */
  totalTimeoutMs: number;
  userAgent: string;
  /** Sent as `x-client-version`. */
  clientVersion: string;
  /** How long an idle upstream connection is kept for reuse, milliseconds. */
  keepAliveTimeoutMs: number;
  /** Connections per upstream origin; undefined = unlimited. */
  connections?: number;
}

/** The version agw claims to be in the Antigravity user agent (the reference's floor, §4.8). */
export const defaultClientVersion = '4.3.0';

export const upstreamDefaults = {
  endpoints: [
    'https://daily-cloudcode-pa.sandbox.googleapis.com/v1internal',
    'https://daily-cloudcode-pa.googleapis.com/v1internal',
    'https://cloudcode-pa.googleapis.com/v1internal',
  ],
  connectTimeoutMs: 10_000,
  headersTimeoutMs: 120_000,
  chunkGapTimeoutMs: 120_000,
  totalTimeoutMs: 1_800_000,
  userAgent: `Antigravity/${defaultClientVersion} (X11; Linux x86_64) Chrome/132.0.6834.160 Electron/39.2.3`,
  clientVersion: defaultClientVersion,
  keepAliveTimeoutMs: 60_000,
  connections: 64,
} as const satisfies UpstreamSettings;
