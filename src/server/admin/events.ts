/**
 * `/api/events`: server-sent events for the console — `account` with the AccountView of an account whose state
 * changed, and `request` for each logged request (the live tail). Listeners are removed when the console
 * disconnects; a comment heartbeat keeps idle connections open through proxies.
 */
import { PassThrough } from 'node:stream';
import type { FastifyInstance } from 'fastify';
import type { AccountView } from '../../accounts/account-state.ts';
import { accountView } from '../../accounts/account-view.ts';
import { quotaProtectionFrom } from '../../accounts/quota-protection.ts';
import type { GatewayServices } from '../services.ts';

export function registerAdminEvents(app: FastifyInstance, services: GatewayServices): void {
  app.get('/api/events', async (_request, reply) => {
    const stream = new PassThrough();
    const write = (event: string, data: unknown): void => {
      stream.write(`event: ${event}\ndata: ${JSON.stringify(data)}\n\n`);
    };
    const unsubscribe = services.events.subscribe((event) => {
      if (event.type === 'request') {
        write('request', event.entry);
        return;
      }
      // The console replaces its copy of the account with the payload, so it gets the whole AccountView; `*`
      // (several accounts changed, or one was removed) tells it to refetch the list.
      void currentView(event.accountId).then((view) => write('account', view ?? { id: '*' }));
    });
    const currentView = async (accountId: string): Promise<AccountView | undefined> => {
      if (accountId === '*') return undefined;
      try {
        const account = await services.store.get(accountId);
        const live = services.pool.status().find((status) => status.id === account.id);
        return accountView(account, live, {
          nowMs: services.now(),
          protection: quotaProtectionFrom(services.config()),
        });
      } catch {
        return undefined;
      }
    };
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
