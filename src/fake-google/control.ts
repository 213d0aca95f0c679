/**
 * The in-process control surface of the fake: accounts, tokens, quotas, scripted faults, recorded calls.
 */
import type { EventEmitter } from 'node:events';
import type { SignatureChecks } from './answer.ts';
import { defaultSettings, type FakeGoogleOptions } from './options.ts';
import { type FakeRules, type FakeRulesPatch, mergeRules } from './rules.ts';
import type { FakeRuntime } from './runtime.ts';
import { creditBalance } from './state.ts';
import type {
  AccountHandle,
  AccountSpec,
  BaseFailure,
  BaseName,
  CallCounts,
  CallFilter,
  CreditBalance,
  QuotaBucket,
  RecordedCall,
  ScriptHandle,
  ScriptRule,
  SharedConnection,
  Tier,
  UserProjectHeaderMode,
} from './types.ts';

export interface FakeGoogleControl {
  /** Adds (or replaces, by email) an account; its refresh token becomes valid. */
  addAccount(spec: AccountSpec): AccountHandle;
  account(email: string): AccountHandle | undefined;
  removeAccount(email: string): void;
  /** Makes a refresh token answer `invalid_grant`; also drops the account's access tokens if it was its current one. */
  revokeRefreshToken(token: string): boolean;
  /** With rotation on, each refresh returns a new refresh_token and the presented one stops working. */
  rotateRefreshTokens(email: string, on: boolean): void;
  /** `remainingFraction: null` = the model's quota is reported without a fraction (unknown, not exhausted). */
  setQuota(email: string, model: string, remainingFraction: number | null, resetTime?: string): void;
  setBuckets(email: string, buckets: QuotaBucket[]): void;
  setTier(email: string, tier: Tier): void;
  /** `null` = not onboarded: loadCodeAssist has no project until onboardUser. */
  setProject(email: string, projectId: string | null): void;
  /** The account the authorization page signs in as; `null` makes it answer `error=access_denied`. */
  setLoginAccount(email: string | null): void;
  script(rule: ScriptRule): ScriptHandle;
  clearScripts(): void;
  /** Makes every request to one v1internal base fail (`null` heals it). */
  failBase(base: BaseName, failure: BaseFailure | null): void;
  /** How the backend treats `x-goog-user-project` on this account's calls (403 forms, or `accepted`). */
  setUserProjectHeader(email: string, mode: UserProjectHeaderMode): void;
  /** The account's Google One AI credits; `null` = none. */
  setCredits(email: string, credits: CreditBalance | null): void;
  /** The account's credit balance now (paid calls spend it), or undefined when it has none. */
  credits(email: string): Required<CreditBalance> | undefined;
  /** Switches backend rules of 2026 on or off (nested objects merge); returns the rules now in force. */
  setRules(patch: FakeRulesPatch): FakeRules;
  rules(): FakeRules;
  calls(filter?: CallFilter): RecordedCall[];
  counts(): CallCounts;
  /** Recorded connections that carried calls of more than one account (should be none). */
  sharedConnections(): SharedConnection[];
  /** Streams whose client disconnected before the fake finished writing. */
  streamsClosedByClient(): number;
  /** Resolves once `count` streams were closed by their clients, or rejects after `timeoutMs`. */
  waitForStreamsClosedByClient(count: number, timeoutMs?: number): Promise<void>;
  /** Emits `call` (RecordedCall), `client-closed` and `stream-closed-by-client`. */
  events: EventEmitter;
  setStreamChunks(count: number): void;
  setLineEnding(lineEnding: '\r\n' | '\n'): void;
  setSignatureValidation(checks: Partial<SignatureChecks>): void;
  setLatency(latencyMs: number, jitterMs?: number): void;
  /** Moves the fake's clock forward (token expiry, reset times). */
  advanceClock(seconds: number): void;
  now(): number;
  /** Forgets accounts, scripts, calls, counters and settings; the clock offset returns to zero. */
  reset(): void;
}

interface ClockHooks {
  advanceClock(seconds: number): void;
  resetClock(): void;
}

