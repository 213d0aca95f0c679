/**
 * Preloaded into the gateway by `npm run bench:added-latency -- --stages` (`node --import bench/stage-probe.ts`):
 * where a request's time goes inside the gateway, from undici's and node:http's diagnostics channels, plus the
 * event loop's delay (its 1 ms histogram timer wakes the loop itself, so wake-up counts rise while it runs).
 * Nothing in agw knows about it. On SIGUSR2 it writes its figures (ms, p50 and p99 over the
 * newest requests) as JSON to the file named by AGW_STAGE_PROBE_OUT.
 *
 * Stages of the upstream call: queued (undici request created → its headers written: waiting for a connection or
 * for undici's idle-socket check), upstream (headers written → answer headers read: the fake's latency plus any
 * time the answer waited for this event loop), body (answer headers → last byte). `server` is the client's whole
 * request as node:http saw it.
 */
import diagnostics from 'node:diagnostics_channel';
import { writeFileSync } from 'node:fs';
import { monitorEventLoopDelay } from 'node:perf_hooks';

interface Stamps {
  created: number;
  sent?: number;
  headers?: number;
}

const kept = 4000;
const loopDelay = monitorEventLoopDelay({ resolution: 1 });
loopDelay.enable();
const inFlight = new WeakMap<object, Stamps>();
const serverStarts = new WeakMap<object, number>();
const stages = { queued: [] as number[], upstream: [] as number[], body: [] as number[], server: [] as number[] };

function keep(list: number[], value: number): void {
  list.push(value);
  if (list.length > kept * 2) list.splice(0, list.length - kept);
}

function on(channel: string, listener: (message: { request: object }) => void): void {
  diagnostics.subscribe(channel, (message) => listener(message as { request: object }));
}

on('undici:request:create', ({ request }) => inFlight.set(request, { created: performance.now() }));
on('undici:client:sendHeaders', ({ request }) => {
  const stamps = inFlight.get(request);
  if (stamps) stamps.sent = performance.now();
});
on('undici:request:headers', ({ request }) => {
  const stamps = inFlight.get(request);
  if (stamps) stamps.headers = performance.now();
});
on('undici:request:trailers', ({ request }) => {
  const stamps = inFlight.get(request);
  if (stamps?.sent === undefined || stamps.headers === undefined) return;
  keep(stages.queued, stamps.sent - stamps.created);
  keep(stages.upstream, stamps.headers - stamps.sent);
  keep(stages.body, performance.now() - stamps.headers);
});
on('http.server.request.start', ({ request }) => serverStarts.set(request, performance.now()));
on('http.server.response.finish', ({ request }) => {
  const started = serverStarts.get(request);
  if (started !== undefined) keep(stages.server, performance.now() - started);
});

function percentiles(values: number[]): { p50: number; p99: number } {
  const sorted = values.slice(-kept).sort((left, right) => left - right);
  const at = (fraction: number) => Number((sorted[Math.floor(sorted.length * fraction)] ?? Number.NaN).toFixed(3));
  return { p50: at(0.5), p99: at(0.99) };
}

process.on('SIGUSR2', () => {
  const out = process.env['AGW_STAGE_PROBE_OUT'];
  if (!out) return;
  writeFileSync(
    out,
    JSON.stringify({
      queued: percentiles(stages.queued),
      upstream: percentiles(stages.upstream),
      body: percentiles(stages.body),
      server: percentiles(stages.server),
      eventLoopDelay: {
        p50: Number((loopDelay.percentile(50) / 1e6).toFixed(3)),
        p99: Number((loopDelay.percentile(99) / 1e6).toFixed(3)),
        max: Number((loopDelay.max / 1e6).toFixed(3)),
      },
    }),
  );
});
