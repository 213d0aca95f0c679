/**
 * How soon a running `agw serve` applies an account write made by another process (the CLI): 50 writes in a row
 * (proxy-disable, proxy-enable, re-add, quota refresh), each timed from the moment the command finished to the
 * moment the server announces the account on `/api/events` — which it does after its pool has reloaded the
 * change. An announcement that arrives before the command has even returned counts as 0 ms.
 *
 * The fake Google and `agw serve` run in child processes, the commands in a third (test/support/cli-process.ts,
 * so Node starts once). Prints one JSON line. Run: `npm exec -- node bench/cli-write-visibility.ts`.
 */
import { rm } from 'node:fs/promises';
import { request } from 'undici';
import { startCliProcess } from '../test/support/cli-process.ts';
import { fakeEnvironment } from '../test/support/fake-environment.ts';
import { tempDir } from '../test/support/temp-dir.ts';
import { startChild, startFakeGoogle, stop } from './processes.ts';

const writes = 50;
/** After a write's first announcement, quiet time before the next write, so late echoes are not miscounted. */
const settleMs = 400;

function percentile(sorted: number[], fraction: number): number {
  return sorted[Math.min(sorted.length - 1, Math.ceil(fraction * sorted.length) - 1)] ?? Number.NaN;
}

const round = (value: number): number => Number(value.toFixed(1));
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

const { child: fakeChild, fake: urls } = await startFakeGoogle(['--accounts', '2']);
const env = {
  ...fakeEnvironment({ urls, client: urls.client }),
  AGW_API_KEY: 'sk-bench',
  AGW_LOG_LEVEL: 'warn',
};
const dataDir = await tempDir('agw-bench-writes-');
const cli = await startCliProcess(env);
for (const account of urls.accounts)
  await cli.run('--data-dir', dataDir, 'accounts', 'add', '--refresh-token', account.refreshToken);
const gateway = await startChild(
  ['bin/agw.js', '--data-dir', dataDir, 'serve', '--port', '0'],
  env,
  /agw is serving on/,
);
const gatewayUrl = /(http:\/\/[\d.]+:\d+)/.exec(gateway.line)?.[1] ?? '';

// Every `account` announcement, with the time it arrived.
const announcements: number[] = [];
const events = await request(`${gatewayUrl}/api/events`, { headers: { authorization: 'Bearer sk-bench' } });
void (async () => {
  let buffer = '';
  for await (const chunk of events.body) {
    buffer += Buffer.from(chunk as Uint8Array).toString('utf8');
    let end = buffer.indexOf('\n\n');
    while (end !== -1) {
      if (buffer.slice(0, end).startsWith('event: account')) announcements.push(performance.now());
      buffer = buffer.slice(end + 2);
      end = buffer.indexOf('\n\n');
    }
  }
})().catch(() => undefined);
await sleep(500);

const watched = urls.accounts[0]!;
const kinds = ['proxy-disable', 'proxy-enable', 're-add', 'quota-refresh'] as const;
const byKind = new Map<string, number[]>();
const latencies: number[] = [];
let missed = 0;
for (let index = 0; index < writes; index += 1) {
  const kind = kinds[index % kinds.length]!;
  const before = announcements.length;
  const argv =
    kind === 'proxy-disable'
      ? ['accounts', 'proxy-disable', watched.email, '--reason', `bench ${index}`]
      : kind === 'proxy-enable'
        ? ['accounts', 'proxy-enable', watched.email]
        : kind === 're-add'
          ? ['accounts', 'add', '--refresh-token', watched.refreshToken]
          : ['accounts', 'quota', '--refresh'];
  await cli.run('--data-dir', dataDir, ...argv);
  const done = performance.now();
  const deadline = done + 5_000;
  while (announcements.length === before && performance.now() < deadline) await sleep(2);
  const seen = announcements[before];
  if (seen === undefined) {
    missed += 1;
    continue;
  }
  const latency = Math.max(0, seen - done);
  latencies.push(latency);
  byKind.set(kind, [...(byKind.get(kind) ?? []), latency]);
  // Let this write's echoes (a second flush, the other account of a quota refresh) pass before the next one.
  let count = announcements.length;
  do {
    count = announcements.length;
    await sleep(settleMs);
  } while (announcements.length !== count);
}

const sorted = [...latencies].sort((left, right) => left - right);
const result = {
  writes,
  seen: latencies.length,
  missed,
  p50Ms: round(percentile(sorted, 0.5)),
  p90Ms: round(percentile(sorted, 0.9)),
  p99Ms: round(percentile(sorted, 0.99)),
  maxMs: round(sorted.at(-1) ?? Number.NaN),
  p50ByKindMs: Object.fromEntries(
    [...byKind].map(([kind, values]) => [
      kind,
      round(
        percentile(
          [...values].sort((a, b) => a - b),
          0.5,
        ),
      ),
    ]),
  ),
};
process.stdout.write(`${JSON.stringify(result)}\n`);

events.body.destroy();
await cli.close();
await stop(gateway.child);
await stop(fakeChild);
await rm(dataDir, { recursive: true, force: true });
