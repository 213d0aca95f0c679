/**
 * `npm run bench`: how fast agw is, measured so anyone can rerun it. Quick profile (under 3 minutes) by default,
 * `--full` for the long one. Results go to bench/results/<date>.json and are printed as a markdown table for
 * docs/performance.md.
 *
 * Layout: the fake Google and `agw serve` each run in their own child process; autocannon (and the small
 * streaming client below) run in this process. Each load scenario runs direct-to-fake and through agw in the same
 * run, alternating, three repetitions; the median and the spread (min–max) are reported. On a 2-core machine the
 * load generator, the fake and the gateway share the cores, which limits every figure (docs/performance.md).
 * Because wall-clock figures move with whatever else runs on the machine, each agw run also reports the gateway
 * process's own CPU time per request, and the 50 ms scenario measures latency with sub-millisecond resolution.
 */
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { cpus } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { request } from 'undici';
import { tempDir } from '../test/support/temp-dir.ts';
import { fineLatency, median, round, type Target } from './fine-latency.ts';
import {
  readCpuSeconds,
  readRssMegabytes,
  repositoryRoot as root,
  startChild,
  startFakeAndGateway,
  stop,
} from './processes.ts';
import { benchTargets } from './targets.ts';

interface AutocannonResult {
  requests: { average: number; total: number };
  latency: { p50: number; p90: number; p99: number; average: number };
  non2xx: number;
  errors: number;
}
type Autocannon = (options: Record<string, unknown>) => Promise<AutocannonResult>;
const autocannon = createRequire(import.meta.url)('autocannon') as Autocannon;

const { values } = parseArgs({ options: { full: { type: 'boolean', default: false } } });
const full = values.full === true;
const durationSeconds = full ? 10 : 3;
const repetitions = 3;

async function load(target: Target, connections: number): Promise<AutocannonResult> {
  return autocannon({
    url: target.url,
    method: 'POST',
    headers: target.headers,
    body: target.body,
    connections,
    duration: durationSeconds,
  });
}

/** Sequential streamed requests: time to first byte and the mean gap between chunks. */
async function streamTimings(target: Target, count: number): Promise<{ ttfbMs: number; gapMs: number }> {
  const ttfb: number[] = [];
  const gaps: number[] = [];
  for (let index = 0; index < count; index += 1) {
    const started = performance.now();
    const response = await request(target.url, { method: 'POST', headers: target.headers, body: target.body });
    let first: number | undefined;
    let previous = 0;
    for await (const chunk of response.body) {
      const now = performance.now();
      if (first === undefined) first = now - started;
      else gaps.push(now - previous);
      previous = now;
      void chunk;
    }
    ttfb.push(first ?? Number.NaN);
  }
  return { ttfbMs: median(ttfb), gapMs: gaps.length === 0 ? 0 : gaps.reduce((sum, gap) => sum + gap, 0) / gaps.length };
}

/** Added latency with sub-millisecond resolution: direct and agw alternating, medians of the repetitions. */
async function fineAddedLatency(direct: Target, agw: Target, connections: number) {
  const count = full ? 3000 : 1000;
  const directRuns: Array<{ p50Ms: number; p99Ms: number }> = [];
  const agwRuns: Array<{ p50Ms: number; p99Ms: number }> = [];
  for (let repetition = 0; repetition < repetitions; repetition += 1) {
    directRuns.push(await fineLatency(direct, connections, count));
    agwRuns.push(await fineLatency(agw, connections, count));
  }
  const p50 = (list: typeof directRuns) => median(list.map((item) => item.p50Ms));
  const p99 = (list: typeof directRuns) => median(list.map((item) => item.p99Ms));
  return {
    requests: count,
    directP50Ms: round(p50(directRuns), 3),
    directP99Ms: round(p99(directRuns), 3),
    agwP50Ms: round(p50(agwRuns), 3),
    agwP99Ms: round(p99(agwRuns), 3),
    addedP50Ms: round(p50(agwRuns) - p50(directRuns), 3),
    addedP99Ms: round(p99(agwRuns) - p99(directRuns), 3),
  };
}

