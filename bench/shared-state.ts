/**
 * What sharing the pool through Redis costs a request, and how soon a change reaches every gateway.
 *
 * 1. Added latency: the same sequential non-streaming requests (one at a time, so the figure is per request, not
 *    throughput) against one `agw serve` on a data directory, one `agw serve` on Redis, and three `agw serve` on
 *    one redis-server (requests spread round-robin over the three), alternating rounds so drift of the shared
 *    machine hits all. One-on-Redis minus one-alone is what the shared state adds to a request (goal: under
 *    0.3 ms p50); three-on-Redis minus one-alone adds three processes sharing the same two cores.
 * 2. Propagation: an account write made on Redis (as the CLI does: proxy-disable / proxy-enable) timed until each
 *    of the three gateways announces on `/api/events` that its pool reloaded it (goal: within 250 ms).
 *
 * The fake Google (no added latency), the gateways and redis-server run in child processes. Prints one JSON line.
 * Run: `npm run bench:shared-state -- [--requests N] [--rounds N]`.
 */
import { rm } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import { request } from 'undici';
import { openConfiguredStore } from '../src/store/open-store.ts';
import { fakeEnvironment } from '../test/support/fake-environment.ts';
import { startRedis } from '../test/support/redis.ts';
import { runCli } from '../test/support/run-cli.ts';
import { tempDir } from '../test/support/temp-dir.ts';
import { enrolledDataDir, startChild, startFakeGoogle, stop } from './processes.ts';

const { values } = parseArgs({
  options: { requests: { type: 'string', default: '400' }, rounds: { type: 'string', default: '3' } },
});
const requestsPerRound = Number(values.requests);
const rounds = Number(values.rounds);
const writes = 20;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const round = (value: number, digits = 3): number => Number(value.toFixed(digits));
function percentile(values: number[], fraction: number): number {
  const sorted = [...values].sort((left, right) => left - right);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(fraction * sorted.length) - 1))] ?? Number.NaN;
}

const { child: fakeChild, fake } = await startFakeGoogle(['--accounts', '4']);
const redis = await startRedis();
const env = { ...fakeEnvironment({ urls: fake, client: fake.client }), AGW_API_KEY: 'sk-bench', AGW_LOG_LEVEL: 'warn' };
const alone = await enrolledDataDir(fake, env);
// The same accounts, moved into Redis the way an operator does it.
await runCli(['--data-dir', alone, 'accounts', 'import', '--from-data-dir'], {
  env: { ...env, AGW_REDIS_URL: redis.url },
  mustSucceed: true,
});

async function serve(dataDir: string, extra: Record<string, string>) {
  const started = await startChild(
    ['bin/agw.js', '--data-dir', dataDir, 'serve', '--port', '0'],
    { ...env, ...extra },
    /agw is serving on/,
  );
  return { child: started.child, url: /(http:\/\/[\d.]+:\d+)/.exec(started.line)?.[1] ?? '' };
}

const single = await serve(alone, {});
const sharedDirs = await Promise.all([1, 2, 3, 4].map(() => tempDir('agw-bench-shared-')));
// One gateway on Redis: the cost of the shared state itself, without three processes sharing two cores.
const singleOnRedis = await serve(sharedDirs[3]!, { AGW_REDIS_URL: redis.url, AGW_INSTANCE_ID: 'bench-alone' });
const shared = await Promise.all(
  sharedDirs
    .slice(0, 3)
    .map((dataDir, index) => serve(dataDir, { AGW_REDIS_URL: redis.url, AGW_INSTANCE_ID: `bench-${index + 1}` })),
);

const body = JSON.stringify({ model: 'gemini-3-flash', messages: [{ role: 'user', content: 'hi' }] });
const headers = { authorization: 'Bearer sk-bench', 'content-type': 'application/json' };
async function timedRequests(urls: string[], count: number): Promise<number[]> {
  const latencies: number[] = [];
  for (let index = 0; index < count; index += 1) {
    const url = urls[index % urls.length]!;
    const started = performance.now();
    const response = await request(`${url}/v1/chat/completions`, { method: 'POST', headers, body });
    await response.body.text();
    if (response.statusCode !== 200) throw new Error(`status ${response.statusCode} from ${url}`);
    latencies.push(performance.now() - started);
  }
  return latencies;
}

