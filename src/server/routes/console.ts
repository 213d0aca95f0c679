/** The web console: the Vite build in dist/web, served at `/` with a fallback to index.html for client routes. */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import fastifyStatic from '@fastify/static';
import type { FastifyInstance } from 'fastify';

export async function registerConsole(app: FastifyInstance, directory: string | undefined): Promise<void> {
  if (directory === undefined || !existsSync(join(directory, 'index.html'))) {
    app.get('/', async (_request, reply) =>
      reply
        .type('text/html; charset=utf-8')
        .send(
          '<!doctype html><title>agw</title><p>agw is running. The web console is not built: run <code>npm run build:web</code>.</p>',
        ),
    );
    return;
  }
  // @fastify/static resolves paths inside `root` only, so `..` cannot escape the console directory.
  await app.register(fastifyStatic, { root: directory, prefix: '/', index: ['index.html'], wildcard: false });
}
