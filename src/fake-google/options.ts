/**
 * Options of createFakeGoogle and the settings they start from.
 */
import { defaultRules, type FakeRulesPatch, mergeRules } from './rules.ts';
import type { FakeSettings } from './runtime.ts';

export interface FakeGoogleOptions {
  /** Default 0 (an ephemeral port). */
  port?: number;
  /** Default `127.0.0.1`. */
  host?: string;
  /** Lifetime of issued access tokens; Google's is 3599 s. */
  accessTokenLifetimeSeconds?: number;
  /** Added to every (non-control) response. */
  latencyMs?: number;
  /** Extra random latency in [0, jitterMs). */
  jitterMs?: number;
  /** Source of randomness for jitter; inject for determinism. */
  random?: () => number;
  /** The fake's clock in epoch milliseconds (token expiry, reset times); `control.advanceClock` adds to it. */
  now?: () => number;
  /** Text pieces per streamed answer; default 3. */
  streamChunks?: number;
  /** SSE line ending; Google uses CRLF (the default). */
  lineEnding?: '\r\n' | '\n';
  /** The OAuth client the token and authorization endpoints accept. */
  clientId?: string;
  clientSecret?: string;
  /** Calls kept for `control.calls()`; default 10 000. */
  maxRecordedCalls?: number;
  /** Backend rules of 2026 to switch on from the start (see `setRules`); defaults in rules.ts. */
  rules?: FakeRulesPatch;
}

export const defaultClient = {
  clientId: 'fake-client-id.apps.googleusercontent.com',
  clientSecret: 'fake-client-secret',
};

export function defaultSettings(options: FakeGoogleOptions): FakeSettings {
  return {
    streamChunks: Math.max(1, options.streamChunks ?? 3),
    lineEnding: options.lineEnding ?? '\r\n',
    signatureChecks: { claude: true, gemini: true },
    latencyMs: options.latencyMs ?? 0,
    jitterMs: options.jitterMs ?? 0,
    rules: mergeRules(defaultRules(), options.rules ?? {}),
  };
}
