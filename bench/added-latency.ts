/**
 * `npm run bench:added-latency`: what agw adds to each request while far from saturated, measured with
 * sub-millisecond resolution. The fake answers after `--latency` ms (50 by default); `--connections` clients
 * (16) send `--requests` requests (2,000) directly to the fake, through a bare Node relay (bench/bare-proxy.ts:
 * the cost of the extra hop alone), through a minimal gateway (bench/minimal-gateway.ts: agw's stack doing only
 * the translation no gateway can skip) and through agw, alternating for `--rounds` rounds (5). Reports the
 * medians over the rounds, the gateway's CPU per request and its event-loop wake-ups per request (from /proc:
 * voluntary context switches), which is where waiting hides.
 *
 * `--arrivals open` replaces the sixteen clients by requests arriving at random at the rate that keeps sixteen in
 * flight on average (320/s with a 50 ms upstream); see openLoopLatency in fine-latency.ts for why both are shown.
 *
 * `--stages` preloads bench/stage-probe.ts into the gateway and adds where its time went (waiting inside undici
 * before the upstream request is written, the upstream leg, the event loop's delay).
 * `--profile DIR` writes a CPU profile of the gateway into DIR (open it in Chrome DevTools or speedscope).
 *
 * Runs on its own so the figure can be taken on an idle machine in about a minute; `npm run bench` quotes the
 * same measurement in its table.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout } from 'node:timers/promises';
import { parseArgs } from 'node:util';
import { tempDir } from '../test/support/temp-dir.ts';
import { type FineLatency, fineLatency, median, openLoopLatency, round, type Target } from './fine-latency.ts';
import { readCpuSeconds, startChild, startFakeAndGateway, stop } from './processes.ts';
import { benchTargets } from './targets.ts';

const { values } = parseArgs({
  options: {
    latency: { type: 'string', default: '50' },
    connections: { type: 'string', default: '16' },
    requests: { type: 'string', default: '2000' },
    rounds: { type: 'string', default: '5' },
    /** A directory for a CPU profile of the gateway (`--cpu-prof`), written when it stops. */
    profile: { type: 'string' },
    /** Preload bench/stage-probe.ts into the gateway and print where its time went (undici stages, loop delay). */
    stages: { type: 'boolean', default: false },
    /**
     * `closed` (default): `--connections` clients, each sending its next request when its answer is in. `open`:
     * requests arrive at random at the rate that keeps `--connections` in flight on average (connections / latency).
     */
    arrivals: { type: 'string', default: 'closed' },
    /** Extra Node/V8 options for the gateway, space-separated (e.g. `--max-semi-space-size=2`). */
    'node-options': { type: 'string', default: '' },
  },
});
const latencyMs = Number(values.latency);
const connections = Number(values.connections);
const requests = Number(values.requests);
const rounds = Number(values.rounds);
if (values.arrivals !== 'closed' && values.arrivals !== 'open') throw new Error('--arrivals is closed or open');
/** Requests per second that keep `connections` in flight on average with this upstream latency (Little's law). */
const openRate = connections / (Math.max(1, latencyMs) / 1_000);
/** One measured run under the chosen arrival pattern; `round_` seeds the open loop so all targets see the same one. */
const measure = (target: Target, round_: number): Promise<FineLatency> =>
  values.arrivals === 'open'
    ? openLoopLatency(target, openRate, requests, round_ + 1)
    : fineLatency(target, connections, requests);

/** Voluntary context switches of every thread of `pid`: each is a sleep, mostly the event loop waiting in epoll. */
async function voluntarySwitches(pid: number): Promise<number> {
  const status = await readFile(`/proc/${pid}/status`, 'utf8');
  return Number(/voluntary_ctxt_switches:\s+(\d+)/.exec(status)?.[1] ?? Number.NaN);
}

/** Runs `load` and reports, besides its latencies, the CPU time and the sleeps of process `pid` meanwhile. */
async function measured(
  pid: number,
  load: () => Promise<FineLatency>,
): Promise<FineLatency & { cpuMicroseconds: number; switches: number }> {
  const cpuBefore = await readCpuSeconds(pid);
  const switchesBefore = await voluntarySwitches(pid);
  const latency = await load();
  return {
    ...latency,
    cpuMicroseconds: ((await readCpuSeconds(pid)) - cpuBefore) * 1e6,
    switches: (await voluntarySwitches(pid)) - switchesBefore,
  };
}

