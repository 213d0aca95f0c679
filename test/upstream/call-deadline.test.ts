import assert from 'node:assert/strict';
import { getEventListeners } from 'node:events';
import { mock, test } from 'node:test';
import { callDeadline } from '../../src/upstream/call-deadline.ts';

test('call deadline: the time budget aborts the signal and says so', () => {
  mock.timers.enable({ apis: ['setTimeout'] });
  try {
    const deadline = callDeadline(undefined, 1_000);
    mock.timers.tick(999);
    assert.equal(deadline.signal.aborted, false);
    mock.timers.tick(1);
    assert.equal(deadline.signal.aborted, true);
    assert.equal(deadline.timedOut, true);
    assert.equal((deadline.signal.reason as DOMException).name, 'TimeoutError');
  } finally {
    mock.timers.reset();
  }
});

test("call deadline: the caller's cancel aborts it with the caller's reason, and it is not a timeout", () => {
  const caller = new AbortController();
  const deadline = callDeadline(caller.signal, 60_000);
  const reason = new Error('client went away');
  caller.abort(reason);
  assert.equal(deadline.signal.aborted, true);
  assert.equal(deadline.signal.reason, reason);
  assert.equal(deadline.timedOut, false);
  deadline.release();
});

test('call deadline: an already cancelled caller aborts it at once', () => {
  const caller = new AbortController();
  caller.abort(new Error('before the call'));
  const deadline = callDeadline(caller.signal, 60_000);
  assert.equal(deadline.signal.aborted, true);
  assert.equal((deadline.signal.reason as Error).message, 'before the call');
  deadline.release();
});

test('call deadline: release lets go of the caller and the timer', () => {
  mock.timers.enable({ apis: ['setTimeout'] });
  try {
    const caller = new AbortController();
    const deadline = callDeadline(caller.signal, 1_000);
    assert.equal(getEventListeners(caller.signal, 'abort').length, 1);
    deadline.release();
    deadline.release();
    assert.equal(getEventListeners(caller.signal, 'abort').length, 0, 'nothing left on a long-lived caller signal');
    mock.timers.tick(5_000);
    caller.abort(new Error('late'));
    assert.equal(deadline.signal.aborted, false, 'neither the timer nor a late cancel reaches a finished call');
  } finally {
    mock.timers.reset();
  }
});
