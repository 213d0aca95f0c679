/** Fakes for pool tests: a virtual clock, scripted token client, recording storage. */
import { GatewayError } from '../../src/errors/catalogue.ts';
import type { AttemptResult, UpstreamFailure } from '../../src/pool/attempt-types.ts';
import { type AccountPool, createAccountPool, type PoolOptions } from '../../src/pool/pool.ts';
import type {
  Clock,
  PoolEvent,
  PoolStorage,
  ProjectResolver,
  RefreshRequest,
  RefreshResult,
  TokenClient,
} from '../../src/pool/ports.ts';
import { defaultPoolSettings, type PoolSettings } from '../../src/pool/settings.ts';
import { type Account, accountSchema } from '../../src/store/account-schema.ts';
import { createRecordingLogger } from '../../src/telemetry/log-port.ts';

export const startMs = Date.parse('2026-03-01T00:00:00Z');

/** Virtual time: sleep advances the clock at once, so waits cost nothing and are fully deterministic. */
export class FakeClock implements Clock {
  nowMs = startMs;
  readonly sleeps: number[] = [];
  now(): number {
    return this.nowMs;
  }
  async sleep(ms: number, signal?: AbortSignal): Promise<void> {
    signal?.throwIfAborted();
    this.sleeps.push(ms);
    this.nowMs += ms;
    await Promise.resolve();
    signal?.throwIfAborted();
  }
}

export function deferred<T>(): { promise: Promise<T>; resolve: (value: T) => void; reject: (error: unknown) => void } {
  let resolve!: (value: T) => void;
  let reject!: (error: unknown) => void;
  const promise = new Promise<T>((yes, no) => {
    resolve = yes;
    reject = no;
  });
  return { promise, resolve, reject };
}

export type RefreshScript = (request: RefreshRequest, call: number) => Promise<RefreshResult> | RefreshResult;

export class FakeTokenClient implements TokenClient {
  readonly calls: RefreshRequest[] = [];
  script: RefreshScript = (request, call) => ({ accessToken: `at-${request.id}-${call}`, expiresInSeconds: 3599 });
  async refresh(request: RefreshRequest): Promise<RefreshResult> {
    this.calls.push(request);
    await Promise.resolve();
    return this.script(request, this.calls.length);
  }
}

export class FakeProjectResolver implements ProjectResolver {
  readonly calls: string[] = [];
  script: (accessToken: string, call: number) => Promise<string> | string = () => 'proj-resolved';
  async resolve(accessToken: string): Promise<string> {
    this.calls.push(accessToken);
    await Promise.resolve();
    return this.script(accessToken, this.calls.length);
  }
}

export interface StorageCall {
  readonly method: keyof PoolStorage;
  readonly args: readonly unknown[];
}

export function createFakeStorage(): PoolStorage & {
  calls: StorageCall[];
  of(method: keyof PoolStorage): StorageCall[];
} {
  const calls: StorageCall[] = [];
  const record =
    (method: keyof PoolStorage) =>
    async (...args: unknown[]): Promise<void> => {
      calls.push({ method, args });
    };
  return {
    calls,
    of: (method) => calls.filter((call) => call.method === method),
    recordRotation: record('recordRotation'),
    persistToken: record('persistToken'),
    disable: record('disable'),
    setValidationBlock: record('setValidationBlock'),
    clearValidationBlock: record('clearValidationBlock'),
    markForbidden: record('markForbidden'),
    setProjectId: record('setProjectId'),
    setAccountError: record('setAccountError'),
    recordQuotaExhausted: record('recordQuotaExhausted'),
  };
}

/** An account file as the store would hand it over; the token is valid for an hour unless told otherwise. */
export function makeAccount(
  id: string,
  overrides: Record<string, unknown> = {},
  token: Record<string, unknown> = {},
): Account {
  return accountSchema.parse({
    id,
    email: `${id}@example.com`,
    token: {
      access_token: `at-${id}`,
      refresh_token: `1//rt-${id}`,
      expires_in: 3599,
      expiry_timestamp: Math.floor(startMs / 1000) + 3600,
      project_id: `proj-${id}`,
      ...token,
    },
    created_at: 1_700_000_000,
    last_used: 1_700_000_000,
    ...overrides,
  });
}

export function withTier(tier: string, percentages: Record<string, number> = {}): Record<string, unknown> {
  return {
    quota: {
      models: Object.entries(percentages).map(([name, percentage]) => ({ name, percentage, reset_time: '' })),
      last_updated: 1_700_000_000,
      subscription_tier: tier,
    },
  };
}

export interface TestPool {
  pool: AccountPool;
  clock: FakeClock;
  tokens: FakeTokenClient;
  projects: FakeProjectResolver;
  storage: ReturnType<typeof createFakeStorage>;
  logger: ReturnType<typeof createRecordingLogger>;
  events: PoolEvent[];
}

/** A pool wired to fakes; `random` defaults to a fixed sequence so choices are reproducible. */
export function createTestPool(settings: Partial<PoolSettings> = {}, options: Partial<PoolOptions> = {}): TestPool {
  const clock = new FakeClock();
  const tokens = new FakeTokenClient();
  const projects = new FakeProjectResolver();
  const storage = createFakeStorage();
  const logger = createRecordingLogger();
  const events: PoolEvent[] = [];
  let seed = 1;
  const random = () => {
    // A small LCG: deterministic, spread over [0, 1).
    seed = (seed * 1_103_515_245 + 12_345) % 2_147_483_648;
    return seed / 2_147_483_648;
  };
  const pool = createAccountPool({
    clock,
    tokenClient: tokens,
    projectResolver: projects,
    storage,
    logger,
    random,
    onEvent: (event) => events.push(event),
    settings: { ...defaultPoolSettings, ...settings },
    ...options,
  });
  return { pool, clock, tokens, projects, storage, logger, events };
}

export const ok = <T>(value: T): AttemptResult<T> => ({ ok: true, value });

export function httpFailure(status: number, body: unknown, headers: Record<string, string> = {}): AttemptResult<never> {
  const failure: UpstreamFailure = {
    kind: 'http',
    status,
    headers,
    bodyText: typeof body === 'string' ? body : JSON.stringify(body),
    committed: false,
  };
  return { ok: false, failure };
}

export function quotaExhausted(delay: string): unknown {
  return {
    error: {
      code: 429,
      message: 'You have exhausted your capacity on this model.',
      status: 'RESOURCE_EXHAUSTED',
      details: [
        {
          '@type': 'type.googleapis.com/google.rpc.ErrorInfo',
          reason: 'QUOTA_EXHAUSTED',
          metadata: { quotaResetDelay: delay },
        },
      ],
    },
  };
}

/** A 429 that names no quota and no reset: it may be the request's own fault (poison detection counts it). */
export function rateLimitedWithoutHint(): unknown {
  return {
    error: { code: 429, message: 'Resource has been exhausted (e.g. check quota).', status: 'RESOURCE_EXHAUSTED' },
  };
}

export function revoked(message = 'invalid_grant: Token has been expired or revoked.'): GatewayError {
  return new GatewayError('AGW_REFRESH_REVOKED', message);
}
