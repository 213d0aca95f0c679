import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { describe, test } from 'node:test';
import { createLogger } from '../../src/telemetry/logger.ts';
import { createMetrics } from '../../src/telemetry/metrics.ts';
import { createSecretRegistry, redactValue, registerSecret, scrubText } from '../../src/telemetry/redaction.ts';
import { openRequestLog } from '../../src/telemetry/request-log.ts';
import { tempDirSync } from '../support/temp-dir.ts';

/** Planted secrets: if either shows up in any output below, redaction has a hole. */
const refreshCanary = '1//canary-refresh-token-7f3a';
const apiKeyCanary = 'sk-canary-api-key-91b2';
const canaries = [refreshCanary, apiKeyCanary];

function assertClean(text: string, where: string): void {
  for (const canary of canaries) assert.ok(!text.includes(canary), `${canary} leaked into ${where}`);
}

const account = {
  id: 'acc-canary',
  email: 'canary@example.com',
  token: { access_token: 'ya29.canary-access', refresh_token: refreshCanary, expires_in: 3599 },
};
const headers = { authorization: `Bearer ${apiKeyCanary}`, 'x-api-key': apiKeyCanary, 'x-goog-api-key': apiKeyCanary };

describe('canaries', () => {
  test('logger: fields, header objects, nested accounts, errors, message text, bindings, file and stdout', () => {
    const directory = tempDirSync('agw-canary-');
    const stdout: string[] = [];
    for (const pretty of [false, true]) {
      const logger = createLogger({
        level: 'debug',
        pretty,
        logDir: directory,
        secrets: createSecretRegistry(),
        stdout: { write: (line) => stdout.push(line) },
      });
      logger.info({ refresh_token: refreshCanary, api_key: apiKeyCanary }, 'fields');
      logger.info({ headers }, 'headers');
      logger.info({ request: { headers: { Authorization: `Bearer ${apiKeyCanary}` } } }, 'nested headers');
      logger.info({ account }, 'account');
      logger.warn({ err: new Error(`refresh failed for ${refreshCanary}`) }, 'error object');
      logger.warn(`Token 刷新失败 (canary@example.com): invalid_grant with ${refreshCanary}，尝试下一个账号`);
      logger.child({ apiKey: apiKeyCanary }).debug('child');
      logger.info({ body: JSON.stringify({ refresh_token: refreshCanary, key: apiKeyCanary }) }, 'json string');
      logger.close();
    }
    const file = fs
      .readdirSync(directory)
      .map((name) => fs.readFileSync(path.join(directory, name), 'utf8'))
      .join('');
    assert.equal(file.split('\n').filter(Boolean).length, 16);
    assertClean(file, 'the log file');
    assertClean(stdout.join(''), 'stdout');
  });

  test('request log rows', () => {
    const file = path.join(tempDirSync('agw-canary-'), 'agw.db');
    const log = openRequestLog({ path: file, batch: { intervalMs: 0 } });
    log.record({
      protocol: 'gemini',
      route: `/v1beta/models/m:generateContent?key=${apiKeyCanary}`,
      method: 'post',
      status: 401,
      totalMs: 3,
      clientModel: refreshCanary,
      mappedModel: `x ${apiKeyCanary}`,
      errorCode: `AGW_UNAUTHORIZED ${refreshCanary}`,
      id: apiKeyCanary,
    });
    const rows = JSON.stringify(log.query()) + JSON.stringify(log.usage({ groupBy: 'model' }));
    log.close();
    assertClean(rows, 'request-log rows');
    assertClean(fs.readFileSync(file).toString('latin1'), 'agw.db');
  });

  test('metrics output', async () => {
    const metrics = createMetrics({ defaultMetrics: false });
    metrics.recordRequest({
      route: `/v1beta/models/m:generateContent?key=${apiKeyCanary}`,
      protocol: 'gemini',
      status: 200,
      totalMs: 5,
      upstreamMs: 4,
      attempts: 1,
      model: refreshCanary,
    });
    metrics.recordUpstream429(`quota ${apiKeyCanary}`);
    metrics.setCooldowns([{ accountId: 'acc-canary', model: refreshCanary, remainingSeconds: 4 }]);
    const { body } = await metrics.render();
    assertClean(body, 'metrics');
    assert.ok(body.includes('acc-canary'));
  });

  test('scrubText and redactValue, with the process-wide registry', () => {
    registerSecret('opaque-canary-value-without-shape');
    const text = `error: ${refreshCanary} / ${apiKeyCanary} / opaque-canary-value-without-shape`;
    const scrubbed = scrubText(text);
    assertClean(scrubbed, 'scrubText output');
    assert.ok(!scrubbed.includes('opaque-canary-value-without-shape'));
    assertClean(JSON.stringify(redactValue({ account, headers, note: text })), 'redactValue output');
  });
});
