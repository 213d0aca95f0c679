/**
 * Soak: `node bench/soak.ts [--minutes N] [--clients C] [--pause-ms P]` (defaults 10 minutes, 20
 * clients, 50 ms think time). A real gateway in
 * front of the fake Google (in this process), clients mixing the three protocols, streaming and not, while faults
 * are scripted on the fake every cycle (429 bursts, resets before headers and mid-stream, 503s) and one account's
 * refresh token is revoked once (invalid_grant). Every request is accounted for as a success or a correct error
 * (dialect body + x-agw-error-code); anything else is counted as incorrect. RSS and open file descriptors are
 * sampled; growth after warm-up beyond the stated bounds fails the run. Prints one JSON summary; exit code 1 on
 * any incorrect answer or a bound exceeded.
 */
import { readdirSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { createFakeGoogle } from '../src/fake-google/index.ts';
import { startHarness } from '../test/harness/gateway-harness.ts';
import { answerText, clientCall, inBandError, protocols, send } from '../test/reliability/helpers.ts';

const { values } = parseArgs({
  options: {
    minutes: { type: 'string', default: '10' },
    clients: { type: 'string', default: '20' },
    'pause-ms': { type: 'string', default: '50' },
  },
});
const durationMs = Number(values.minutes) * 60_000;
const clientCount = Number(values.clients);
/** Think time between a client's requests, so the load is moderate rather than a benchmark. */
const pauseMs = Number(values['pause-ms']);
/** Bounds, measured from the end of warm-up (the first 10% of the run, at least 10 s) to the end. */
const rssGrowthBoundBytes = 64 * 1024 * 1024;
const fdGrowthBound = 32;
const cycleMs = 10_000;

const openFds = (): number => {
  try {
    return readdirSync('/proc/self/fd').length;
  } catch {
    return -1;
  }
};

// The fake keeps recent calls for tests; a small history keeps its memory out of the gateway's figures.
const fake = await createFakeGoogle({ port: 0, maxRecordedCalls: 500 });
const harness = await startHarness({
  fake,
  accounts: Array.from({ length: 5 }, (_, index) => ({ email: `soak-${index}@example.com` })),
  settings: { 'agw.headers_timeout_seconds': 2, 'agw.chunk_gap_timeout_seconds': 2, 'proxy.enable_logging': true },
});
const control = harness.fake.control;
const generate = ['generateContent', 'streamGenerateContent'] as ('generateContent' | 'streamGenerateContent')[];

const counts = {
  requests: 0,
  success: 0,
  inBandError: 0,
  correctError: 0,
  incorrect: 0,
  byStatus: {} as Record<string, number>,
  byErrorCode: {} as Record<string, number>,
  incorrectSamples: [] as string[],
};
const samples: Array<{ atSeconds: number; rssMiB: number; fds: number }> = [];
const started = Date.now();
let stopping = false;

async function clientLoop(client: number): Promise<void> {
  for (let round = 0; !stopping; round++) {
    const protocol = protocols[(client + round) % protocols.length] ?? 'openai';
    const stream = (client + round) % 2 === 0;
    counts.requests += 1;
    try {
      const result = await send(
        harness.url,
        harness.headers,
        clientCall(protocol, `soak ${client}/${round}`, stream),
        30_000,
      );
      counts.byStatus[result.status] = (counts.byStatus[result.status] ?? 0) + 1;
      const code = result.headers.get('x-agw-error-code');
      if (result.status === 200 && inBandError(protocol, result) !== undefined) counts.inBandError += 1;
      else if (result.status === 200 && answerText(protocol, result).startsWith('Echo: ')) counts.success += 1;
      else if (result.status >= 400 && code?.startsWith('AGW_') && result.json !== undefined) {
        counts.correctError += 1;
        counts.byErrorCode[code] = (counts.byErrorCode[code] ?? 0) + 1;
      } else {
        counts.incorrect += 1;
        if (counts.incorrectSamples.length < 10)
          counts.incorrectSamples.push(`${protocol} stream=${stream} ${result.status} ${result.text.slice(0, 200)}`);
      }
    } catch (error) {
      counts.incorrect += 1;
      if (counts.incorrectSamples.length < 10)
        counts.incorrectSamples.push(`${protocol} stream=${stream} ${String(error)}`);
    }
    if (pauseMs > 0) await new Promise((resolve) => setTimeout(resolve, pauseMs));
  }
}

/** One fault wave per cycle, rotating through the kinds; the invalid_grant happens once, a third into the run. */
async function faultLoop(): Promise<void> {
  let revoked = false;
  for (let cycle = 0; !stopping; cycle++) {
    const kind = cycle % 4;
    if (kind === 0)
      control.script({
        match: { endpoint: generate },
        times: 20,
        action: { kind: 'error', status: 429, reason: 'RATE_LIMIT_EXCEEDED', retryDelay: '2s' },
      });
    if (kind === 1)
      control.script({ match: { endpoint: generate }, times: 10, action: { kind: 'reset-before-headers' } });
    if (kind === 2)
      control.script({ match: { endpoint: generate }, times: 10, action: { kind: 'reset-after-chunks', chunks: 1 } });
    if (kind === 3)
      control.script({ match: { endpoint: generate }, times: 15, action: { kind: 'error', status: 503 } });
    if (!revoked && Date.now() - started > durationMs / 3) {
      revoked = true;
      const account = control.account('soak-4@example.com');
      const token = account?.refreshToken();
      if (token) control.revokeRefreshToken(token);
    }
    await new Promise((resolve) => setTimeout(resolve, cycleMs));
  }
}

async function sampleLoop(): Promise<void> {
  while (!stopping) {
    // With --expose-gc the sample follows a full collection, so it shows retained memory, not garbage not yet swept.
    (globalThis as { gc?: () => void }).gc?.();
    samples.push({
      atSeconds: Math.round((Date.now() - started) / 1000),
      rssMiB: Math.round(process.memoryUsage().rss / 1048576),
      fds: openFds(),
    });
    await new Promise((resolve) => setTimeout(resolve, 5_000));
  }
}

const loops = [...Array.from({ length: clientCount }, (_, client) => clientLoop(client)), faultLoop(), sampleLoop()];
await new Promise((resolve) => setTimeout(resolve, durationMs));
stopping = true;
await Promise.all(loops.slice(0, clientCount));
control.clearScripts();

const warmupSeconds = Math.max(10, (durationMs / 1000) * 0.1);
const afterWarmup = samples.filter((sample) => sample.atSeconds >= warmupSeconds);
const base = afterWarmup[0] ?? samples[0];
const last = samples.at(-1);
const rssGrowthMiB = base && last ? last.rssMiB - base.rssMiB : 0;
const fdGrowth = base && last ? last.fds - base.fds : 0;
const disabled = (await harness.store.list()).accounts
  .filter((account) => account.disabled)
  .map((account) => account.email);
const health = (await fetch(`${harness.url}/healthz`, { headers: harness.headers })).status;
const summary = {
  minutes: Number(values.minutes),
  clients: clientCount,
  ...counts,
  accountedFor: counts.success + counts.inBandError + counts.correctError + counts.incorrect === counts.requests,
  requestsPerSecond: Math.round(counts.requests / (durationMs / 1000)),
  upstreamCalls: control.counts().byEndpoint,
  disabledAccounts: disabled,
  healthAfter: health,
  rss: {
    firstMiB: samples[0]?.rssMiB,
    afterWarmupMiB: base?.rssMiB,
    lastMiB: last?.rssMiB,
    maxMiB: Math.max(...samples.map((s) => s.rssMiB)),
    growthMiB: rssGrowthMiB,
    boundMiB: rssGrowthBoundBytes / 1048576,
  },
  fds: {
    afterWarmup: base?.fds,
    last: last?.fds,
    max: Math.max(...samples.map((s) => s.fds)),
    growth: fdGrowth,
    bound: fdGrowthBound,
  },
};
await harness.close();
await fake.close();
const passed =
  counts.incorrect === 0 &&
  summary.accountedFor &&
  health === 200 &&
  rssGrowthMiB * 1048576 <= rssGrowthBoundBytes &&
  fdGrowth <= fdGrowthBound &&
  disabled.length <= 1;
process.stdout.write(`${JSON.stringify({ passed, ...summary }, null, 2)}\n`);
process.exit(passed ? 0 : 1);
