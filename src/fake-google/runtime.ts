/**
 * The internals every route handler shares, and the per-request exchange.
 */
import type { EventEmitter } from 'node:events';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { SignatureChecks } from './answer.ts';
import type { CallRecorder } from './recorder.ts';
import type { FakeRules } from './rules.ts';
import type { AppliedScript, ScriptBook } from './scripts.ts';
import type { SignatureAuthority } from './signatures.ts';
import type { FakeState } from './state.ts';
import type { BaseFailure, BaseName, Endpoint, RecordedCall } from './types.ts';

export interface FakeSettings {
  streamChunks: number;
  lineEnding: string;
  signatureChecks: SignatureChecks;
  latencyMs: number;
  jitterMs: number;
  rules: FakeRules;
}

export interface FakeRuntime {
  state: FakeState;
  scripts: ScriptBook;
  recorder: CallRecorder;
  signer: SignatureAuthority;
  settings: FakeSettings;
  events: EventEmitter;
  stats: { streamsClosedByClient: number; requestsClosedByClient: number; responses: number };
  baseFailures: Map<BaseName, BaseFailure>;
  clients: Map<string, string>;
  now(): number;
  random(): number;
}

export interface Exchange {
  request: IncomingMessage;
  response: ServerResponse;
  endpoint: Endpoint;
  base: BaseName | undefined;
  query: Record<string, string>;
  body: unknown;
  /** Set when the body is not valid JSON (v1internal) — answered with 400. */
  bodyInvalid: boolean;
  email: string | undefined;
  model: string | undefined;
  call: RecordedCall;
  applied: AppliedScript | undefined;
  /** True once the fake itself destroyed the socket, so the close is not blamed on the client. */
  destroyedByFake: boolean;
  /** The Antigravity version the request reported, if any. */
  clientVersion: string | undefined;
}
