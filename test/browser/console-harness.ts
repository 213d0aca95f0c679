/**
 * The set-up every browser test against the real gateway shares: the built console, a harness gateway with one
 * seeded account and an admin password, and a browser; registered as the enclosing suite's (or file's) before and
 * after hooks. Read `harness` and `browser` inside tests, once the hooks have run.
 */
import { after, before } from 'node:test';
import { type Harness, startHarness } from '../harness/gateway-harness.ts';
import { launchBrowser, type TestBrowser } from './browser.ts';
import { ensureConsoleBuilt } from './build-console.ts';

export interface ConsoleHarness {
  readonly harness: Harness;
  readonly browser: TestBrowser;
}

export function consoleAgainstGateway(options: { email: string; password: string }): ConsoleHarness {
  let harness: Harness | undefined;
  let browser: TestBrowser | undefined;
  before(async () => {
    const consoleDirectory = await ensureConsoleBuilt();
    harness = await startHarness({
      accounts: [{ email: options.email }],
      settings: { 'proxy.admin_password': options.password },
      consoleDirectory,
    });
    browser = await launchBrowser();
  });
  after(async () => {
    await browser?.close();
    await harness?.close();
  });
  const started = <Value>(value: Value | undefined, what: string): Value => {
    if (value === undefined) throw new Error(`the ${what} is not started yet: read it inside a test`);
    return value;
  };
  return {
    get harness() {
      return started(harness, 'gateway harness');
    },
    get browser() {
      return started(browser, 'browser');
    },
  };
}
