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
        const begin = performance.now();
        const response = await request(target.url, {
          method: 'POST',
          headers: target.headers,
          body: target.body,
          dispatcher,
        });
        await response.body.dump();
        latencies.push(performance.now() - begin);
      }
    }),
  );
  await dispatcher.close();
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
