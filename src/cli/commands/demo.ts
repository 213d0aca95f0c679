/**
 * `agw demo`: the whole product without a Google account. Starts the fake Google on loopback, seeds a throw-away
 * data directory with three accounts (one whose refresh token is revoked, so the invalid_grant story is visible
 * on its first refresh), and serves the gateway against the fake. Ctrl-C stops everything and removes the data.
 */
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Command } from 'commander';
import { updateSettings } from '../../config/edit.ts';
import { configFromObject, isInteractiveTerminal, logFormatOf, readConfigObject } from '../../config/load.ts';
import { createFakeGoogle, fakeEnvironment } from '../../fake-google/index.ts';
import { createGoogleClients } from '../../google/clients.ts';
import { enrollAccount } from '../../google/enroll-account.ts';
import { startGateway } from '../../server/runtime.ts';
import { openAccountStore } from '../../store/account-store.ts';
import { createLogger } from '../../telemetry/logger.ts';
import { printLine } from '../output.ts';
import { parsePort, stopSignal } from './serve.ts';

/** The curl lines the demo prints; README.md shows the same lines (test/cli/readme-demo.test.ts keeps them equal). */
export function demoCurlLines(base: string, apiKey: string): string[] {
  return [
    `curl -s ${base}/v1/chat/completions -H 'Authorization: Bearer ${apiKey}' -H 'Content-Type: application/json' \\`,
    `  -d '{"model":"gemini-3-flash","messages":[{"role":"user","content":"Hello from the demo"}]}'`,
    `curl -sN ${base}/v1/messages -H 'x-api-key: ${apiKey}' -H 'Content-Type: application/json' \\`,
    `  -d '{"model":"claude-sonnet-4-6","max_tokens":256,"stream":true,"messages":[{"role":"user","content":"Hi"}]}'`,
    `curl -s '${base}/v1beta/models/gemini-3-flash:generateContent?key=${apiKey}' -H 'Content-Type: application/json' \\`,
    `  -d '{"contents":[{"role":"user","parts":[{"text":"Hello"}]}]}'`,
  ];
}

export function registerDemoCommand(program: Command): void {
  program
    .command('demo')
    .description('try agw without a Google account: a fake Google on loopback, three demo accounts, the gateway')
    .option('--port <port>', 'gateway port (default 8045)')
    .action(async (options: { port?: string }) => {
      const port = parsePort(options.port) ?? 8045;
      const fake = await createFakeGoogle({ port: 0 });
      const dataDir = await mkdtemp(join(tmpdir(), 'agw-demo-'));
      const apiKey = `sk-demo-${randomBytes(8).toString('hex')}`;
      const environment = fakeEnvironment(fake);
      await updateSettings(dataDir, { 'proxy.api_key': apiKey, 'proxy.auth_mode': 'strict', 'proxy.port': port });
      const config = configFromObject(dataDir, await readConfigObject(dataDir), {}, environment);
      const google = createGoogleClients(config);
      const store = openAccountStore(dataDir);
      const demoAccounts = [
        { email: 'alice@demo.agw', name: 'Alice (active)', tier: 'PRO' as const },
        { email: 'bob@demo.agw', name: 'Bob (refresh token revoked)', tier: 'ULTRA' as const },
        { email: 'carol@demo.agw', name: 'Carol (active)', tier: 'FREE' as const },
      ];
      for (const [index, account] of demoAccounts.entries()) {
        const refreshToken = `1//demo-refresh-token-${index}-${randomBytes(6).toString('hex')}`;
        fake.control.addAccount({ email: account.email, name: account.name, refreshToken, tier: account.tier });
        const enrolled = await enrollAccount(refreshToken, google, store);
        if (account.email === 'bob@demo.agw') {
          // Expire Bob's access token and revoke his refresh token: the first request that picks him refreshes,
          // gets invalid_grant, and disables him — the seed story, live.
          await store.persistToken(enrolled.account.id, { expiry_timestamp: Math.floor(Date.now() / 1000) - 60 });
          fake.control.revokeRefreshToken(refreshToken);
        }
      }
      // The gateway builds (and closes) its own clients; these were only for seeding.
      await google.close();
      const logger = createLogger({
        level: 'info',
        pretty: logFormatOf(config) === 'pretty',
        colour: isInteractiveTerminal(),
      });
      const gateway = await startGateway({ config, logger, environment });
      const base = gateway.url;
      printLine('');
      printLine(`agw demo is running on ${base} against a fake Google at ${fake.urls.base}`);
      printLine(`API key: ${apiKey}    data dir (removed on exit): ${dataDir}`);
      printLine(`console: ${base}/  (admin password = the API key)`);
      printLine('');
      printLine('Try (OpenAI, Anthropic streaming, Gemini):');
      for (const line of demoCurlLines(base, apiKey)) printLine(line);
      printLine('Accounts (bob@demo.agw is disabled by invalid_grant within seconds):');
      printLine(`  npm exec -- agw --data-dir ${dataDir} accounts list`);
      printLine('');
      printLine('Press Ctrl-C to stop.');
      await stopSignal();
      try {
        await gateway.close();
        await fake.close();
        logger.close();
      } finally {
        // The demo's data is removed on exit even when closing something failed.
        await rm(dataDir, { recursive: true, force: true });
      }
    });
}
