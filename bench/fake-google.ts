/**
 * Load benchmark of the fake Google's non-stream generateContent route (zero added latency).
 * Runs the fake in a child process so autocannon does not compete with it for the same thread, then prints
 * requests/s and latency percentiles as one JSON line.
 *
 *   npm exec -- node bench/fake-google.ts [--connections 32] [--duration 10]
 */
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { createRequire } from 'node:module';
import { createInterface } from 'node:readline';
import { parseArgs } from 'node:util';
import { fakeAccessToken } from './processes.ts';

/** The part of autocannon's API used here (the package ships no type declarations). */
interface AutocannonResult {
  requests: { total: number; average: number };
  latency: { p50: number; p99: number; max: number };
  non2xx: number;
  errors: number;
}
type Autocannon = (options: {
  url: string;
  method: string;
  headers: Record<string, string>;
  body: string;
  connections: number;
  duration: number;
}) => Promise<AutocannonResult>;
const autocannon = createRequire(import.meta.url)('autocannon') as Autocannon;

const { values } = parseArgs({
  options: {
    connections: { type: 'string', default: '32' },
    duration: { type: 'string', default: '10' },
  },
});

const child = spawn(process.execPath, ['src/fake-google/main.ts', '--accounts', '1'], {
  stdio: ['ignore', 'pipe', 'inherit'],
});
try {
  const lines = createInterface({ input: child.stdout! });
  const [firstLine] = (await once(lines, 'line')) as [string];
  const fake = JSON.parse(firstLine) as {
    tokenUrl: string;
    v1internal: string;
    client: { clientId: string; clientSecret: string };
    accounts: Array<{ refreshToken: string }>;
  };
  const accessToken = await fakeAccessToken({ ...fake, refreshToken: fake.accounts[0]!.refreshToken });
  const body = JSON.stringify({
    project: 'bench',
    requestId: 'agent/antigravity/bench/1',
    request: { contents: [{ role: 'user', parts: [{ text: 'How fast can the fake answer?' }] }] },
    model: 'gemini-3-flash',
    userAgent: 'antigravity',
    requestType: 'agent',
  });
  const result = await autocannon({
    url: `${fake.v1internal}:generateContent`,
    method: 'POST',
    headers: { authorization: `Bearer ${accessToken}`, 'content-type': 'application/json' },
    body,
    connections: Number(values.connections),
    duration: Number(values.duration),
  });
  process.stdout.write(
    `${JSON.stringify({
      benchmark: 'fake-google generateContent (non-stream, zero latency)',
      connections: Number(values.connections),
      durationSeconds: Number(values.duration),
      requests: result.requests.total,
      requestsPerSecond: result.requests.average,
      latencyMs: { p50: result.latency.p50, p99: result.latency.p99, max: result.latency.max },
      non2xx: result.non2xx,
      errors: result.errors,
    })}\n`,
  );
} finally {
  child.kill('SIGTERM');
}