async function main(): Promise<void> {
  const stagesFile = join(await tempDir('agw-stages-'), 'stages.json');
  process.env['AGW_STAGE_PROBE_OUT'] = stagesFile;
  const processes = await startFakeAndGateway(
    ['--latency', String(latencyMs)],
    [
      ...(values.profile ? ['--cpu-prof', '--cpu-prof-dir', values.profile] : []),
      ...(values.stages ? ['--import', './bench/stage-probe.ts'] : []),
      ...(values['node-options'] ?? '').split(' ').filter(Boolean),
    ],
  );
  const pid = processes.gatewayChild.pid!;
  const fakeOrigin = new URL(processes.fake.v1internal).origin;
  const bare = await startChild(['bench/bare-proxy.ts', fakeOrigin], {}, /^bare proxy on /);
  const bareOrigin = /(http:\/\/[\d.]+:\d+)/.exec(bare.line)?.[1] ?? '';
  let minimal: Awaited<ReturnType<typeof startChild>> | undefined;
  try {
    const targets = await benchTargets(processes.fake, processes.gatewayUrl);
    minimal = await startChild(
      ['bench/minimal-gateway.ts', fakeOrigin, targets.accessToken, targets.projectId],
      {},
      /^minimal gateway on /,
    );
    const minimalPid = minimal.child.pid!;
    const minimalOrigin = /(http:\/\/[\d.]+:\d+)/.exec(minimal.line)?.[1] ?? '';
    const { direct, agw } = targets;
    const directTarget = direct('streamGenerateContent?alt=sse', 'gemini-3-flash');
    const bareTarget = { ...directTarget, url: directTarget.url.replace(fakeOrigin, bareOrigin) };
    const agwTarget = agw('/v1/chat/completions', {
      model: 'gemini-3-flash',
      messages: [{ role: 'user', content: 'benchmark prompt' }],
    });
    const minimalTarget = { ...agwTarget, url: agwTarget.url.replace(processes.gatewayUrl, minimalOrigin) };
    // Warm every path (JIT, keep-alive sockets, token refresh) before measuring.
    for (const target of [agwTarget, directTarget, bareTarget, minimalTarget]) {
      await fineLatency(target, connections, Math.min(requests, 500));
    }

    const rows: Array<Record<string, number>> = [];
    for (let round_ = 0; round_ < rounds; round_ += 1) {
      const directRun = await measure(directTarget, round_);
      const bareRun = await measured(bare.child.pid!, () => measure(bareTarget, round_));
      const minimalRun = await measured(minimalPid, () => measure(minimalTarget, round_));
      const agwRun = await measured(pid, () => measure(agwTarget, round_));
      rows.push({
        directP50Ms: directRun.p50Ms,
        directP99Ms: directRun.p99Ms,
        agwP50Ms: agwRun.p50Ms,
        agwP99Ms: agwRun.p99Ms,
        bareP50Ms: bareRun.p50Ms,
        bareP99Ms: bareRun.p99Ms,
        addedP50Ms: agwRun.p50Ms - directRun.p50Ms,
        addedP99Ms: agwRun.p99Ms - directRun.p99Ms,
        bareAddedP50Ms: bareRun.p50Ms - directRun.p50Ms,
        bareAddedP99Ms: bareRun.p99Ms - directRun.p99Ms,
        minimalAddedP50Ms: minimalRun.p50Ms - directRun.p50Ms,
        minimalAddedP99Ms: minimalRun.p99Ms - directRun.p99Ms,
        cpuMicrosecondsPerRequest: agwRun.cpuMicroseconds / requests,
        bareCpuMicrosecondsPerRequest: bareRun.cpuMicroseconds / requests,
        minimalCpuMicrosecondsPerRequest: minimalRun.cpuMicroseconds / requests,
        wakeUpsPerRequest: agwRun.switches / requests,
        bareWakeUpsPerRequest: bareRun.switches / requests,
      });
      console.error(
        `round ${round_ + 1}: added p50 / p99 ms: agw ${round(agwRun.p50Ms - directRun.p50Ms, 3)} / ${round(agwRun.p99Ms - directRun.p99Ms, 3)}, bare relay ${round(bareRun.p50Ms - directRun.p50Ms, 3)} / ${round(bareRun.p99Ms - directRun.p99Ms, 3)}, minimal gateway ${round(minimalRun.p50Ms - directRun.p50Ms, 3)} / ${round(minimalRun.p99Ms - directRun.p99Ms, 3)}`,
      );
    }
    const summary: Record<string, number> = {};
    for (const key of Object.keys(rows[0] ?? {})) summary[key] = round(median(rows.map((row) => row[key]!)), 3);
    let stages: unknown;
    if (values.stages) {
      process.kill(pid, 'SIGUSR2');
      await setTimeout(500);
      stages = JSON.parse(await readFile(stagesFile, 'utf8'));
    }
    console.log(
      JSON.stringify(
        {
          date: new Date().toISOString(),
          latencyMs,
          connections,
          arrivals: values.arrivals,
          requests,
          rounds,
          ...summary,
          ...(stages === undefined ? {} : { gatewayStagesMs: stages }),
        },
        null,
        2,
      ),
    );
  } finally {
    await stop(bare.child);
    if (minimal) await stop(minimal.child);
    await stop(processes.gatewayChild);
    await stop(processes.fakeChild);
  }
}

await main();
