/**
 * The console is always there: a gateway started from a checkout without dist/web builds it once (and says so),
 * then serves it; where it cannot be built, the log and `/` say what to do.
 */
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { ensureConsoleBuilt } from '../../src/server/console-build.ts';
import { createRecordingLogger } from '../../src/telemetry/log-port.ts';
import { startHarness } from '../harness/gateway-harness.ts';
import { tempDir } from '../support/temp-dir.ts';

const checkout = {
  viteConfig: fileURLToPath(new URL('../../web/vite.config.ts', import.meta.url)),
  viteEntry: fileURLToPath(new URL('../../node_modules/vite/bin/vite.js', import.meta.url)),
};

test('a missing console is built once, announced in the log, and served at /', async () => {
  const parent = await tempDir('agw-console-');
  const directory = join(parent, 'web');
  try {
    const logger = createRecordingLogger();
    assert.equal(await ensureConsoleBuilt({ directory, ...checkout, logger }), 'built');
    assert.ok(existsSync(join(directory, 'index.html')));
    assert.ok(
      logger.lines.some((line) => line.level === 'info' && /not built yet: building it/.test(line.message)),
      logger.lines.map((line) => line.message).join('\n'),
    );
    assert.equal(await ensureConsoleBuilt({ directory, ...checkout, logger }), 'present', 'built only once');

    const harness = await startHarness({ consoleDirectory: directory });
    try {
      const page = await fetch(`${harness.url}/`);
      assert.equal(page.status, 200);
      assert.match(await page.text(), /<title>agw console<\/title>/);
    } finally {
      await harness.close();
    }
  } finally {
    await rm(parent, { recursive: true, force: true });
  }
});

test('without Vite (an installed package that lacks dist/web) the log and / say how to get the console', async () => {
  const parent = await tempDir('agw-console-');
  const directory = join(parent, 'web');
  try {
    const logger = createRecordingLogger();
    const outcome = await ensureConsoleBuilt({
      directory,
      viteConfig: checkout.viteConfig,
      viteEntry: join(parent, 'no-vite.js'),
      logger,
    });
    assert.equal(outcome, 'missing');
    assert.ok(
      logger.lines.some((line) => line.level === 'warn' && line.message.includes('npm run build:web')),
      logger.lines.map((line) => line.message).join('\n'),
    );
    const harness = await startHarness({ consoleDirectory: directory });
    try {
      const page = await fetch(`${harness.url}/`);
      assert.equal(page.status, 200);
      assert.match(await page.text(), /npm run build:web/);
    } finally {
      await harness.close();
    }
  } finally {
    await rm(parent, { recursive: true, force: true });
  }
});
