/**
 * Issue 10 through the server: the request-log rows of a streamed and of a failed request (GET /api/logs and the
 * RequestLog itself), and usage statistics by account, model, hour and day (GET /api/stats/usage).
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { RequestLogRow } from '../../src/telemetry/request-log.ts';
import { eventually, startHarness } from '../harness/gateway-harness.ts';
import { admin, chat } from './helpers.ts';

test('a streamed and a failed request each leave one complete row, by account id, never email', async () => {
  const harness = await startHarness({ accounts: [{ email: 'rows@example.com' }] });
  try {
    const account = harness.accounts.get('rows@example.com')!;
    const streamed = await chat(harness.url, harness.headers, 'stream me please', {
      stream: true,
      model: 'gpt-4o',
    });
    assert.equal(streamed.status, 200);
    assert.match(streamed.text, /\[DONE\]/);

    harness.fake.control.script({
      match: { endpoint: 'streamGenerateContent' },
      times: 'always',
      action: { kind: 'error', status: 400, message: 'Request contains an invalid argument.' },
    });
    const failed = await chat(harness.url, harness.headers, 'this one fails', { model: 'gemini-3-flash' });
    assert.equal(failed.status, 400, failed.text);

    const { rows, total } = await eventually(async () => {
      const page = await admin<{ rows: RequestLogRow[]; total: number }>(harness.url, harness.headers, '/api/logs');
      return page.total >= 2 ? page : undefined;
    });
    assert.equal(total, 2);
    const streamRow = rows.find((row) => row.stream)!;
    const failedRow = rows.find((row) => !row.stream)!;

    assert.equal(streamRow.protocol, 'openai');
    assert.equal(streamRow.route, '/v1/chat/completions');
    assert.equal(streamRow.method, 'POST');
    assert.equal(streamRow.clientModel, 'gpt-4o');
    assert.ok(streamRow.mappedModel && streamRow.mappedModel !== 'gpt-4o', `mapped: ${streamRow.mappedModel}`);
    assert.equal(streamRow.accountId, account.id);
    assert.equal(streamRow.status, 200);
    assert.equal(streamRow.attempts, 1);
    assert.equal(typeof streamRow.totalMs, 'number');
    assert.equal(typeof streamRow.upstreamMs, 'number');
    assert.ok(streamRow.upstreamMs! <= streamRow.totalMs + 1, 'upstream time is part of the total');
    // The fake counts ⌈characters/4⌉: both sides of the answer are known and non-zero.
    assert.ok((streamRow.inputTokens ?? 0) > 0, `input tokens: ${streamRow.inputTokens}`);
    assert.ok((streamRow.outputTokens ?? 0) > 0, `output tokens: ${streamRow.outputTokens}`);
    assert.equal(streamRow.errorCode, null);

    assert.equal(failedRow.protocol, 'openai');
    assert.equal(failedRow.route, '/v1/chat/completions');
    assert.equal(failedRow.clientModel, 'gemini-3-flash');
    assert.equal(failedRow.mappedModel, 'gemini-3-flash');
    assert.equal(failedRow.status, 400);
    assert.ok(failedRow.attempts >= 1, `attempts of the failure: ${failedRow.attempts}`);
    assert.equal(failedRow.accountId, account.id, 'the account of the last attempt');
    assert.equal(typeof failedRow.upstreamMs, 'number');
    assert.match(failedRow.errorCode ?? '', /^AGW_[A-Z_]+$/);
    assert.equal(failedRow.inputTokens, null);

    // The same rows straight from the RequestLog, and the error filter.
    const direct = harness.gateway.services.requestLog.query({ limit: 10 });
    assert.deepEqual(direct.map((row) => row.id).sort(), rows.map((row) => row.id).sort());
    const errors = await admin<{ rows: RequestLogRow[]; total: number }>(
      harness.url,
      harness.headers,
      '/api/logs?errors_only=true',
    );
    assert.equal(errors.total, 1);
    assert.equal(errors.rows[0]?.id, failedRow.id);
    const byAccount = await admin<{ total: number }>(
      harness.url,
      harness.headers,
      `/api/logs?account_id=${encodeURIComponent(account.id)}`,
    );
    assert.ok(byAccount.total >= 1);

    const serialized = JSON.stringify(rows);
    assert.ok(!serialized.includes('rows@example.com'), 'no email in the request log');
  } finally {
    await harness.close();
  }
});

interface UsageRow {
  key: string;
  requests: number;
  inputTokens: number;
  outputTokens: number;
  [field: string]: unknown;
}

test('usage statistics group the logged requests by account, model, hour and day', async () => {
  const harness = await startHarness({
    accounts: [{ email: 'first@example.com' }, { email: 'second@example.com' }],
    settings: { 'agw.strategy': 'round-robin' },
  });
  try {
    const models = ['gemini-3-flash', 'gemini-3-flash', 'gemini-2.5-flash', 'gemini-3-flash'];
    for (const [index, model] of models.entries()) {
      const result = await chat(harness.url, harness.headers, `usage ${index}`, { model });
      assert.equal(result.status, 200, result.text);
    }
    await eventually(() => (harness.gateway.services.requestLog.count({}) >= 4 ? true : undefined));
    const usage = async (groupBy: string) =>
      (await admin<{ rows: UsageRow[] }>(harness.url, harness.headers, `/api/stats/usage?group_by=${groupBy}`)).rows;

    const byModel = await usage('model');
    const sum = (rows: UsageRow[], field: 'requests' | 'inputTokens' | 'outputTokens') =>
      rows.reduce((total, row) => total + Number(row[field] ?? 0), 0);
    assert.equal(sum(byModel, 'requests'), 4, JSON.stringify(byModel));
    const flash = byModel.find((row) => JSON.stringify(row).includes('"gemini-3-flash"'));
    assert.equal(flash?.requests, 3, JSON.stringify(byModel));

    const byAccount = await usage('account');
    assert.equal(sum(byAccount, 'requests'), 4);
    const ids = new Set([...harness.accounts.values()].map((account) => account.id));
    for (const row of byAccount) {
      assert.ok(
        [...ids].some((id) => JSON.stringify(row).includes(id)),
        `account row keyed by id: ${JSON.stringify(row)}`,
      );
    }
    assert.ok(!JSON.stringify(byAccount).includes('@example.com'), 'no email in usage by account');

    const byHour = await usage('hour');
    const byDay = await usage('day');
    assert.equal(byHour.length >= 1 && byHour.length <= 2, true, JSON.stringify(byHour));
    assert.equal(sum(byHour, 'requests'), 4);
    assert.equal(sum(byDay, 'requests'), 4);
    assert.equal(sum(byDay, 'inputTokens'), sum(byModel, 'inputTokens'));
    assert.ok(sum(byDay, 'outputTokens') > 0);
  } finally {
    await harness.close();
  }
});
