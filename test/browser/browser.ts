import { existsSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { type BrowserContext, chromium } from 'playwright-core';
import { tempDir } from '../support/temp-dir.ts';

/** Debian's Chromium; the browser tests use it rather than a downloaded Playwright build. */
export const chromiumPath = '/usr/bin/chromium';

export interface TestBrowser {
  context: BrowserContext;
  close(): Promise<void>;
}

/**
 * Launches headless Chromium with a fresh temporary profile. Fails (never skips) with a clear message when
 * Chromium is not installed, so a missing browser cannot pass for a green run.
 */
export async function launchBrowser(): Promise<TestBrowser> {
  if (!existsSync(chromiumPath)) {
    throw new Error(
      `Chromium is missing at ${chromiumPath}. The browser tests need it: apt-get install -y chromium (Debian).`,
    );
  }
  const profile = await tempDir('agw-browser-');
  // Playwright passes --user-data-dir itself for a persistent context; the rest keeps Chromium quiet and offline.
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: chromiumPath,
    headless: true,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
    viewport: { width: 1280, height: 860 },
  });
  return {
    context,
    close: async () => {
      await context.close();
      await rm(profile, { recursive: true, force: true });
    },
  };
}
