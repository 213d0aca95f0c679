import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client';
import { GatewayError } from '../errors/catalogue.ts';
import { scrubText, stripQuery } from './redaction.ts';
import type { RequestProtocol } from './request-log-row.ts';

/** Seconds; fine-grained at the low end, where the gateway's own overhead lives. */
const requestBuckets = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300];
const overheadBuckets = [0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1];
const attemptBuckets = [1, 2, 3, 4, 5, 6, 8, 10];

/** Distinct values a free-text label may take before further values are reported as `other`. */
const maxLabelValues = 200;

export type RefreshOutcome = 'success' | 'invalid_grant' | 'transient_error' | 'network_error';

export interface RequestMetric {
  /** The route template, e.g. `/v1/chat/completions` (never a raw URL). */
  route: string;
  protocol: RequestProtocol;
  status: number;
  totalMs: number;
  /** Time spent waiting on Google over all attempts; absent when no upstream call was made. */
  upstreamMs?: number;
  attempts: number;
  /** The mapped (upstream) model. */
  model?: string;
}

export interface CooldownMetric {
  /** Account id; emails are refused. */
  accountId: string;
  model: string;
  remainingSeconds: number;
}

export interface Metrics {
  readonly registry: Registry;
  recordRequest(request: RequestMetric): void;
  /** One upstream 429, by the reason the classifier gave (`quota`, `rate_limit`, `capacity`, `unknown`…). */
  recordUpstream429(reason: string): void;
  /** Replaces the account-state gauge with these counts (states absent from `counts` are removed). */
  setAccountStates(counts: Readonly<Record<string, number>>): void;
  /** Replaces every cooldown series with this list; accounts no longer cooling down disappear. */
  setCooldowns(cooldowns: readonly CooldownMetric[]): void;
  recordRefresh(outcome: RefreshOutcome): void;
  recordHeartbeat(): void;
  /** The shared store's state (several gateways on one Redis), sampled when scraped. */
  setSharedStore(state: SharedStoreMetric): void;
  /** The Prometheus text exposition for `/metrics`. */
  render(): Promise<{ contentType: string; body: string }>;
}

export interface SharedStoreMetric {
  connected: boolean;
  pendingWrites: number;
  reconnects: number;
}

export interface MetricsOptions {
  /**
   * This gateway's name among several on one pool: added as the `instance_id` label of every series, so the
   * series of two gateways never merge (`instance` is left to Prometheus, which sets it to the scrape target).
   */
  instanceId?: string;
  /** Process metrics (CPU, memory, event loop lag, GC). Default true. */
  defaultMetrics?: boolean;
  /** Prefix for every metric name. Default `agw_`. */
  prefix?: string;
}

/**
 * Maps free text to a label value: query dropped and secrets scrubbed (once per distinct value, so the hot path
 * pays a map lookup), and at most 200 distinct values before the rest become `other`.
 */
function labelLimiter(): (value: string) => string {
  const seen = new Map<string, string>();
  return (value) => {
    const known = seen.get(value);
    if (known !== undefined) return known;
    if (seen.size >= maxLabelValues) return 'other';
    const label = scrubText(stripQuery(value)).slice(0, 200);
    seen.set(value, label);
    return label;
  };
}

function assertAccountId(accountId: string): void {
  // Metrics are scraped by third parties: a label must never carry an email.
  if (accountId.includes('@')) {
    throw new GatewayError('AGW_INTERNAL', 'Metric labels take account ids, not emails.');
  }
}

const seconds = (milliseconds: number): number => Math.max(0, milliseconds) / 1000;

/**
 * The period of the timer behind `nodejs_eventloop_lag_*`. prom-client's default, 10 ms, woke an idle gateway 100
 * times a second (100 of its 120 wake-ups a second, measured with strace) and doubled its idle CPU; 100 ms still
 * takes 150 samples per 15 s scrape, and a stall longer than the period is always caught.
 */
export const eventLoopSampleMs = 100;

/**
 * Creates agw's metrics on a registry of their own (never prom-client's global one, so tests and several
 * gateways in one process do not collide). Free-text labels (route, model, reason) are capped at 200 values each.
 */
