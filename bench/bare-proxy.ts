/**
 * The floor of any gateway: a bare Node HTTP relay that forwards each request's method, path, headers and body to
 * one upstream origin with undici and streams the answer back, and does nothing else (no auth, no parsing, no
 * log). Measured between the fake and the client, it shows what the extra hop alone costs on this machine (two
 * more loopback connections, two more process wake-ups per request), so agw's own share can be told apart.
 *
 * Runs as its own process: `node bench/bare-proxy.ts <upstream origin>`; prints `bare proxy on http://…`.
 */
import { createServer } from 'node:http';
import { Agent, request } from 'undici';

const upstream = process.argv[2];
if (!upstream) throw new Error('usage: node bench/bare-proxy.ts <upstream origin>');
const dispatcher = new Agent({ connections: 256 });

const server = createServer(async (incoming, outgoing) => {
  try {
    const chunks: Buffer[] = [];
    for await (const chunk of incoming) chunks.push(chunk as Buffer);
    const headers: Record<string, string> = {};
    for (const [name, value] of Object.entries(incoming.headers)) {
      if (typeof value === 'string' && name !== 'host' && name !== 'connection') headers[name] = value;
    }
    const answer = await request(new URL(incoming.url ?? '/', upstream), {
      method: (incoming.method ?? 'GET') as 'POST',
      headers,
      body: Buffer.concat(chunks),
      dispatcher,
    });
    outgoing.writeHead(answer.statusCode, { 'content-type': String(answer.headers['content-type'] ?? '') });
    for await (const chunk of answer.body) outgoing.write(chunk);
    outgoing.end();
  } catch (error) {
    outgoing.writeHead(502).end(String(error));
  }
});
server.listen(0, '127.0.0.1', () => {
  const address = server.address();
  if (address && typeof address === 'object') console.log(`bare proxy on http://127.0.0.1:${address.port}`);
});
process.on('SIGTERM', () => {
  server.close();
  void dispatcher.close();
  server.closeAllConnections();
});
