/**
 * Settings of the v1internal client. The config layer builds them; `upstreamDefaults` are the values it should
 * use when nothing is configured (docs/upstream.md explains each); the defaults live in src/config/defaults.ts.
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
