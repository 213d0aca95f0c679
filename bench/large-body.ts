/**
 * `npm run bench:large-body`: what one maximal request body costs the gateway. For each size an OpenAI chat
 * request carrying one base64 image is sent while /healthz is probed every 10 ms from this process; reported are
 * the slowest health answer during the request (how long the event loop was held), the time until the fake Google
 * had the request (read and parsed), the request's own time and the gateway's peak RSS. The fake Google and the
 * gateway run in their own processes. `--repeat N` sends each size N times (the peak RSS is the process's).
 * Before each request /healthz is probed for two seconds with nothing else to do: the slowest of those answers is
 * the noise floor of the machine (on a shared machine, waiting for a core), to read the figures against.
 */
import { rm } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import { request } from 'undici';
import { readRssMegabytes, startFakeAndGateway, stop } from './processes.ts';

const { values } = parseArgs({
  options: { sizes: { type: 'string', default: '1,8,16,31' }, repeat: { type: 'string', default: '1' } },
});
const sizesMb = (values.sizes ?? '').split(',').map(Number);
const repeat = Math.max(1, Number(values.repeat));

function imageBody(megabytes: number): string {
  const image = Buffer.alloc(Math.floor((megabytes * 1024 * 1024 * 3) / 4) - 1024, 7).toString('base64');
  return JSON.stringify({
    model: 'gemini-3-flash',
    messages: [
      {
        role: 'user',
        content: [
          { type: 'text', text: 'describe this image' },
          { type: 'image_url', image_url: { url: `data:image/png;base64,${image}` } },
        ],
      },
    ],
  });
}

async function probeWhile(url: string, work: Promise<unknown>): Promise<{ maxMs: number; probes: number }> {
  let done = false;
  void work.finally(() => {
    done = true;
  });
  let maxMs = 0;
  let probes = 0;
  while (!done) {
    const started = performance.now();
    const response = await request(`${url}/healthz`);
    await response.body.dump();
    maxMs = Math.max(maxMs, performance.now() - started);
    probes += 1;
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  return { maxMs, probes };
}

/** The slowest /healthz answer while the gateway has nothing else to do, over `milliseconds`. */
async function idleSlowest(url: string, milliseconds: number): Promise<number> {
  const idle = new Promise((resolve) => setTimeout(resolve, milliseconds));
  return (await probeWhile(url, idle)).maxMs;
}

/** When the fake Google recorded the last generation call (wall clock, after reading and parsing its body). */
async function lastUpstreamWallTime(control: string): Promise<number> {
  const response = await request(`${control}/calls?endpoint=streamGenerateContent&endpoint=generateContent`);
  const { calls } = (await response.body.json()) as { calls: Array<{ wallTime: number }> };
  return calls.at(-1)?.wallTime ?? Number.NaN;
}

const processes = await startFakeAndGateway();
const rows: Array<Record<string, number | string>> = [];
try {
  for (const megabytes of sizesMb.flatMap((size) => Array.from({ length: repeat }, () => size))) {
    // Encoded before probing starts: the probe shares this process, so its own encoding must not delay the probes.
    const body = Buffer.from(imageBody(megabytes));
    const idleHealthMs = Math.round(await idleSlowest(processes.gatewayUrl, 2000));
    const started = performance.now();
    const startedWall = Date.now();
    const sent = request(`${processes.gatewayUrl}/v1/chat/completions`, {
      method: 'POST',
      headers: { authorization: 'Bearer sk-bench', 'content-type': 'application/json' },
      body,
    }).then(async (response) => {
      await response.body.dump();
      return response.statusCode;
    });
    const [status, health] = await Promise.all([sent, probeWhile(processes.gatewayUrl, sent)]);
    const requestMs = Math.round(performance.now() - started);
    rows.push({
      bodyMiB: Number((body.length / 1024 / 1024).toFixed(1)),
      status,
      requestMs,
      upstreamMs: (await lastUpstreamWallTime(processes.fake.control)) - startedWall,
      slowestHealthMs: Math.round(health.maxMs),
      idleHealthMs,
      healthProbes: health.probes,
      gatewayPeakRssMb: await readRssMegabytes(processes.gatewayChild.pid!, 'VmHWM'),
    });
  }
} finally {
  await stop(processes.gatewayChild);
  await stop(processes.fakeChild);
  await rm(processes.dataDir, { recursive: true, force: true });
}
console.log(
  '| body MiB | status | to upstream ms | request ms | slowest /healthz ms | probes | idle: slowest /healthz ms | gateway peak RSS MB |',
);
console.log('|---|---|---|---|---|---|---|---|');
for (const row of rows) {
  console.log(
    `| ${row['bodyMiB']} | ${row['status']} | ${row['upstreamMs']} | ${row['requestMs']} | ${row['slowestHealthMs']} | ${row['healthProbes']} | ${row['idleHealthMs']} | ${row['gatewayPeakRssMb']} |`,
  );
}
