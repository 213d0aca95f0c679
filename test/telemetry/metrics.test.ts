import assert from 'node:assert/strict';
import perfHooks from 'node:perf_hooks';
import { describe, test } from 'node:test';
import { createMetrics, eventLoopSampleMs } from '../../src/telemetry/metrics.ts';

function sample(body: string, series: string): number | undefined {
  const line = body.split('\n').find((candidate) => candidate.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
}

describe('metrics', () => {
  test('a scripted sequence renders the expected series and values', async () => {
    const metrics = createMetrics({ defaultMetrics: false });
    metrics.recordRequest({
      route: '/v1/chat/completions',
      protocol: 'openai',
      status: 200,
      totalMs: 1200,
      upstreamMs: 1197,
      attempts: 1,
      model: 'gemini-2.5-pro',
    });
    metrics.recordRequest({
      route: '/v1/chat/completions',
      protocol: 'openai',
      status: 200,
      totalMs: 800,
      upstreamMs: 790,
      attempts: 2,
      model: 'gemini-2.5-pro',
    });
    metrics.recordRequest({ route: '/v1/messages', protocol: 'anthropic', status: 429, totalMs: 2, attempts: 0 });
    metrics.recordUpstream429('quota');
    metrics.recordUpstream429('quota');
    metrics.recordUpstream429('capacity');
    metrics.setAccountStates({ active: 3, disabled: 1, cooling_down: 2 });
    metrics.setCooldowns([{ accountId: 'acc-1', model: 'gemini-2.5-pro', remainingSeconds: 42 }]);
    metrics.recordRefresh('success');
    metrics.recordRefresh('success');
    metrics.recordRefresh('invalid_grant');
    metrics.recordHeartbeat();

    const { contentType, body } = await metrics.render();
    assert.match(contentType, /^text\/plain/);
    const expected: [string, number][] = [
      ['agw_requests_total{route="/v1/chat/completions",protocol="openai",status="200"}', 2],
      ['agw_requests_total{route="/v1/messages",protocol="anthropic",status="429"}', 1],
      ['agw_request_duration_seconds_count{route="/v1/chat/completions",protocol="openai"}', 2],
      ['agw_request_duration_seconds_sum{route="/v1/chat/completions",protocol="openai"}', 2],
      ['agw_request_duration_seconds_bucket{le="1",route="/v1/chat/completions",protocol="openai"}', 1],
      ['agw_request_duration_seconds_bucket{le="0.0025",route="/v1/messages",protocol="anthropic"}', 1],
      ['agw_gateway_overhead_seconds_count', 2],
      ['agw_gateway_overhead_seconds_bucket{le="0.0025"}', 0],
      ['agw_gateway_overhead_seconds_bucket{le="0.005"}', 1],
      ['agw_gateway_overhead_seconds_bucket{le="0.01"}', 2],
      ['agw_upstream_duration_seconds_count{model="gemini-2.5-pro"}', 2],
      ['agw_attempts_per_request_bucket{le="1"}', 2],
      ['agw_attempts_per_request_bucket{le="2"}', 3],
      ['agw_upstream_429_total{reason="quota"}', 2],
      ['agw_upstream_429_total{reason="capacity"}', 1],
      ['agw_accounts{state="active"}', 3],
      ['agw_accounts{state="disabled"}', 1],
      ['agw_accounts{state="cooling_down"}', 2],
      ['agw_account_cooldown_seconds{account_id="acc-1",model="gemini-2.5-pro"}', 42],
      ['agw_token_refreshes_total{outcome="success"}', 2],
      ['agw_token_refreshes_total{outcome="invalid_grant"}', 1],
      ['agw_sse_heartbeats_total', 1],
    ];
    for (const [series, value] of expected) assert.equal(sample(body, series), value, series);
    assert.ok(!body.includes('process_cpu'), 'default metrics were turned off');
  });

  test('cooldown and account-state series are replaced, not accumulated', async () => {
    const metrics = createMetrics({ defaultMetrics: false });
    metrics.setCooldowns([
      { accountId: 'acc-1', model: 'm-a', remainingSeconds: 30 },
      { accountId: 'acc-2', model: 'm-a', remainingSeconds: 10 },
    ]);
    metrics.setAccountStates({ active: 2, cooling_down: 2 });
    metrics.setCooldowns([
      { accountId: 'acc-2', model: 'm-a', remainingSeconds: 5 },
      { accountId: 'acc-3', model: 'm-b', remainingSeconds: 0 },
    ]);
    metrics.setAccountStates({ active: 4 });
    const { body } = await metrics.render();
    const cooldownLines = body.split('\n').filter((line) => line.startsWith('agw_account_cooldown_seconds{'));
    assert.deepEqual(cooldownLines, ['agw_account_cooldown_seconds{account_id="acc-2",model="m-a"} 5']);
    const stateLines = body.split('\n').filter((line) => line.startsWith('agw_accounts{'));
    assert.deepEqual(stateLines, ['agw_accounts{state="active"} 4']);
  });

  test('account labels refuse emails', () => {
    const metrics = createMetrics({ defaultMetrics: false });
    assert.throws(
      () => metrics.setCooldowns([{ accountId: 'someone@example.com', model: 'm', remainingSeconds: 3 }]),
      /account ids, not emails/,
    );
  });

  test('free-text labels are capped so a client cannot explode cardinality', async () => {
    const metrics = createMetrics({ defaultMetrics: false });
    for (let index = 0; index < 250; index += 1) {
      metrics.recordRequest({
        route: '/v1/chat/completions',
        protocol: 'openai',
        status: 200,
        totalMs: 5,
        upstreamMs: 4,
        attempts: 1,
        model: `model-${index}`,
      });
    }
    const { body } = await metrics.render();
    const models = new Set(
      body
        .split('\n')
        .filter((line) => line.startsWith('agw_upstream_duration_seconds_count{'))
        .map((line) => /model="([^"]*)"/.exec(line)?.[1]),
    );
    assert.equal(models.size, 201);
    assert.equal(sample(body, 'agw_upstream_duration_seconds_count{model="other"}'), 50);
  });

  test('process metrics are on by default, on a registry of its own', async () => {
    const first = createMetrics();
    const second = createMetrics();
    first.recordHeartbeat();
    const [one, two] = await Promise.all([first.render(), second.render()]);
    assert.ok(one.body.includes('process_cpu_user_seconds_total'));
    assert.equal(sample(one.body, 'agw_sse_heartbeats_total'), 1);
    assert.equal(sample(two.body, 'agw_sse_heartbeats_total'), 0);
  });

  test('the event-loop lag timer samples every 100 ms, not every 10 ms (an idle gateway sleeps)', (context) => {
    const monitor = context.mock.method(perfHooks, 'monitorEventLoopDelay');
    createMetrics();
    createMetrics({ defaultMetrics: false });
    assert.equal(monitor.mock.callCount(), 1);
    assert.deepEqual(monitor.mock.calls[0]?.arguments, [{ resolution: eventLoopSampleMs }]);
    assert.equal(eventLoopSampleMs, 100);
  });
});

test('with a name, every series carries instance_id, and the shared store gauges report Redis', async () => {
  const metrics = createMetrics({ defaultMetrics: false, instanceId: 'gw2' });
  metrics.recordRefresh('success');
  metrics.setSharedStore({ connected: false, pendingWrites: 3, reconnects: 1 });
  const { body } = await metrics.render();
  assert.match(body, /agw_token_refreshes_total\{outcome="success",instance_id="gw2"\} 1/);
  assert.match(body, /agw_shared_store_up\{instance_id="gw2"\} 0/);
  assert.match(body, /agw_shared_store_pending_writes\{instance_id="gw2"\} 3/);
  const alone = await createMetrics({ defaultMetrics: false }).render();
  assert.doesNotMatch(alone.body, /instance_id/);
});
