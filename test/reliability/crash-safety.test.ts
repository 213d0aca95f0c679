/**
 * Crash safety with real processes: the fake Google and `agw serve` each run in their own process, requests force
 * token refreshes with refresh-token rotation on while CLI processes write to the same data directory, and the
 * gateway is killed with SIGKILL mid-storm. Afterwards every account file and the index parse, and every stored
 * refresh token is one the fake still accepts (no rotated token lost), except a rotation whose answer arrived in
 * the last instant before the kill (the unavoidable window between Google's answer and the atomic write;
 * counted separately).
 */
import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { openAccountStore } from '../../src/store/account-store.ts';
import { replayTokenJournal } from '../../src/store/token-journal.ts';
import { silentLogger } from '../../src/telemetry/log-port.ts';
import { fakeEnvironment } from '../support/fake-environment.ts';
import { agwEntry, runCli } from '../support/run-cli.ts';
import { tempDir } from '../support/temp-dir.ts';
import { assertDataDirIntact, clientCall, protocols, send, sleep } from './helpers.ts';

const fakeEntry = fileURLToPath(new URL('../../src/fake-google/main.ts', import.meta.url));
/**
 * Google's answer to a rotating refresh and the journal's fsync of the new token are separate moments; a SIGKILL
 * between them loses the token whatever the gateway does. Tokens spent earlier than this before the kill must
 * have been stored (in the account file, or in the journal that the next start replays).
 */
const killWindowMs = 250;

interface FakeInfo {
  tokenUrl: string;
  authUrl: string;
  userinfoUrl: string;
  v1internal: string;
  control: string;
  client: { clientId: string; clientSecret: string };
}

/** Resolves with the first stdout line matching `pattern`, or rejects after `timeoutMs`. */
function firstLine(child: ChildProcess, pattern: RegExp, timeoutMs: number): Promise<string> {
  return new Promise((resolve, reject) => {
    let buffer = '';
    const timer = setTimeout(
      () => reject(new Error(`no line matching ${pattern} within ${timeoutMs} ms: ${buffer}`)),
      timeoutMs,
    );
    child.stdout?.setEncoding('utf8');
    child.stdout?.on('data', (chunk: string) => {
      buffer += chunk;
      const line = buffer.split('\n').find((candidate) => pattern.test(candidate));
      if (line !== undefined) {
        clearTimeout(timer);
        resolve(line);
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`process exited (${code}) before printing ${pattern}: ${buffer}`));
    });
  });
}

async function control(fake: FakeInfo, route: string, body?: unknown): Promise<unknown> {
  const response = await fetch(`${fake.control}/${route}`, {
    method: body === undefined ? 'GET' : 'POST',
    ...(body === undefined ? {} : { headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) }),
  });
  assert.ok(response.ok, `control ${route}: ${response.status}`);
  return response.json();
}

