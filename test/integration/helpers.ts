/**
 * Small helpers shared by the integration suites: client requests, admin reads, a movable clock, metric parsing.
 */

import type { Clock } from '../../src/pool/ports.ts';
import { systemClock } from '../../src/server/pool-wiring.ts';

export interface ChatResult {
  status: number;
  text: string;
  headers: Headers;
}

/** One OpenAI chat completion (non-stream unless `stream`), with the body read whole. */
export async function chat(
  url: string,
  headers: Record<string, string>,
  text: string,
  options: { stream?: boolean; model?: string } = {},
): Promise<ChatResult> {
  const response = await fetch(`${url}/v1/chat/completions`, {
    method: 'POST',
    headers: { ...headers, 'content-type': 'application/json' },
    body: JSON.stringify({
      model: options.model ?? 'gemini-3-flash',
      stream: options.stream === true,
      messages: [{ role: 'user', content: text }],
    }),
  });
  return { status: response.status, text: await response.text(), headers: response.headers };
}

/** GET on the admin API (the admin secret is the API key when no admin password is set). */
export async function admin<T = Record<string, unknown>>(
  url: string,
  headers: Record<string, string>,
  path: string,
): Promise<T> {
  const response = await fetch(`${url}${path}`, { headers });
  if (response.status !== 200) throw new Error(`${path}: ${response.status} ${await response.text()}`);
  return (await response.json()) as T;
}

/** The system clock plus an offset tests move forward (cooldowns expire, tokens come due). */
export function movableClock(): Clock & { advance(seconds: number): void } {
  let offsetMs = 0;
  return {
    now: () => Date.now() + offsetMs,
    sleep: (ms, signal) => systemClock.sleep(ms, signal),
    advance(seconds) {
      offsetMs += seconds * 1000;
    },
  };
}

/** The value of one Prometheus sample, e.g. `agw_requests_total{route="/v1/chat/completions",…}`; 0 when absent. */
export function metricValue(body: string, name: string, labels: Record<string, string> = {}): number {
  let total = 0;
  let found = false;
  for (const line of body.split('\n')) {
    if (line.startsWith('#')) continue;
    const match = /^([A-Za-z_:][\w:]*)(\{([^}]*)\})?\s+(\S+)$/.exec(line);
    if (!match || match[1] !== name) continue;
    const present = Object.fromEntries(
      [...(match[3] ?? '').matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)].map((pair) => [pair[1], pair[2]]),
    );
    if (Object.entries(labels).every(([key, value]) => present[key] === value)) {
      total += Number(match[4]);
      found = true;
    }
  }
  return found ? total : 0;
}

/** Every sample line of a metric (for label checks). */
export function metricLines(body: string, name: string): string[] {
  return body.split('\n').filter((line) => line.startsWith(`${name}{`) || line.startsWith(`${name} `));
}
