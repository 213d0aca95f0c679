/**
 * Everything the HTTP layer uses, built once by the runtime (src/server/runtime.ts) and passed to the routes.
 * Tests build the same object around fakes.
 */
import type { GatewayConfig } from '../config/gateway-config.ts';
import type { LiveConfig } from '../config/live-config.ts';
import type { GoogleClients } from '../google/clients.ts';
import type { KeyRegistry } from '../keys/key-registry.ts';
import type { AccountPool } from '../pool/pool.ts';
import type { SignatureStore } from '../protocols/anthropic/signature-store.ts';
import type { UpstreamCaller } from '../relay/ports.ts';
import type { AccountStore } from '../store/account-store.ts';
import type { SharedStoreHealth } from '../store/redis/connection.ts';
import type { EventBus } from '../telemetry/event-bus.ts';
import type { Logger } from '../telemetry/log-port.ts';
import type { Metrics } from '../telemetry/metrics.ts';
import type { RequestLog, RequestLogEntry } from '../telemetry/request-log.ts';
import type { QuotaRefresher } from './quota-refresher.ts';
import type { WarmUpScheduler } from './warm-up-scheduler.ts';

/** What the admin event stream (`/api/events`) carries. */
export type AdminEvent = { type: 'account'; accountId: string } | { type: 'request'; entry: RequestLogEntry };

export interface GatewayServices {
  /** The configuration in force now (hot reloaded). */
  config(): GatewayConfig;
  liveConfig: LiveConfig;
  pool: AccountPool;
  upstream: UpstreamCaller;
  store: AccountStore;
  google: GoogleClients;
  logger: Logger;
  metrics: Metrics;
  requestLog: RequestLog;
  signatureStore: SignatureStore;
  events: EventBus<AdminEvent>;
  /** The user keys (client keys besides the single API key); absent where a test builds no key store. */
  userKeys?: KeyRegistry;
  /** Quota snapshots on demand (the background schedule runs by itself); set once the runtime built it. */
  quota?: QuotaRefresher;
  /** The warm-up (scheduled and on demand); set once the runtime built it. */
  warmUp?: WarmUpScheduler;
  /**
   * Retired upstream id → replacement, merged from every account's fetchAvailableModels `deprecatedModelIds`
   * (updated on each pool reload); the translators' model resolution follows it.
   */
  modelForwarding?(): Readonly<Record<string, string>>;
  /** Whether the account may pay with Google One AI credits (agw.use_credits and a usable balance). */
  mayPayWithCredits?(accountId: string): boolean;
  /** Reloads the pool from the store now (after this process changed accounts). */
  reloadPool(): Promise<void>;
  now(): number;
  version: string;
  /** This gateway's name among several on one pool (agw.instance_id). */
  instanceId?: string;
  /** The shared store's state when several gateways share the pool through Redis; absent with a data directory. */
  sharedStore?(): SharedStoreHealth;
}
