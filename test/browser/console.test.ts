import { after, before, describe, test } from 'node:test';
import { launchBrowser, type TestBrowser } from './browser.ts';
import { ensureConsoleBuilt } from './build-console.ts';
import { type MockAdminApi, startMockAdminApi } from './mock-admin-api.ts';
import { scenarios } from './scenarios.ts';

const password = 'console-test-password';

describe('web console against the mock admin API', () => {
  let mock: MockAdminApi;
  let browser: TestBrowser;

  before(async () => {
    const staticDir = await ensureConsoleBuilt();
    mock = await startMockAdminApi({ password, staticDir, demo: true });
    browser = await launchBrowser();
  });

  after(async () => {
    await browser?.close();
    await mock?.close();
  });

  for (const scenario of scenarios) {
    test(scenario.name, async () => {
      // Each scenario starts logged out, in its own tab.
      await browser.context.clearCookies();
      const page = await browser.context.newPage();
      try {
        await scenario.run({
          baseUrl: mock.baseUrl,
          password,
          page,
          server: {
            refreshTokenFor: (email, version) => mock.refreshTokenFor(email, version),
            disableByInvalidGrant: (email) => mock.disableByInvalidGrant(email),
            produceRequestLog: () => mock.addRequestLog(),
            completeSignIn: (url, email) => mock.completeSignIn(url, email),
          },
        });
      } finally {
        await page.close();
      }
    });
  }
});
