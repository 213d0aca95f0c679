/** `/healthz` (and the reference's `/health`) and the Prometheus `/metrics`. */
import type { FastifyInstance } from 'fastify';
import type { GatewayServices } from '../services.ts';

export function registerHealthRoutes(app: FastifyInstance, services: GatewayServices): void {
  const health = async () => {
    const shared = services.sharedStore?.();
    if (shared === undefined) return { status: 'ok', version: services.version };
    return {
      // Still serving (from the last known state) while Redis is down: degraded, not failed, so a load balancer
      // keeps sending requests.
      status: shared.connected ? 'ok' : 'degraded',
      version: services.version,
      instance: services.instanceId,
      shared_store: {
        backend: shared.backend,
        connected: shared.connected,
        pending_writes: shared.pendingWrites,
        reconnects: shared.reconnects,
        ...(shared.downSinceMs === undefined ? {} : { down_since: new Date(shared.downSinceMs).toISOString() }),
      },
    };
  };
  app.get('/healthz', health);
  app.get('/health', health);

  app.get('/metrics', async (_request, reply) => {
    // Pool gauges are sampled when scraped, so nothing is computed per request for them.
    const counts: Record<string, number> = {};
    const cooldowns: Array<{ accountId: string; model: string; remainingSeconds: number }> = [];
    const nowMs = services.now();
    for (const account of services.pool.status()) {
      counts[account.state] = (counts[account.state] ?? 0) + 1;
      for (const cooldown of account.cooldowns ?? []) {
        cooldowns.push({
          accountId: account.id,
          model: cooldown.model,
          remainingSeconds: Math.max(0, (cooldown.untilMs - nowMs) / 1000),
        });
      }
    }
    services.metrics.setAccountStates(counts);
    services.metrics.setCooldowns(cooldowns);
    const shared = services.sharedStore?.();
    if (shared !== undefined) services.metrics.setSharedStore(shared);
    const rendered = await services.metrics.render();
    return reply.header('content-type', rendered.contentType).send(rendered.body);
  });
}