async function main(): Promise<void> {
  const results: Record<string, unknown> = {
    date: new Date().toISOString(),
    profile: full ? 'full' : 'quick',
    machine: { cores: cpus().length, cpu: cpus()[0]?.model ?? 'unknown', node: process.version },
    scenarios: [] as unknown[],
  };
  const scenarios = results['scenarios'] as unknown[];

  for (const latencyMs of full ? [0, 50] : [0, 50]) {
    const { fake, dataDir, fakeChild, gatewayChild, gatewayUrl } = await startFakeAndGateway(
      latencyMs > 0 ? ['--latency', String(latencyMs)] : [],
    );

    const { direct, agw } = await benchTargets(fake, gatewayUrl);
    const message = [{ role: 'user', content: 'benchmark prompt' }];
    const loadScenarios = [
      {
        name: 'OpenAI non-stream',
        direct: direct('streamGenerateContent?alt=sse', 'gemini-3-flash'),
        agw: agw('/v1/chat/completions', { model: 'gemini-3-flash', messages: message }),
        levels: full ? [1, 16, 64, 256] : [1, 16, 64],
      },
      {
        name: 'OpenAI stream',
        direct: direct('streamGenerateContent?alt=sse', 'gemini-3-flash'),
        agw: agw('/v1/chat/completions', { model: 'gemini-3-flash', stream: true, messages: message }),
        levels: full ? [1, 16, 64, 256] : [16],
      },
      {
        name: 'Anthropic stream',
        direct: direct('streamGenerateContent?alt=sse', 'claude-sonnet-4-6'),
        agw: agw('/v1/messages', { model: 'claude-sonnet-4-6', max_tokens: 256, stream: true, messages: message }),
        levels: full ? [1, 16, 64, 256] : [16],
      },
      {
        name: 'Gemini non-stream',
        direct: direct('streamGenerateContent?alt=sse', 'gemini-3-flash'),
        agw: agw('/v1beta/models/gemini-3-flash:generateContent', {
          contents: [{ role: 'user', parts: [{ text: 'benchmark prompt' }] }],
        }),
        levels: full ? [1, 16, 64, 256] : [16],
      },
    ];
    // Warm both paths (JIT, keep-alive sockets, token refresh) before measuring.
    await load(loadScenarios[0]!.agw, 8);
    await load(loadScenarios[0]!.direct, 8);
    for (const scenario of loadScenarios) {
      if (latencyMs > 0 && !full && scenario.name !== 'OpenAI non-stream') continue;
      for (const connections of scenario.levels) {
        if (latencyMs > 0 && !full && connections !== 16) continue;
        const runs: { direct: AutocannonResult[]; agw: AutocannonResult[] } = { direct: [], agw: [] };
        const gatewayCpuPerRequest: number[] = [];
        for (let repetition = 0; repetition < repetitions; repetition += 1) {
          runs.direct.push(await load(scenario.direct, connections));
          const cpuBefore = await readCpuSeconds(gatewayChild.pid!);
          const agwRun = await load(scenario.agw, connections);
          runs.agw.push(agwRun);
          const cpuSeconds = (await readCpuSeconds(gatewayChild.pid!)) - cpuBefore;
          gatewayCpuPerRequest.push((cpuSeconds * 1e6) / Math.max(1, agwRun.requests.total));
        }
        const summary = (list: AutocannonResult[]) => ({
          requestsPerSecond: round(median(list.map((item) => item.requests.average)), 0),
          requestsPerSecondSpread: [
            round(Math.min(...list.map((item) => item.requests.average)), 0),
            round(Math.max(...list.map((item) => item.requests.average)), 0),
          ],
          p50Ms: median(list.map((item) => item.latency.p50)),
          p90Ms: median(list.map((item) => item.latency.p90)),
          p99Ms: median(list.map((item) => item.latency.p99)),
          errors: list.reduce((sum, item) => sum + item.errors + item.non2xx, 0),
        });
        const directSummary = summary(runs.direct);
        const agwSummary = { ...summary(runs.agw), gatewayCpuUsPerRequest: round(median(gatewayCpuPerRequest), 0) };
        const entry = {
          scenario: scenario.name,
          upstreamLatencyMs: latencyMs,
          connections,
          direct: directSummary,
          agw: agwSummary,
          addedP50Ms: round(agwSummary.p50Ms - directSummary.p50Ms),
          addedP99Ms: round(agwSummary.p99Ms - directSummary.p99Ms),
          ...(latencyMs > 0 ? { fine: await fineAddedLatency(scenario.direct, scenario.agw, connections) } : {}),
        };
        scenarios.push(entry);
        process.stderr.write(`${JSON.stringify(entry)}\n`);
      }
    }
    if (latencyMs === 0) {
      const directStream = await streamTimings(
        direct('streamGenerateContent?alt=sse', 'gemini-3-flash'),
        full ? 200 : 50,
      );
      const agwStream = await streamTimings(
        agw('/v1/chat/completions', { model: 'gemini-3-flash', stream: true, messages: message }),
        full ? 200 : 50,
      );
      results['streaming'] = {
        directTtfbMs: round(directStream.ttfbMs, 3),
        agwTtfbMs: round(agwStream.ttfbMs, 3),
        addedTtfbMs: round(agwStream.ttfbMs - directStream.ttfbMs, 3),
        directGapMs: round(directStream.gapMs, 3),
        agwGapMs: round(agwStream.gapMs, 3),
        addedGapMs: round(agwStream.gapMs - directStream.gapMs, 3),
      };
      if (full) {
        // RSS after 100,000 requests through the gateway.
        for (let done = 0; done < 100_000; ) {
          const result = await autocannon({
            ...loadScenarios[0]!.agw,
            method: 'POST',
            connections: 32,
            amount: 20_000,
          });
          done += result.requests.total;
        }
        results['rssAfter100kRequestsMb'] = await readRssMegabytes(gatewayChild.pid!);
      }
      results['gatewayRssAfterLoadMb'] = await readRssMegabytes(gatewayChild.pid!);
    }
    await stop(gatewayChild);
    await stop(fakeChild);
    await rm(dataDir, { recursive: true, force: true });
  }

  // Startup with 10,000 account files.
  const bigDir = await tempDir('agw-bench-10k-');
  await mkdir(join(bigDir, 'accounts'), { recursive: true });
  const now = Math.floor(Date.now() / 1000);
  const summaries: unknown[] = [];
  for (let index = 0; index < 10_000; index += 1) {
    const id = `00000000-0000-4000-8000-${String(index).padStart(12, '0')}`;
    const email = `user${index}@example.com`;
    const account = {
      id,
      email,
      name: `User ${index}`,
      token: {
        access_token: `ya29.bench-${index}`,
        refresh_token: `1//bench-${index}`,
        expires_in: 3599,
        expiry_timestamp: now + 3000,
        token_type: 'Bearer',
        project_id: `project-${index}`,
      },
      quota: {
        models: [{ name: 'gemini-3-flash', percentage: (index * 7) % 100, reset_time: '' }],
        last_updated: now,
        is_forbidden: false,
        subscription_tier: index % 3 === 0 ? 'PRO' : 'FREE',
        model_forwarding_rules: {},
        quota_groups: null,
      },
      disabled: false,
      proxy_disabled: false,
      created_at: now,
      last_used: now,
    };
    await writeFile(join(bigDir, 'accounts', `${id}.json`), JSON.stringify(account));
    summaries.push({
      id,
      email,
      name: account.name,
      disabled: false,
      proxy_disabled: false,
      created_at: now,
      last_used: now,
    });
  }
  await writeFile(
    join(bigDir, 'accounts.json'),
    JSON.stringify({ version: '2.0', accounts: summaries, current_account_id: null }),
  );
  await writeFile(
    join(bigDir, 'gui_config.json'),
    JSON.stringify({ proxy: { api_key: 'sk-bench', port: 0 }, agw: { log_level: 'warn' } }),
  );
  const startupStarted = performance.now();
  // Every Google URL points at a closed loopback port: the background quota refresh must not leave the machine.
  const nowhere = 'http://127.0.0.1:9';
  const big = await startChild(
    ['bin/agw.js', '--data-dir', bigDir, 'serve', '--port', '0'],
    {
      AGW_UPSTREAM_ENDPOINTS: `${nowhere}/v1internal`,
      AGW_OAUTH_TOKEN_URL: `${nowhere}/token`,
      AGW_OAUTH_AUTH_URL: `${nowhere}/auth`,
      AGW_USERINFO_URL: `${nowhere}/userinfo`,
    },
    /agw is serving on/,
  );
  const bigUrl = /(http:\/\/[\d.]+:\d+)/.exec(big.line)?.[1] ?? '';
  while ((await fetch(`${bigUrl}/healthz`).catch(() => undefined))?.status !== 200)
    await new Promise((resolve) => setTimeout(resolve, 10));
  results['startup10kAccounts'] = {
    seconds: round((performance.now() - startupStarted) / 1000, 3),
    rssMb: await readRssMegabytes(big.child.pid!),
  };
  await stop(big.child);
  await rm(bigDir, { recursive: true, force: true });

  // Selection cost (pure pool), from the pool's own benchmark.
  results['selection'] = await runBenchScript('bench/pool-selection.ts');
  // How soon a running gateway applies a CLI write (docs/operations.md).
  results['cliWriteVisibility'] = JSON.parse(await runBenchScript('bench/cli-write-visibility.ts'));
  // What writing a refreshed token costs the requests waiting for the refresh (docs/architecture.md).
  results['tokenPersistence'] = JSON.parse(await runBenchScript('bench/token-persistence.ts'));

  const resultsDirectory = join(root, 'bench', 'results');
  await mkdir(resultsDirectory, { recursive: true });
  const file = join(
    resultsDirectory,
    `${(results['date'] as string).slice(0, 10)}-${results['profile'] as string}.json`,
  );
  await writeFile(file, `${JSON.stringify(results, null, 2)}\n`);
  process.stdout.write(`${markdown(results)}\nresults: ${file}\n`);
}

