/**
 * The admin API for user keys: list, create (the key is in the answer once and never again), revoke. Revoking keeps
 * the row, so the request log and usage stats still name the key.
 */
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { GatewayError } from '../../errors/catalogue.ts';
import type { KeyRegistry } from '../../keys/key-registry.ts';
import { keyView } from '../../keys/key-view.ts';
import type { GatewayServices } from '../services.ts';

const createBody = z.object({
  name: z.string().max(200),
  /** `30d`, `12h`, `2w`, an ISO date, `never`, or ms since the epoch. */
  expires: z.union([z.string().max(100), z.number(), z.null()]).optional(),
  models: z.union([z.array(z.string().max(200)).max(100), z.string().max(20_000), z.null()]).optional(),
  requests_per_minute: z.union([z.number(), z.null()]).optional(),
  tokens_per_day: z.union([z.number(), z.null()]).optional(),
  ips: z.union([z.array(z.string().max(100)).max(100), z.string().max(10_000), z.null()]).optional(),
});

export function registerKeyRoutes(
  app: FastifyInstance,
  services: GatewayServices,
  parseBody: <T>(schema: z.ZodType<T>, body: unknown) => T,
): void {
  const registry = (): KeyRegistry => {
    if (!services.userKeys) {
      throw new GatewayError('AGW_STORE_IO', 'user keys are off: agw.db could not be opened (see the log)');
    }
    return services.userKeys;
  };

  app.get('/api/keys', async () => {
    const keys = registry();
    return {
      keys: keys
        .list()
        .map((record) => ({ ...keyView(record, services.now()), tokens_today: keys.tokensToday(record.id) })),
    };
  });
  app.post('/api/keys', async (request, reply) => {
    const body = parseBody(createBody, request.body);
    const { record, key } = registry().create({
      name: body.name,
      expires: body.expires,
      models: body.models,
      requestsPerMinute: body.requests_per_minute,
      tokensPerDay: body.tokens_per_day,
      ips: body.ips,
    });
    return reply.code(201).send({ key: keyView(record, services.now()), secret: key });
  });
  app.delete('/api/keys/:id', async (request) => {
    const revoked = registry().revoke((request.params as { id: string }).id);
    return { key: keyView(revoked, services.now()) };
  });
}
