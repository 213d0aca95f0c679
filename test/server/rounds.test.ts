import assert from 'node:assert/strict';
import { mock, test } from 'node:test';
import { roundTimer, serialRounds } from '../../src/server/rounds.ts';

function deferred(): { promise: Promise<void>; resolve: () => void } {
  let resolve!: () => void;
  const promise = new Promise<void>((done) => {
    resolve = done;
  });
  return { promise, resolve };
}

test('serial rounds: a second round starts only when the first has ended, and a failure does not stop the next', async () => {
  const events: string[] = [];
  const gates = [deferred(), deferred(), deferred()];
  let calls = 0;
  const rounds = serialRounds(async (name: string) => {
    const gate = gates[calls++]!;
    events.push(`start ${name}`);
    await gate.promise;
    events.push(`end ${name}`);
    if (name === 'b') throw new Error('round b failed');
    return name.toUpperCase();
  });
  const first = rounds.run('a');
  const second = rounds.run('b');
  const third = rounds.run('c');
  await new Promise((resolve) => setImmediate(resolve));
  assert.deepEqual(events, ['start a'], 'b waits for a');
  gates[0]!.resolve();
  assert.equal(await first, 'A');
  await new Promise((resolve) => setImmediate(resolve));
  assert.deepEqual(events, ['start a', 'end a', 'start b']);
  gates[1]!.resolve();
  await assert.rejects(second, /round b failed/);
  gates[2]!.resolve();
  assert.equal(await third, 'C');
  await rounds.idle();
  assert.deepEqual(events, ['start a', 'end a', 'start b', 'end b', 'start c', 'end c']);
});

test('round timer: the next round is armed only after the previous one ended; stop disarms it', async () => {
  mock.timers.enable({ apis: ['setTimeout'] });
  try {
    const gate = deferred();
    let ticks = 0;
    const errors: unknown[] = [];
    const timer = roundTimer({
      firstDelayMs: () => 100,
      nextDelayMs: () => 1_000,
      tick: async () => {
        ticks += 1;
        if (ticks === 1) await gate.promise;
        if (ticks === 2) throw new Error('tick 2 failed');
      },
      onError: (error) => errors.push(error),
    });
    timer.start();
    timer.start(); // a second start does not arm a second timer
    mock.timers.tick(99);
    assert.equal(ticks, 0);
    mock.timers.tick(1);
    assert.equal(ticks, 1);
    mock.timers.tick(5_000);
    assert.equal(ticks, 1, 'no round while the first is still running');
    gate.resolve();
    await new Promise((resolve) => setImmediate(resolve));
    mock.timers.tick(999);
    assert.equal(ticks, 1);
    mock.timers.tick(1);
    assert.equal(ticks, 2);
    await new Promise((resolve) => setImmediate(resolve));
    assert.equal(errors.length, 1, 'a failing round is reported');
    mock.timers.tick(1_000);
    assert.equal(ticks, 3, 'and the timer goes on after it');
    await new Promise((resolve) => setImmediate(resolve));
    timer.stop();
    mock.timers.tick(10_000);
    assert.equal(ticks, 3, 'stopped: no more rounds');
  } finally {
    mock.timers.reset();
  }
});