// Warm-up: connections, JIT, first refreshes.
const sharedUrls = shared.map((gateway) => gateway.url);
await timedRequests([single.url], 100);
await timedRequests([singleOnRedis.url], 100);
await timedRequests(sharedUrls, 150);
const aloneLatencies: number[] = [];
const aloneOnRedisLatencies: number[] = [];
const sharedLatencies: number[] = [];
const roundMedians: Array<{ alone: number; aloneOnRedis: number; shared: number }> = [];
for (let index = 0; index < rounds; index += 1) {
  const a = await timedRequests([single.url], requestsPerRound);
  const r = await timedRequests([singleOnRedis.url], requestsPerRound);
  const s = await timedRequests(sharedUrls, requestsPerRound);
  aloneLatencies.push(...a);
  aloneOnRedisLatencies.push(...r);
  sharedLatencies.push(...s);
  roundMedians.push({
    alone: round(percentile(a, 0.5)),
    aloneOnRedis: round(percentile(r, 0.5)),
    shared: round(percentile(s, 0.5)),
  });
}

// Propagation of a store write to the three pools.
const announcements = shared.map(() => [] as number[]);
const streams = await Promise.all(
  shared.map(async (gateway, position) => {
    const events = await request(`${gateway.url}/api/events`, { headers: { authorization: 'Bearer sk-bench' } });
    void (async () => {
      let buffer = '';
      for await (const chunk of events.body) {
        buffer += Buffer.from(chunk as Uint8Array).toString('utf8');
        let end = buffer.indexOf('\n\n');
        while (end !== -1) {
          if (buffer.slice(0, end).startsWith('event: account')) announcements[position]!.push(performance.now());
          buffer = buffer.slice(end + 2);
          end = buffer.indexOf('\n\n');
        }
      }
    })().catch(() => undefined);
    return events;
  }),
);
await sleep(500);
const writer = openConfiguredStore({ dataDir: sharedDirs[0]!, redisUrl: redis.url }, { mode: 'server' });
const watched = (await writer.store.list()).accounts[0]!;
const propagation: number[] = [];
let missed = 0;
for (let index = 0; index < writes; index += 1) {
  const before = announcements.map((list) => list.length);
  const started = performance.now();
  if (index % 2 === 0) await writer.store.proxyDisable(watched.id, `bench ${index}`);
  else await writer.store.proxyEnable(watched.id);
  const deadline = started + 5_000;
  for (const [position, list] of announcements.entries()) {
    while (list.length === before[position] && performance.now() < deadline) await sleep(1);
    const seen = list[before[position]!];
    if (seen === undefined) missed += 1;
    else propagation.push(Math.max(0, seen - started));
  }
  await sleep(300);
}

const result = {
  requestsPerScenario: aloneLatencies.length,
  oneGatewayP50Ms: round(percentile(aloneLatencies, 0.5)),
  oneGatewayOnRedisP50Ms: round(percentile(aloneOnRedisLatencies, 0.5)),
  addedByRedisP50Ms: round(percentile(aloneOnRedisLatencies, 0.5) - percentile(aloneLatencies, 0.5)),
  threeOnRedisP50Ms: round(percentile(sharedLatencies, 0.5)),
  addedP50Ms: round(percentile(sharedLatencies, 0.5) - percentile(aloneLatencies, 0.5)),
  oneGatewayP90Ms: round(percentile(aloneLatencies, 0.9)),
  threeOnRedisP90Ms: round(percentile(sharedLatencies, 0.9)),
  roundMedians,
  propagation: {
    writes,
    seen: propagation.length,
    missed,
    p50Ms: round(percentile(propagation, 0.5), 1),
    p90Ms: round(percentile(propagation, 0.9), 1),
    maxMs: round(Math.max(...propagation), 1),
  },
};
process.stdout.write(`${JSON.stringify(result)}\n`);

for (const events of streams) events.body.destroy();
await writer.close();
for (const gateway of [single, singleOnRedis, ...shared]) await stop(gateway.child);
await stop(fakeChild);
await redis.close();
for (const dataDir of [alone, ...sharedDirs]) await rm(dataDir, { recursive: true, force: true });