/** Builds the control object bound to one fake's runtime. */
export function createControl(runtime: FakeRuntime, options: FakeGoogleOptions, clock: ClockHooks): FakeGoogleControl {
  const { state } = runtime;
  return {
    addAccount: (spec) => state.addAccount(spec),
    account: (email) => (state.accounts.has(email) ? state.handle(email) : undefined),
    removeAccount(email) {
      state.accounts.delete(email);
      state.revokeAccessTokens(email);
    },
    revokeRefreshToken(token) {
      const email = state.emailForRefreshToken(token);
      const revoked = state.revokeRefreshToken(token);
      if (email !== undefined && state.accounts.get(email)?.currentRefreshToken === token) {
        state.revokeAccessTokens(email);
      }
      return revoked;
    },
    rotateRefreshTokens(email, on) {
      state.requireAccount(email).rotateRefreshTokens = on;
    },
    setQuota(email, model, remainingFraction, resetTime) {
      state
        .requireAccount(email)
        .quotas.set(model, { remainingFraction, resetTime: resetTime ?? state.isoAfter(5 * 3600) });
    },
    setBuckets(email, buckets) {
      state.requireAccount(email).buckets = buckets;
    },
    setTier(email, tier) {
      state.requireAccount(email).tier = tier;
    },
    setProject(email, projectId) {
      state.requireAccount(email).projectId = projectId;
    },
    setLoginAccount(email) {
      state.loginAccount = email;
    },
    script: (rule) => runtime.scripts.add(rule),
    clearScripts: () => runtime.scripts.clear(),
    failBase(base, failure) {
      if (failure === null) runtime.baseFailures.delete(base);
      else runtime.baseFailures.set(base, failure);
    },
    setUserProjectHeader(email, mode) {
      state.requireAccount(email).userProjectHeader = mode;
    },
    setCredits(email, credits) {
      state.requireAccount(email).credits = credits === null ? undefined : creditBalance(credits);
    },
    credits(email) {
      const balance = state.requireAccount(email).credits;
      return balance === undefined ? undefined : { ...balance };
    },
    setRules(patch) {
      runtime.settings.rules = mergeRules(runtime.settings.rules, patch);
      return structuredClone(runtime.settings.rules);
    },
    rules: () => structuredClone(runtime.settings.rules),
    calls: (filter) => runtime.recorder.list(filter),
    counts: () => runtime.recorder.counts(),
    sharedConnections: () => runtime.recorder.sharedConnections(),
    streamsClosedByClient: () => runtime.stats.streamsClosedByClient,
    waitForStreamsClosedByClient(count, timeoutMs = 5000) {
      return new Promise<void>((resolve, reject) => {
        if (runtime.stats.streamsClosedByClient >= count) {
          resolve();
          return;
        }
        const onClose = () => {
          if (runtime.stats.streamsClosedByClient < count) return;
          clearTimeout(timer);
          runtime.events.off('stream-closed-by-client', onClose);
          resolve();
        };
        const timer = setTimeout(() => {
          runtime.events.off('stream-closed-by-client', onClose);
          reject(new Error(`fake-google: ${runtime.stats.streamsClosedByClient}/${count} streams closed by client`));
        }, timeoutMs);
        runtime.events.on('stream-closed-by-client', onClose);
      });
    },
    events: runtime.events,
    setStreamChunks(count) {
      runtime.settings.streamChunks = Math.max(1, Math.floor(count));
    },
    setLineEnding(lineEnding) {
      runtime.settings.lineEnding = lineEnding;
    },
    setSignatureValidation(checks) {
      runtime.settings.signatureChecks = { ...runtime.settings.signatureChecks, ...checks };
    },
    setLatency(latencyMs, jitterMs = 0) {
      runtime.settings.latencyMs = latencyMs;
      runtime.settings.jitterMs = jitterMs;
    },
    advanceClock: (seconds) => clock.advanceClock(seconds),
    now: () => runtime.now(),
    reset() {
      state.clear();
      runtime.scripts.clear();
      runtime.recorder.clear();
      runtime.baseFailures.clear();
      runtime.settings = defaultSettings(options);
      runtime.stats.streamsClosedByClient = 0;
      runtime.stats.requestsClosedByClient = 0;
      clock.resetClock();
    },
  };
}
