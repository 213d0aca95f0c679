import assert from 'node:assert/strict';
import { readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'node:test';
import { GatewayError } from '../../src/errors/catalogue.ts';
import { readConfigFile, updateConfigFile } from '../../src/store/config-file.ts';
import { makeDataDir } from './helpers.ts';

test('a missing config file reads as undefined without a problem', async () => {
  assert.deepEqual(await readConfigFile(await makeDataDir()), { raw: undefined });
});

test('a corrupt config file is reported, and an update refuses to overwrite it', async () => {
  const dataDir = await makeDataDir();
  const path = join(dataDir, 'gui_config.json');
  for (const content of ['{"proxy": {', '[1,2]', '', '\u0000\u0000']) {
    await writeFile(path, content);
    const read = await readConfigFile(dataDir);
    assert.equal(read.raw, undefined);
    assert.match(read.problem ?? '', /gui_config\.json/);
    await assert.rejects(
      updateConfigFile(dataDir, (raw) => ({ ...raw, x: 1 })),
      (error: unknown) => GatewayError.is(error) && error.code === 'AGW_CONFIG_INVALID',
    );
    assert.equal(await readFile(path, 'utf8'), content);
  }
});

test('an update keeps every key it does not touch, writes atomically and privately', async () => {
  const dataDir = await makeDataDir();
  const path = join(dataDir, 'gui_config.json');
  const original = { language: 'zh', proxy: { port: 8045, api_key: 'sk-1', future: [1] }, unknown_top: { a: 1 } };
  await writeFile(path, `\uFEFF${JSON.stringify(original)}`, { mode: 0o644 });
  const next = await updateConfigFile(dataDir, (raw) => {
    (raw['proxy'] as Record<string, unknown>)['port'] = 9000;
    return raw;
  });
  const stored = JSON.parse(await readFile(path, 'utf8'));
  assert.deepEqual(stored, { ...original, proxy: { ...original.proxy, port: 9000 } });
  assert.deepEqual(next, stored);
  assert.equal((await stat(path)).mode & 0o777, 0o600);
});

test('concurrent updates in one process are serialised: no increment is lost', async () => {
  const dataDir = await makeDataDir();
  await Promise.all(
    Array.from({ length: 25 }, () =>
      updateConfigFile(dataDir, (raw) => ({ ...raw, counter: Number(raw['counter'] ?? 0) + 1 })),
    ),
  );
  assert.equal((await readConfigFile(dataDir)).raw?.['counter'], 25);
});