test('kill -9 during a refresh storm with concurrent CLI writes leaves valid files and no lost rotated token', {
  timeout: 90_000,
}, async (context) => {
  const dataDir = await tempDir('agw-crash-');
  const fakeProcess = spawn(process.execPath, [fakeEntry, '--port', '0'], { stdio: ['ignore', 'pipe', 'inherit'] });
  let gateway: ChildProcess | undefined;
  try {
    const fake = JSON.parse(await firstLine(fakeProcess, /^\{/, 15_000)) as FakeInfo;
    const apiKey = 'sk-crash-test-key';
    const environment = {
      ...fakeEnvironment({ urls: fake, client: fake.client }),
      AGW_API_KEY: apiKey,
      AGW_AUTH_MODE: 'strict',
      AGW_LOG_LEVEL: 'warn',
    };
    const cli = (...args: string[]) =>
      runCli(['--data-dir', dataDir, ...args], { env: environment, mustSucceed: true });

    const emails = Array.from({ length: 4 }, (_, index) => `crash-${index}@example.com`);
    for (const [index, email] of emails.entries()) {
      await control(fake, 'accounts', { email, refreshToken: `1//crash-${index}` });
      await control(fake, 'rotate', { email, on: true });
      await cli('accounts', 'add', '--refresh-token', `1//crash-${index}`);
    }
    // Expired access tokens: the first request on each account refreshes (and rotates) at once.
    const accountsDirectory = join(dataDir, 'accounts');
    for (const name of await readdir(accountsDirectory)) {
      const path = join(accountsDirectory, name);
      const account = JSON.parse(await readFile(path, 'utf8'));
      account.token.expiry_timestamp = Math.floor(Date.now() / 1000) - 60;
      await writeFile(path, JSON.stringify(account, null, 2), { mode: 0o600 });
    }

    gateway = spawn(process.execPath, [agwEntry, 'serve', '--data-dir', dataDir, '--port', '0'], {
      env: { ...process.env, ...environment },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    gateway.stderr?.resume();
    const line = await firstLine(gateway, /agw is serving on http:\/\//, 20_000);
    const url = /serving on (http:\/\/[^\s]+?) \(/.exec(line)?.[1];
    assert.ok(url, line);
    const headers = { authorization: `Bearer ${apiKey}` };

    // The storm: clients in a loop; the fake's clock jumps an hour now and then, so every access token dies and
    // the gateway refreshes (and rotates) again after the 401; CLI processes toggle proxy flags and add accounts.
    let storming = true;
    let sent = 0;
    const clients = Array.from({ length: 12 }, async (_, client) => {
      for (let round = 0; storming && round < 500; round++) {
        const protocol = protocols[(client + round) % protocols.length] ?? 'openai';
        await send(url, headers, clientCall(protocol, `storm ${client} ${round}`, round % 2 === 0), 10_000).catch(
          () => undefined,
        );
        sent += 1;
      }
    });
    const clock = (async () => {
      for (let wave = 0; storming && wave < 40; wave++) {
        await control(fake, 'clock', { advanceSeconds: 3700 });
        await sleep(150);
      }
    })();
    const writers = (async () => {
      for (let round = 0; storming && round < 40; round++) {
        const email = emails[round % emails.length] ?? '';
        await Promise.all([
          cli('accounts', round % 2 === 0 ? 'proxy-disable' : 'proxy-enable', email).catch(() => undefined),
          (async () => {
            const extra = `extra-${round}@example.com`;
            await control(fake, 'accounts', { email: extra, refreshToken: `1//extra-${round}` });
            await control(fake, 'rotate', { email: extra, on: true });
            await cli('accounts', 'add', '--refresh-token', `1//extra-${round}`).catch(() => undefined);
          })(),
        ]);
      }
    })();

    // Let the storm build up until the gateway has rotated tokens several times, then kill it without warning.
    for (let wait = 0; wait < 200; wait++) {
      const calls = (await control(fake, 'calls?endpoint=token')) as { calls: unknown[] };
      if (calls.calls.length >= 25 && sent >= 40) break;
      await sleep(50);
    }
    const killedAt = Date.now();
    gateway.kill('SIGKILL');
    storming = false;
    await Promise.all([...clients, clock, writers]);

    // What the next `agw serve` does first: apply rotations journalled before the kill.
    const recovered = await replayTokenJournal(openAccountStore(dataDir), silentLogger);
    const state = await assertDataDirIntact(dataDir);
    assert.ok(state.files.size >= emails.length);
    const { calls: tokenCalls } = (await control(fake, 'calls?endpoint=token')) as {
      calls: Array<{ body: Record<string, string>; outcome?: number | string; wallTime: number; email?: string }>;
    };
    let accepted = 0;
    const lostInWindow: string[] = [];
    for (const [name, file] of state.files) {
      const account = file as { email: string; token: { refresh_token: string } };
      const refreshToken = account.token.refresh_token;
      const presented = tokenCalls.filter(
        (call) => call.body['refresh_token'] === refreshToken && call.outcome === 200,
      );
      const response = await fetch(fake.tokenUrl, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({
          grant_type: 'refresh_token',
          refresh_token: refreshToken,
          client_id: fake.client.clientId,
          client_secret: fake.client.clientSecret,
        }),
      });
      if (response.status === 200) {
        accepted += 1;
        continue;
      }
      // The stored token was spent: only allowed when Google's answer came in the instant before the kill.
      const lastSpend = presented.at(-1);
      assert.ok(lastSpend, `${name} (${account.email}): stored token rejected and never successfully presented`);
      // Wall-clock times: the fake's own clock jumps an hour every 150 ms in this test.
      const spentBeforeKillMs = killedAt - lastSpend.wallTime;
      assert.ok(
        spentBeforeKillMs < killWindowMs,
        `${account.email}: rotated token lost although it was answered ${spentBeforeKillMs} ms before the kill`,
      );
      lostInWindow.push(account.email);
    }
    // Each main account was refreshed once by its `accounts add`; the rest are the gateway's rotations.
    const gatewayRotations =
      tokenCalls.filter((call) => call.outcome === 200 && emails.includes(call.email ?? '')).length - emails.length;
    assert.ok(gatewayRotations >= emails.length, `the gateway rotated tokens (${gatewayRotations} times)`);
    context.diagnostic(
      `requests sent ${sent}, gateway rotations ${gatewayRotations}, files ${state.files.size}, accepted ${accepted}, recovered from the journal ${recovered}, lost in the kill window ${lostInWindow.length}`,
    );
  } finally {
    gateway?.kill('SIGKILL');
    fakeProcess.kill('SIGTERM');
    await rm(dataDir, { recursive: true, force: true });
  }
});
