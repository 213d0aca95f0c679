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
 * request as node:http saw it. `before` (client request seen → upstream request created: parsing, translation,
 * the lease; split into `routed`, up to Fastify calling the route's handler, and `handled`, the handler's part)
 * and `after` (upstream body's last byte → client answer finished: decoding, encoding, writing) are agw's own
 * time on the request's path; the request is followed from node:http to undici through an AsyncLocalStorage
 * entered when node:http announces the request.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
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
const stages = {
  routed: [] as number[],
  handled: [] as number[],
  before: [] as number[],
  queued: [] as number[],
  upstream: [] as number[],
  body: [] as number[],
  after: [] as number[],
  server: [] as number[],
};
/** The client request being served, so an upstream call can be matched to it. */
interface Served {
  started: number;
  handlerStarted?: number;
  lastUpstreamByte?: number;
}
const serving = new AsyncLocalStorage<Served>();
const servedBy = new WeakMap<object, Served>();

function keep(list: number[], value: number): void {
  list.push(value);
  if (list.length > kept * 2) list.splice(0, list.length - kept);
}

function on(channel: string, listener: (message: { request: object }) => void): void {
  diagnostics.subscribe(channel, (message) => listener(message as { request: object }));
}

on('undici:request:create', ({ request }) => {
  const created = performance.now();
  inFlight.set(request, { created });
  const served = serving.getStore();
  if (served === undefined) return;
  keep(stages.before, created - served.started);
  if (served.handlerStarted !== undefined) keep(stages.handled, created - served.handlerStarted);
  servedBy.set(request, served);
});
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
  const now = performance.now();
  keep(stages.body, now - stamps.headers);
  const served = servedBy.get(request);
  if (served) served.lastUpstreamByte = now;
});
on('http.server.request.start', ({ request }) => {
  const served: Served = { started: performance.now() };
  servedBy.set(request, served);
  serving.enterWith(served);
});
diagnostics.subscribe('tracing:fastify.request.handler:start', () => {
  const served = serving.getStore();
  if (served === undefined || served.handlerStarted !== undefined) return;
  served.handlerStarted = performance.now();
  keep(stages.routed, served.handlerStarted - served.started);
});
on('http.server.response.finish', ({ request }) => {
  const served = servedBy.get(request);
  if (served === undefined) return;
  const now = performance.now();
  keep(stages.server, now - served.started);
  if (served.lastUpstreamByte !== undefined) keep(stages.after, now - served.lastUpstreamByte);
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
      routed: percentiles(stages.routed),
      handled: percentiles(stages.handled),
      before: percentiles(stages.before),
      queued: percentiles(stages.queued),
      upstream: percentiles(stages.upstream),
      body: percentiles(stages.body),
      after: percentiles(stages.after),
      server: percentiles(stages.server),
      eventLoopDelay: {
        p50: Number((loopDelay.percentile(50) / 1e6).toFixed(3)),
        p99: Number((loopDelay.percentile(99) / 1e6).toFixed(3)),
        max: Number((loopDelay.max / 1e6).toFixed(3)),
      },
    }),
  );
});
