/**
 * `/api/events`: server-sent events for the console — `account` when an account's state changed (the console
 * refetches it) and `request` for each logged request (the live tail). Listeners are removed when the console
 * disconnects; a comment heartbeat keeps idle connections open through proxies.
 */
import { PassThrough } from 'node:stream';
import type { FastifyInstance } from 'fastify';
import type { GatewayServices } from '../services.ts';

export function registerAdminEvents(app: FastifyInstance, services: GatewayServices): void {
  app.get('/api/events', async (_request, reply) => {
    const stream = new PassThrough();
    const write = (event: string, data: unknown): void => {
      stream.write(`event: ${event}\ndata: ${JSON.stringify(data)}\n\n`);
    };
    const unsubscribe = services.events.subscribe((event) => {
      if (event.type === 'account') write('account', { id: event.accountId });
      else write('request', event.entry);
    });
    const heartbeat = setInterval(() => stream.write(': ping\n\n'), 15_000);
    heartbeat.unref();
    reply.raw.once('close', () => {
      clearInterval(heartbeat);
      unsubscribe();
      stream.end();
    });
    stream.write(': connected\n\n');
    return reply
      .headers({
        'content-type': 'text/event-stream; charset=utf-8',
        'cache-control': 'no-cache',
        'x-accel-buffering': 'no',
      })
      .send(stream);
  });
}
