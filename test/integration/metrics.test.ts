/**
 * Issue 10: the Prometheus metrics after a scripted run against the real gateway and the fake Google.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { eventually, startHarness } from '../harness/gateway-harness.ts';
import { admin, chat, metricLines, metricValue } from './helpers.ts';

async function scrape(url: string, headers: Record<string, string> = {}): Promise<{ status: number; body: string }> {
  const response = await fetch(`${url}/metrics`, { headers });
  return { status: response.status, body: await response.text() };
}

test('metrics after a scripted run: requests, latencies, attempts, 429s by reason, account states, cooldowns, refreshes, heartbeats', async () => {
  const harness = await startHarness({
    accounts: [
      { email: 'quota@example.com' },
      { email: 'rate@example.com' },
      { email: 'fresh@example.com', expired: true },
      { email: 'revoked@example.com', expired: true, refreshToken: '1//metrics-revoked-token' },
    ],
    settings: { 'agw.strategy': 'round-robin', 'agw.heartbeat_interval_seconds': 0.05 },
  });
  try {
    const control = harness.fake.control;
    control.revokeRefreshToken('1//metrics-revoked-token');
    control.script({
      match: { endpoint: 'streamGenerateContent', email: 'quota@example.com' },
      times: 'always',
      action: { kind: 'error', status: 429, reason: 'QUOTA_EXHAUSTED', quotaResetDelay: '1h', retryDelay: '3600s' },
    });
    control.script({
      match: { endpoint: 'streamGenerateContent', email: 'rate@example.com' },
      times: 1,
      action: { kind: 'error', status: 429, reason: 'RATE_LIMIT_EXCEEDED', retryDelay: '1s' },
    });

    // Until every scripted account was tried: the revoked one disabled, both 429s seen.
    let sent = 0;
    await eventually(
      async () => {
        sent += 1;
        const result = await chat(harness.url, harness.headers, `run ${sent}`);
        assert.equal(result.status, 200, result.text);
        const revoked = await harness.store.get('revoked@example.com');
        const tried429 = control.calls({ endpoint: 'streamGenerateContent' }).filter((call) => call.outcome === 429);
        const emails = new Set(tried429.map((call) => call.email));
        return revoked.disabled && emails.has('quota@example.com') && emails.has('rate@example.com') ? true : undefined;
      },
      8000,
      'every scripted account tried',
    );

    // A streamed answer whose chunks come slowly: the gateway keeps the client alive with heartbeats.
    control.script({ match: { endpoint: 'streamGenerateContent' }, action: { kind: 'slow-chunks', delayMs: 250 } });
    control.script({ match: { endpoint: 'streamGenerateContent' }, action: { kind: 'stream-chunks', count: 3 } });
    const streamed = await chat(harness.url, harness.headers, 'a slow answer with several chunks', { stream: true });
    assert.equal(streamed.status, 200);
    assert.match(streamed.text, /: ping/);

    // One client error.
    const bad = await fetch(`${harness.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { ...harness.headers, 'content-type': 'application/json' },
      body: '{not json',
    });
    assert.equal(bad.status, 400);

    // Protected like the API.
    assert.equal((await scrape(harness.url)).status, 401);
    assert.equal((await scrape(harness.url, { authorization: 'Bearer sk-wrong-key-123456' })).status, 401);
    const { status, body } = await scrape(harness.url, harness.headers);
    assert.equal(status, 200);

    const route = '/v1/chat/completions';
    const generated = sent + 1;
    assert.equal(metricValue(body, 'agw_requests_total', { route, protocol: 'openai', status: '200' }), generated);
    assert.equal(metricValue(body, 'agw_request_duration_seconds_count', { route, protocol: 'openai' }), generated);
    assert.equal(metricValue(body, 'agw_gateway_overhead_seconds_count'), generated);
    assert.equal(metricValue(body, 'agw_upstream_duration_seconds_count', { model: 'gemini-3-flash' }), generated);
    assert.equal(metricValue(body, 'agw_attempts_per_request_count'), generated);
    // Each 429 and the invalid_grant cost an extra attempt; the rate-limit retry may land on the same account.
    assert.ok(metricValue(body, 'agw_attempts_per_request_sum') >= generated + 2, body);
    assert.ok(metricValue(body, 'agw_upstream_429_total', { reason: 'QUOTA_EXHAUSTED' }) >= 1);
    assert.equal(
      metricValue(body, 'agw_upstream_429_total', { reason: 'RATE_LIMIT_EXCEEDED' }),
      1,
      metricLines(body, 'agw_upstream_429_total').join(' / '),
    );

    assert.equal(
      metricValue(body, 'agw_accounts', { state: 'disabled' }),
      1,
      metricLines(body, 'agw_accounts').join('\n'),
    );
    assert.equal(metricValue(body, 'agw_accounts'), 4);

    const quotaId = harness.accounts.get('quota@example.com')!.id;
    const cooldown = metricValue(body, 'agw_account_cooldown_seconds', {
      account_id: quotaId,
      model: 'gemini-3-flash',
    });
    assert.ok(cooldown > 3000 && cooldown <= 3600, `cooldown seconds remaining: ${cooldown}`);
    for (const line of metricLines(body, 'agw_account_cooldown_seconds'))
      assert.match(line, /account_id="[^"@]+"/, 'account labels are ids');

    assert.ok(metricValue(body, 'agw_token_refreshes_total', { outcome: 'success' }) >= 1);
    assert.equal(metricValue(body, 'agw_token_refreshes_total', { outcome: 'invalid_grant' }), 1);
    assert.ok(metricValue(body, 'agw_sse_heartbeats_total') >= 1, 'heartbeats counted');
    assert.ok(!body.includes('@'), 'no email anywhere in /metrics');

    // agw.metrics_open opens /metrics (and only /metrics) without the key, live.
    const patched = await fetch(`${harness.url}/api/config`, {
      method: 'PATCH',
      headers: { ...harness.headers, 'content-type': 'application/json' },
      body: JSON.stringify({ changes: { 'agw.metrics_open': true } }),
    });
    assert.equal(patched.status, 200);
    await eventually(async () => ((await scrape(harness.url)).status === 200 ? true : undefined));
    const openChat = await chat(harness.url, {}, 'still protected');
    assert.equal(openChat.status, 401);
    await admin(harness.url, harness.headers, '/api/status');
  } finally {
    await harness.close();
  }
});