/** Runs one of the standalone benchmark scripts and answers what it printed. */
async function runBenchScript(script: string): Promise<string> {
  const child = spawn(process.execPath, [script], { cwd: root, stdio: ['ignore', 'pipe', 'inherit'] });
  let output = '';
  child.stdout!.on('data', (chunk: Buffer) => {
    output += chunk.toString('utf8');
  });
  await once(child, 'exit');
  return output.trim();
}

function markdown(results: Record<string, unknown>): string {
  const machine = results['machine'] as { cores: number; cpu: string; node: string };
  const lines = [
    `Machine: ${machine.cores} cores (${machine.cpu}), Node ${machine.node}; profile ${String(results['profile'])}; ${String(results['date'])}`,
    '',
    '| Scenario | Upstream latency | Connections | Direct req/s | agw req/s (spread) | Direct p50 / p99 ms | agw p50 / p99 ms | Added p50 / p99 ms | agw CPU µs/req | Errors |',
    '|---|---|---|---|---|---|---|---|---|---|',
  ];
  const fine: string[] = [];
  for (const entry of results['scenarios'] as Array<Record<string, unknown>>) {
    const direct = entry['direct'] as Record<string, unknown>;
    const agw = entry['agw'] as Record<string, unknown>;
    const spread = agw['requestsPerSecondSpread'] as number[];
    lines.push(
      `| ${entry['scenario']} | ${entry['upstreamLatencyMs']} ms | ${entry['connections']} | ${direct['requestsPerSecond']} | ${agw['requestsPerSecond']} (${spread[0]}–${spread[1]}) | ${direct['p50Ms']} / ${direct['p99Ms']} | ${agw['p50Ms']} / ${agw['p99Ms']} | ${entry['addedP50Ms']} / ${entry['addedP99Ms']} | ${String(agw['gatewayCpuUsPerRequest'] ?? '')} | ${Number(direct['errors']) + Number(agw['errors'])} |`,
    );
    if (entry['fine'] !== undefined)
      fine.push(
        `${String(entry['scenario'])}, ${String(entry['upstreamLatencyMs'])} ms upstream, ${String(entry['connections'])} connections: ${JSON.stringify(entry['fine'])}`,
      );
  }
  if (fine.length > 0) lines.push('', 'Added latency, sub-millisecond resolution (ms):', ...fine);
  lines.push('', `Streaming (sequential, zero latency): ${JSON.stringify(results['streaming'])}`);
  lines.push(
    `Startup with 10,000 accounts: ${JSON.stringify(results['startup10kAccounts'])}; gateway RSS after load: ${String(results['gatewayRssAfterLoadMb'])} MB`,
  );
  if (results['rssAfter100kRequestsMb'] !== undefined)
    lines.push(`RSS after 100,000 requests: ${String(results['rssAfter100kRequestsMb'])} MB`);
  lines.push(`CLI write → running gateway (ms): ${JSON.stringify(results['cliWriteVisibility'])}`);
  lines.push(`Token persistence on the refresh path (ms): ${JSON.stringify(results['tokenPersistence'])}`);
  lines.push('', 'Selection cost:', String(results['selection']));
  return lines.join('\n');
}

await main();
