/**
 * A real gateway (src/server/runtime.ts) on a loopback port, in front of the real fake Google, with a throw-away
 * data directory. Integration suites start one per test (or per file) and talk HTTP to `url`.
 *
 * Accounts are enrolled the way users enrol them (refresh → userinfo → project → store), so the data directory
 * holds exactly what `agw accounts add` would write.
 */
import { randomBytes } from 'node:crypto';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { updateSettings } from '../../src/config/edit.ts';
import type { GatewayConfig } from '../../src/config/gateway-config.ts';
import { configFromObject, readConfigObject } from '../../src/config/load.ts';
import { createFakeGoogle, type FakeGoogle } from '../../src/fake-google/index.ts';
import type { AccountSpec } from '../../src/fake-google/types.ts';
import { createGoogleClients } from '../../src/google/clients.ts';
import { enrollAccount } from '../../src/google/enroll-account.ts';
import type { Clock } from '../../src/pool/ports.ts';
import { type RunningGateway, startGateway } from '../../src/server/runtime.ts';
import type { Account } from '../../src/store/account-schema.ts';
import { type AccountStore, openAccountStore } from '../../src/store/account-store.ts';
import { createRecordingLogger, type Logger, type RecordedLogLine } from '../../src/telemetry/log-port.ts';
import { fakeEnvironment } from '../support/fake-environment.ts';
import { tempDir } from '../support/temp-dir.ts';

export interface HarnessAccount extends Omit<AccountSpec, 'refreshToken'> {
  refreshToken?: string;
  /** Store the account with an already expired access token (the next use refreshes). */
  expired?: boolean;
}

export interface HarnessOptions {
  accounts?: HarnessAccount[];
  /** gui_config.json changes applied before start (dotted keys, as `agw config set`). */
  settings?: Record<string, unknown>;
  /** A logger to use instead of the recording one (e.g. a file logger from src/telemetry/logger.ts). */
  logger?: Logger;
  /** Start with this data directory instead of a fresh one (e.g. to restart on the same data). */
  dataDir?: string;
  /** Reuse a running fake Google (restarts keep the fake's state). */
  fake?: FakeGoogle;
  /** The gateway's API key (default: a random `sk-test-…`). */
  apiKey?: string;
  /** The pool's clock (default: the system clock). */
  clock?: Clock;
  /** Environment entries that replace the harness's own (e.g. AGW_UPSTREAM_ENDPOINTS with a refused first base). */
  environment?: Record<string, string>;
  /** Directory of a built console to serve (default: none). */
  consoleDirectory?: string;
  /** Run the background quota refresher (default false, so call counts stay predictable). */
  quotaRefresh?: boolean;
}

export interface Harness {
  fake: FakeGoogle;
  gateway: RunningGateway;
  /** Base URL of the gateway, e.g. http://127.0.0.1:40123 */
  url: string;
  apiKey: string;
  dataDir: string;
  store: AccountStore;
  config: GatewayConfig;
  /** The environment the gateway was given (points every Google URL at the fake); reuse it for CLI processes. */
  environment: Record<string, string>;
  /** Lines logged by the gateway when no logger was passed. */
  logLines: RecordedLogLine[];
  /** Accounts by email, as stored at start. */
  accounts: Map<string, Account>;
  /** Authorization header for client requests. */
  headers: Record<string, string>;
  /** Stops the gateway (and the fake unless it was passed in) and removes a fresh data directory. */
  close(options?: { keepData?: boolean; keepFake?: boolean }): Promise<void>;
}

export async function startHarness(options: HarnessOptions = {}): Promise<Harness> {
  const fake = options.fake ?? (await createFakeGoogle({ port: 0 }));
  const dataDir = options.dataDir ?? (await tempDir('agw-harness-'));
  const apiKey = options.apiKey ?? `sk-test-${randomBytes(8).toString('hex')}`;
  const environment: Record<string, string> = {
    ...fakeEnvironment(fake),
    AGW_API_KEY: apiKey,
    ...options.environment,
  };
  await updateSettings(dataDir, { 'proxy.port': 0, 'proxy.auth_mode': 'strict', ...options.settings });
  const config = configFromObject(dataDir, await readConfigObject(dataDir), {}, environment);
  const store = openAccountStore(dataDir);
  const google = createGoogleClients(config);
  const accounts = new Map<string, Account>();
  for (const [index, spec] of (options.accounts ?? []).entries()) {
    const refreshToken = spec.refreshToken ?? `1//harness-${index}-${randomBytes(6).toString('hex')}`;
    const { expired, refreshToken: _ignored, ...fakeSpec } = spec;
    fake.control.addAccount({ ...fakeSpec, refreshToken });
    let { account } = await enrollAccount(refreshToken, google, store);
    if (expired)
      account = await store.persistToken(account.id, { expiry_timestamp: Math.floor(Date.now() / 1000) - 60 });
    accounts.set(account.email, account);
  }
  await google.close();
  const recording = createRecordingLogger();
  const gateway = await startGateway({
    config,
    logger: options.logger ?? recording,
    environment,
    consoleDirectory: options.consoleDirectory ?? join(dataDir, 'no-console'),
    backgroundQuotaRefresh: options.quotaRefresh === true,
    ...(options.clock ? { clock: options.clock } : {}),
  });
  return {
    fake,
    gateway,
    url: gateway.url,
    apiKey,
    dataDir,
    store,
    config,
    environment,
    logLines: recording.lines,
    accounts,
    headers: { authorization: `Bearer ${apiKey}` },
    async close(closeOptions = {}) {
      await gateway.close();
      if (!options.fake && !closeOptions.keepFake) await fake.close();
      if (!options.dataDir && !closeOptions.keepData) await rm(dataDir, { recursive: true, force: true });
    },
  };
}

/** Polls `check` every 20 ms until it returns a value other than undefined, or fails after `timeoutMs`. */
export async function eventually<T>(
  check: () => T | undefined | Promise<T | undefined>,
  timeoutMs = 3000,
  what = 'condition',
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
