/**
 * The account pool: load accounts, lease them to requests through the one rotation loop, report their state.
 * Pure logic: clock, storage, token client and project resolver are injected.
 */
import type { Account } from '../store/account-schema.ts';
import { type Logger, silentLogger } from '../telemetry/log-port.ts';
import type { AttemptFunction, ExecuteRequest } from './attempt-types.ts';
import { type PoolContext, settleBackgroundWrites } from './context.ts';
import { loadAccounts } from './load-accounts.ts';
import { normalizeModelKey } from './model-key.ts';
import { PoisonDetector } from './poison-detector.ts';
import type {
  Clock,
  PoolEventListener,
  PoolStorage,
  ProjectResolver,
  RandomSource,
  RefreshLease,
  SharedPoolState,
  TokenClient,
} from './ports.ts';
import { Roster } from './roster.ts';
import { executeWithRotation } from './rotation-loop.ts';
import { Selector } from './selector.ts';
import { defaultPoolSettings, type PoolSettings } from './settings.ts';
import { SharedChanges } from './shared-changes.ts';
import { localPoolState, localRefreshLease } from './shared-state.ts';
import { type AccountStatus, poolStatus } from './status.ts';
import { freshAccessToken } from './token-lifecycle.ts';

export interface PoolOptions {
  readonly clock: Clock;
  readonly tokenClient: TokenClient;
  readonly projectResolver: ProjectResolver;
  readonly storage: PoolStorage;
  readonly settings?: PoolSettings;
  readonly logger?: Logger;
  /** Defaults to Math.random. */
  readonly random?: RandomSource;
  /** Diagnostics for metrics; must not throw. */
  readonly onEvent?: PoolEventListener;
  /** Cooldowns and poison verdicts shared with other gateways; default: this pool alone. */
  readonly sharedState?: SharedPoolState;
  /** Refresh single-flight across gateways; default: this pool alone. */
  readonly refreshLease?: RefreshLease;
}

export interface AccountPool {
  /** Applies the store's account list (diffed against the live state). */
  load(accounts: readonly Account[]): void;
  /** Runs `attempt` with rotating accounts; resolves with the first success. */
  execute<T>(request: ExecuteRequest, attempt: AttemptFunction<T>): Promise<T>;
  /** The account the next request for `model` would get (no side effects on tokens), for admin and benchmarks. */
  peek(model: string, sessionKey?: string): string | undefined;
  status(): AccountStatus[];
  /** Hot reload: the new settings apply to every decision from now on. */
  updateSettings(settings: PoolSettings): void;
  /**
   * A fresh access token for one live account, through the same single-flight refresh as requests (quota
   * refreshes use it). `force` refreshes a token that looks valid but was refused (401). Undefined when the
   * account is not in the pool; throws AGW_REFRESH_REVOKED / AGW_REFRESH_FAILED like a request would.
   */
  accessTokenFor(accountId: string, options?: { force?: boolean; staleToken?: string }): Promise<string | undefined>;
  /** Waits for the durable writes the pool started in the background (shutdown). */
  settle(): Promise<void>;
  /** Stops listening to the other gateways of a shared pool. */
  close(): void;
  readonly settings: PoolSettings;
  /** Live (loaded, not disabled) accounts. */
  readonly size: number;
}

const noneExcluded: ReadonlySet<string> = new Set();

/** Creates an empty pool; call `load()` with the store's accounts. */
export function createAccountPool(options: PoolOptions): AccountPool {
  const listener = options.onEvent;
  const context: PoolContext = {
    settings: options.settings ?? defaultPoolSettings,
    clock: options.clock,
    random: options.random ?? Math.random,
    logger: options.logger ?? silentLogger,
    storage: options.storage,
    tokenClient: options.tokenClient,
    projectResolver: options.projectResolver,
    shared: options.sharedState ?? localPoolState,
    refreshLease: options.refreshLease ?? localRefreshLease,
    emit: listener === undefined ? () => undefined : (event) => listener(event),
  };
  const roster = new Roster();
  const selector = new Selector(context, roster);
  const poison = new PoisonDetector();
  const parts = { context, roster, selector, poison };
  const sharedChanges = new SharedChanges(context, roster, poison);
  const unsubscribe = context.shared.subscribe((change) => sharedChanges.apply(change));

  return {
    load(accounts) {
      loadAccounts(context, roster, accounts);
      sharedChanges.applyRemembered();
    },
    execute(request, attempt) {
      return executeWithRotation(parts, request, attempt);
    },
    peek(model, sessionKey) {
      return selector.select(normalizeModelKey(model), sessionKey, noneExcluded, context.clock.now())?.id;
    },
    status() {
      return poolStatus(context, roster);
    },
    updateSettings(settings) {
      const wasEnabled = context.settings.circuitBreaker.enabled;
      context.settings = settings;
      if (wasEnabled && !settings.circuitBreaker.enabled) {
        // Rotation only from now on: cooldowns recorded under the breaker no longer hold accounts back.
        for (const entry of roster.order) {
          entry.modelCooldowns.clear();
          const reason = entry.accountBlock?.reason;
          if (reason === 'SERVER_ERROR' || reason === 'UNAUTHORIZED') entry.accountBlock = undefined;
        }
      }
      roster.changed();
    },
    settle: settleBackgroundWrites,
    close: unsubscribe,
    async accessTokenFor(accountId, options = {}) {
      const entry = roster.byId.get(accountId);
      if (entry === undefined) return undefined;
      return freshAccessToken(context, roster, entry, {
        ...(options.force === undefined ? {} : { force: options.force }),
        ...(options.staleToken === undefined ? {} : { staleToken: options.staleToken }),
      });
    },
    get settings() {
      return context.settings;
    },
    get size() {
      return roster.size;
    },
  };
}
