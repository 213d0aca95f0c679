import assert from 'node:assert/strict';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'node:test';
import { defaults } from '../../src/config/defaults.ts';
import { ensureConfigFile, setSettingFromText, updateSettings } from '../../src/config/edit.ts';
import { resolveAuthMode } from '../../src/config/gateway-config.ts';
import { createLiveConfig } from '../../src/config/live-config.ts';
import { configFromObject, loadConfig, resolveDataDir } from '../../src/config/load.ts';
import { GatewayError } from '../../src/errors/catalogue.ts';
import { silentLogger } from '../../src/telemetry/log-port.ts';
import { tempDir } from '../support/temp-dir.ts';

const temporaryDir = () => tempDir('agw-config-');

test('defaults apply when there is no file and no environment', async () => {
  const dataDir = await temporaryDir();
  const config = await loadConfig({ dataDir }, {});
  assert.equal(config.server.port, 8045);
  assert.equal(config.server.host, '127.0.0.1');
  assert.equal(config.auth.mode, 'auto');
  assert.equal(resolveAuthMode(config.auth.mode, true), 'off', 'auto is open while bound to loopback only');
  assert.equal(resolveAuthMode(config.auth.mode, false), 'all_except_health', 'auto needs the key beyond loopback');
  assert.equal(config.pool.strategy, 'sticky');
  assert.deepEqual(config.upstream.endpoints, defaults.upstream.endpoints);
  assert.ok(Object.isFrozen(config.server), 'the configuration is frozen');
});

test('the reference file format is read: proxy object, top-level quota_protection and circuit_breaker', () => {
  const config = configFromObject(
    '/data',
    {
      language: 'zh',
      proxy: {
        port: 9000,
        allow_lan_access: true,
        auth_mode: 'auto',
        api_key: 'sk-abc',
        custom_mapping: { 'gpt-4*': 'gemini-3-flash' },
        scheduling: { mode: 'PerformanceFirst', max_wait_seconds: 30 },
      },
      circuit_breaker: { enabled: false, backoff_steps: [10, 20] },
      quota_protection: { enabled: true, threshold_percentage: 25, monitored_models: ['claude'] },
    },
    {},
    {},
  );
  assert.equal(config.server.port, 9000);
  assert.equal(config.server.host, '0.0.0.0', 'LAN access binds all interfaces');
  assert.equal(config.auth.adminSecret, 'sk-abc', 'admin falls back to the API key');
  assert.equal(config.pool.strategy, 'quota-aware');
  assert.equal(config.pool.maxWaitSeconds, 30);
  assert.equal(config.pool.circuitBreakerEnabled, false);
  assert.deepEqual(config.pool.backoffStepsSeconds, [10, 20]);
  assert.equal(config.quota.protectionEnabled, true);
  assert.equal(config.quota.protectionThresholdPercentage, 25);
  assert.deepEqual(config.models.customMapping, { 'gpt-4*': 'gemini-3-flash' });
});

test('environment overrides the file, agw names before the reference names', () => {
  const file = { proxy: { port: 9000, api_key: 'from-file' } };
  const config = configFromObject(
    '/data',
    file,
    {},
    {
      AGW_PORT: '9100',
      API_KEY: 'reference-name',
      AGW_API_KEY: 'agw-name',
      WEB_PASSWORD: 'secret-pass',
      AGW_UPSTREAM_ENDPOINTS: 'http://127.0.0.1:1/v1internal, http://127.0.0.1:2/v1internal',
    },
  );
  assert.equal(config.server.port, 9100);
  assert.equal(config.auth.apiKey, 'agw-name');
  assert.equal(config.auth.adminSecret, 'secret-pass');
  assert.deepEqual(config.upstream.endpoints, ['http://127.0.0.1:1/v1internal', 'http://127.0.0.1:2/v1internal']);
  const referenceOnly = configFromObject('/data', file, {}, { API_KEY: 'reference-name' });
  assert.equal(referenceOnly.auth.apiKey, 'reference-name');
});

