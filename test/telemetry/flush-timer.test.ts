import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { FlushTimer } from '../../src/telemetry/flush-timer.ts';

describe('flush timer', () => {
  test('runs once, intervalMs after the first arm, and not before anything is queued', (context) => {
    context.mock.timers.enable({ apis: ['setTimeout'] });
    let flushes = 0;
    const timer = new FlushTimer(250, () => (flushes += 1));
    context.mock.timers.tick(10_000);
    assert.equal(flushes, 0, 'an idle queue never wakes anyone');
    assert.equal(timer.armed, false);

    timer.arm();
    context.mock.timers.tick(100);
    timer.arm();
    context.mock.timers.tick(149);
    assert.equal(flushes, 0);
    context.mock.timers.tick(1);
    assert.equal(flushes, 1, 'the second arm did not restart or add a countdown');
    assert.equal(timer.armed, false);

    context.mock.timers.tick(10_000);
    assert.equal(flushes, 1);
    timer.arm();
    context.mock.timers.tick(250);
    assert.equal(flushes, 2);
  });

  test('cancel stops a countdown; a zero interval never starts one', (context) => {
    context.mock.timers.enable({ apis: ['setTimeout'] });
    let flushes = 0;
    const timer = new FlushTimer(250, () => (flushes += 1));
    timer.arm();
    timer.cancel();
    context.mock.timers.tick(1_000);
    assert.equal(flushes, 0);

    const manual = new FlushTimer(0, () => (flushes += 1));
    manual.arm();
    assert.equal(manual.armed, false);
    context.mock.timers.tick(1_000);
    assert.equal(flushes, 0);
  });
});
