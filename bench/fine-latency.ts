/**
 * Latency with sub-millisecond resolution: `count` requests over `connections` keep-alive connections, each timed
 * with performance.now(). autocannon reports whole milliseconds, too coarse for an added latency under 1 ms.
 */
import { Agent, request } from 'undici';

export interface Target {
  url: string;
  headers: Record<string, string>;
  body: string;
}

export interface FineLatency {
  p50Ms: number;
  p90Ms: number;
  p99Ms: number;
}

export async function fineLatency(target: Target, connections: number, count: number): Promise<FineLatency> {
  const dispatcher = new Agent({ connections });
  const latencies: number[] = [];
  let started = 0;
  await Promise.all(
    Array.from({ length: connections }, async () => {
      while (started < count) {
        started += 1;
        latencies.push(await timedRequest(target, dispatcher, performance.now()));
      }
    }),
  );
  await dispatcher.close();
  return percentiles(latencies);
}

/** Sends one request, reads its whole answer and returns the milliseconds since `since`. */
async function timedRequest(target: Target, dispatcher: Agent, since: number): Promise<number> {
  const response = await request(target.url, {
    method: 'POST',
    headers: target.headers,
    body: target.body,
    dispatcher,
  });
  await response.body.dump();
  return performance.now() - since;
}

/** p50, p90 and p99 of `latencies` (sorted in place). */
function percentiles(latencies: number[]): FineLatency {
  latencies.sort((left, right) => left - right);
  const at = (fraction: number) =>
    latencies[Math.min(latencies.length - 1, Math.floor(latencies.length * fraction))] ?? Number.NaN;
  return { p50Ms: at(0.5), p90Ms: at(0.9), p99Ms: at(0.99) };
}

export function median(values: number[]): number {
  const sorted = [...values].sort((left, right) => left - right);
  return sorted[Math.floor(sorted.length / 2)] ?? Number.NaN;
}

export const round = (value: number, digits = 2): number => Number(value.toFixed(digits));

/**
 * The same measurement with an open loop: requests start at random (exponential) intervals averaging `rate` per
 * second, whatever the answers do, and each latency counts from the moment its request was due, so a stall is not
 * hidden by clients that stop sending while they wait. A closed loop with a constant upstream latency keeps its
 * clients in step (all sixteen answers arrive together, all sixteen requests leave together), which measures bursts;
 * real clients arrive at random. The seed makes the arrival pattern the same for every target compared.
 */
export async function openLoopLatency(target: Target, rate: number, count: number, seed = 1): Promise<FineLatency> {
  const dispatcher = new Agent({ connections: 256 });
  let state = seed;
  const random = (): number => {
    state = (state * 1_103_515_245 + 12_345) % 2_147_483_648;
    return (state + 0.5) / 2_147_483_648;
  };
  const latencies: number[] = [];
  const calls: Array<Promise<void>> = [];
  const start = performance.now();
  let dueMs = 0;
  for (let index = 0; index < count; index += 1) {
    dueMs += (-Math.log(random()) / rate) * 1_000;
    const waitMs = start + dueMs - performance.now();
    if (waitMs > 1) await new Promise((resolve) => setTimeout(resolve, waitMs));
    const due = start + dueMs;
    calls.push(timedRequest(target, dispatcher, due).then((latency) => void latencies.push(latency)));
  }
  await Promise.all(calls);
  await dispatcher.close();
  return percentiles(latencies);
}