test('every validation problem is reported in one error', () => {
  let caught: unknown;
  try {
    configFromObject(
      '/data',
      { proxy: { port: 'eighty', auth_mode: 'sometimes' }, refresh_interval: -5 },
      {},
      {
        AGW_UPSTREAM_ENDPOINTS: 'not a url',
      },
    );
  } catch (error) {
    caught = error;
  }
  assert.ok(GatewayError.is(caught));
  assert.equal(caught.code, 'AGW_CONFIG_INVALID');
  for (const expected of ['proxy.port', 'proxy.auth_mode', 'refresh_interval', 'AGW_UPSTREAM_ENDPOINTS']) {
    assert.match(caught.message, new RegExp(expected.replace('.', '\\.')), `mentions ${expected}`);
  }
});

test('data dir: flag, then AGW_DATA_DIR, then ABV_DATA_DIR, then ~/.antigravity_tools', () => {
  assert.equal(resolveDataDir({ dataDir: '/a' }, { AGW_DATA_DIR: '/b' }), '/a');
  assert.equal(resolveDataDir({}, { AGW_DATA_DIR: '/b', ABV_DATA_DIR: '/c' }), '/b');
  assert.equal(resolveDataDir({}, { ABV_DATA_DIR: '/c' }), '/c');
  assert.match(resolveDataDir({}, {}), /\.antigravity_tools$/);
});

test('saving keeps keys agw does not know and refuses invalid values without writing', async () => {
  const dataDir = await temporaryDir();
  const original = {
    language: 'zh',
    theme: 'dark',
    proxy: { port: 8045, api_key: 'sk-1', zai: { enabled: false } },
    cloudflared: { x: 1 },
  };
  await writeFile(join(dataDir, 'gui_config.json'), JSON.stringify(original));
  await setSettingFromText(dataDir, 'proxy.port', '9001');
  const saved = JSON.parse(await readFile(join(dataDir, 'gui_config.json'), 'utf8'));
  assert.equal(saved.proxy.port, 9001);
  assert.deepEqual(saved.proxy.zai, { enabled: false });
  assert.deepEqual(saved.cloudflared, { x: 1 });
  assert.equal(saved.theme, 'dark');
  const before = await readFile(join(dataDir, 'gui_config.json'), 'utf8');
  await assert.rejects(() => setSettingFromText(dataDir, 'proxy.port', '"not-a-port"'), { code: 'AGW_CONFIG_INVALID' });
  await assert.rejects(() => setSettingFromText(dataDir, 'proxy.no_such_key', '1'), { code: 'AGW_CONFIG_UNKNOWN_KEY' });
  assert.equal(await readFile(join(dataDir, 'gui_config.json'), 'utf8'), before, 'nothing written on invalid input');
});

test('first run creates a config with a stable random API key', async () => {
  const dataDir = await temporaryDir();
  await ensureConfigFile(dataDir);
  const first = JSON.parse(await readFile(join(dataDir, 'gui_config.json'), 'utf8'));
  assert.match(first.proxy.api_key, /^sk-[0-9a-f]{32}$/);
  await ensureConfigFile(dataDir);
  const second = JSON.parse(await readFile(join(dataDir, 'gui_config.json'), 'utf8'));
  assert.equal(second.proxy.api_key, first.proxy.api_key);
});

test('hot reload: a change to the file reaches subscribers; an invalid file keeps the last good config', async () => {
  const dataDir = await temporaryDir();
  await updateSettings(dataDir, { 'proxy.auth_mode': 'off' });
  const initial = await loadConfig({ dataDir }, {});
  const live = createLiveConfig({ initial, environment: {}, logger: silentLogger, debounceMs: 20 });
  try {
    const changed = new Promise<string>((resolve) => live.subscribe((next) => resolve(next.auth.mode)));
    await updateSettings(dataDir, { 'proxy.auth_mode': 'strict' });
    assert.equal(await changed, 'strict');
    await writeFile(join(dataDir, 'gui_config.json'), '{ broken');
    assert.equal(await live.reload(), false);
    assert.equal(live.current().auth.mode, 'strict');
  } finally {
    live.close();
  }
});

test('docs/configuration.md documents every setting with its environment variables', async () => {
  const { settingsTable } = await import('../../src/config/settings-table.ts');
  const document = await readFile(new URL('../../docs/configuration.md', import.meta.url), 'utf8');
  for (const definition of Object.values(settingsTable)) {
    const row = document.split('\n').find((line) => line.startsWith(`| \`${definition.path}\` |`));
    assert.ok(row, `${definition.path} is documented`);
    for (const variable of definition.env) assert.ok(row.includes(`\`${variable}\``), `${variable} is documented`);
  }
});
