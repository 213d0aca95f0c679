/**
 * Issue 20 finding 5: a stream the client drops is still in the request log, in every dialect, with status 499,
 * error code AGW_CLIENT_CLOSED, its attempts and account, and the usage Google had reported up to then (tokens
 * used upstream are never lost). The upstream request is cancelled.
 */
import assert from 'node:assert/strict';
import { request as httpRequest } from 'node:http';
import { test } from 'node:test';
import type { RequestLogRow } from '../../src/telemetry/request-log.ts';
import { eventually, type Harness, startHarness } from '../harness/gateway-harness.ts';
import { clientCall, protocols } from '../reliability/helpers.ts';

/** Sends a streamed request and goes away as soon as the first bytes of the answer arrive. */
function dropAfterFirstBytes(harness: Harness, call: { path: string; body: unknown }): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    const request = httpRequest(`${harness.url}${call.path}`, {
      method: 'POST',
      headers: { ...harness.headers, 'content-type': 'application/json' },
    });
    request.on('response', (response) => {
      assert.equal(response.statusCode, 200);
      response.once('data', () => {
        request.destroy();
        resolve();
      });
    });
    request.on('error', () => undefined);
    setTimeout(() => reject(new Error('no stream data')), 5000).unref();
    request.end(JSON.stringify(call.body));
  });
}

for (const protocol of protocols) {
  test(`${protocol}: a dropped stream is logged with status 499 and the usage seen so far`, async () => {
    const harness = await startHarness({ accounts: [{ email: 'dropped@example.com' }] });
    try {
      const account = harness.accounts.get('dropped@example.com')!;
      const endpoint = 'streamGenerateContent' as const;
      harness.fake.control.script({ match: { endpoint }, action: { kind: 'stream-chunks', count: 30 } });
      harness.fake.control.script({ match: { endpoint }, action: { kind: 'slow-chunks', delayMs: 100 } });
      harness.fake.control.script({ match: { endpoint }, action: { kind: 'running-usage' } });
      const closedBefore = harness.fake.control.streamsClosedByClient();

      await dropAfterFirstBytes(harness, clientCall(protocol, 'a long answer I will not wait for', true));
      await harness.fake.control.waitForStreamsClosedByClient(closedBefore + 1, 5000);

      const row = await eventually(
        () => harness.gateway.services.requestLog.query({ limit: 10 }).find((item: RequestLogRow) => item.stream),
        5000,
        'the request-log row of the dropped stream',
      );
      assert.equal(row.protocol, protocol);
      assert.equal(row.status, 499);
      assert.equal(row.errorCode, 'AGW_CLIENT_CLOSED');
      assert.equal(row.attempts, 1);
      assert.equal(row.accountId, account.id);
      assert.equal(typeof row.upstreamMs, 'number');
      assert.ok((row.inputTokens ?? 0) > 0, `input tokens seen: ${row.inputTokens}`);
      assert.ok((row.outputTokens ?? 0) > 0, `output tokens seen so far: ${row.outputTokens}`);
      assert.equal(harness.gateway.services.requestLog.count({}), 1, 'one row, written once');
    } finally {
      await harness.close();
    }
  });
}