export function createMetrics(options: MetricsOptions = {}): Metrics {
  const prefix = options.prefix ?? 'agw_';
  const registry = new Registry();
  // Standard names (process_*, nodejs_*) so ready-made Node.js dashboards work unchanged.
  if (options.defaultMetrics ?? true) {
    collectDefaultMetrics({ register: registry, eventLoopMonitoringPrecision: eventLoopSampleMs });
  }
  const registers = [registry];
  if (options.instanceId !== undefined) registry.setDefaultLabels({ instance_id: options.instanceId });

  const requests = new Counter({
    name: `${prefix}requests_total`,
    help: 'Requests answered, by route, protocol and HTTP status.',
    labelNames: ['route', 'protocol', 'status'] as const,
    registers,
  });
  const requestDuration = new Histogram({
    name: `${prefix}request_duration_seconds`,
    help: 'Time from arrival to the last byte sent to the client.',
    labelNames: ['route', 'protocol'] as const,
    buckets: requestBuckets,
    registers,
  });
  const overhead = new Histogram({
    name: `${prefix}gateway_overhead_seconds`,
    help: "The gateway's own time per request: total time minus time spent waiting on Google.",
    buckets: overheadBuckets,
    registers,
  });
  const upstreamDuration = new Histogram({
    name: `${prefix}upstream_duration_seconds`,
    help: 'Time spent waiting on Google per request (all attempts), by mapped model.',
    labelNames: ['model'] as const,
    buckets: requestBuckets,
    registers,
  });
  const attempts = new Histogram({
    name: `${prefix}attempts_per_request`,
    help: 'Upstream attempts the rotation loop made per request.',
    buckets: attemptBuckets,
    registers,
  });
  const upstream429 = new Counter({
    name: `${prefix}upstream_429_total`,
    help: 'Upstream 429 answers, by classified reason.',
    labelNames: ['reason'] as const,
    registers,
  });
  const accounts = new Gauge({
    name: `${prefix}accounts`,
    help: 'Accounts in the pool, by state.',
    labelNames: ['state'] as const,
    registers,
  });
  const cooldown = new Gauge({
    name: `${prefix}account_cooldown_seconds`,
    help: 'Seconds left before an account may serve a model again.',
    labelNames: ['account_id', 'model'] as const,
    registers,
  });
  const refreshes = new Counter({
    name: `${prefix}token_refreshes_total`,
    help: 'Access-token refreshes, by outcome.',
    labelNames: ['outcome'] as const,
    registers,
  });
  const heartbeats = new Counter({
    name: `${prefix}sse_heartbeats_total`,
    help: 'Keep-alive events sent on streams while the upstream was silent.',
    registers,
  });

  const sharedUp = new Gauge({
    name: `${prefix}shared_store_up`,
    help: 'Whether the shared store (Redis) is reachable: 1 yes, 0 no (served from the last known state).',
    registers,
  });
  const sharedPending = new Gauge({
    name: `${prefix}shared_store_pending_writes`,
    help: 'Writes to the shared store not acknowledged yet (they wait while Redis is down).',
    registers,
  });
  const sharedReconnects = new Gauge({
    name: `${prefix}shared_store_reconnects`,
    help: 'Times the connection to the shared store came back since start.',
    registers,
  });

  const routeLabel = labelLimiter();
  const modelLabel = labelLimiter();
  const reasonLabel = labelLimiter();

  return {
    registry,
    recordRequest(request) {
      const route = routeLabel(request.route);
      requests.inc({ route, protocol: request.protocol, status: String(request.status) });
      requestDuration.observe({ route, protocol: request.protocol }, seconds(request.totalMs));
      attempts.observe(Math.max(0, request.attempts));
      if (request.upstreamMs !== undefined) {
        overhead.observe(seconds(request.totalMs - request.upstreamMs));
        upstreamDuration.observe({ model: modelLabel(request.model ?? 'unknown') }, seconds(request.upstreamMs));
      }
    },
    recordUpstream429(reason) {
      upstream429.inc({ reason: reasonLabel(reason) });
    },
    setAccountStates(counts) {
      accounts.reset();
      for (const [state, value] of Object.entries(counts)) accounts.set({ state }, value);
    },
    setCooldowns(cooldowns) {
      for (const entry of cooldowns) assertAccountId(entry.accountId);
      cooldown.reset();
      for (const entry of cooldowns) {
        if (entry.remainingSeconds <= 0) continue;
        cooldown.set({ account_id: entry.accountId, model: modelLabel(entry.model) }, entry.remainingSeconds);
      }
    },
    recordRefresh(outcome) {
      refreshes.inc({ outcome });
    },
    recordHeartbeat() {
      heartbeats.inc();
    },
    setSharedStore(state) {
      sharedUp.set(state.connected ? 1 : 0);
      sharedPending.set(state.pendingWrites);
      sharedReconnects.set(state.reconnects);
    },
    async render() {
      return { contentType: registry.contentType, body: await registry.metrics() };
    },
  };
}
