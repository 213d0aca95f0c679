import assert from 'node:assert/strict';
import { getEventListeners } from 'node:events';
import { test } from 'node:test';
import type { Dispatcher } from 'undici';
import { AnswerBody, dispatchCall } from '../../src/upstream/dispatch-call.ts';

/** A controller that records what the body asked of the connection. */
function recordingController(): Dispatcher.DispatchController & { pauses: number; resumes: number; aborts: Error[] } {
  let paused = false;
  const controller = {
    pauses: 0,
    resumes: 0,
    aborts: [] as Error[],
    get aborted() {
      return controller.aborts.length > 0;
    },
    get paused() {
      return paused;
    },
    get reason() {
      return controller.aborts[0] ?? null;
    },
    abort(reason: Error) {
      controller.aborts.push(reason);
    },
    pause() {
      paused = true;
      controller.pauses += 1;
    },
    resume() {
      paused = false;
      controller.resumes += 1;
    },
  };
  return controller;
}

const kibibytes = (count: number): Uint8Array => new Uint8Array(count * 1024);

test('answer body: a reader that falls behind pauses the connection at 64 KiB and resumes it when caught up', async () => {
  const controller = recordingController();
  const body = new AnswerBody();
  body.attach(controller);
  let closed = false;
  body.onClose(() => {
    closed = true;
  });
  body.push(kibibytes(32));
  assert.equal(controller.pauses, 0);
  body.push(kibibytes(32));
  assert.equal(controller.pauses, 1, 'paused once 64 KiB wait unread');
  body.end();
  assert.equal(closed, false, 'still open while chunks wait to be read');
  const sizes: number[] = [];
  for await (const chunk of body) sizes.push(chunk.length);
  assert.deepEqual(sizes, [32 * 1024, 32 * 1024]);
  assert.equal(controller.resumes, 1);
  assert.equal(body.readableEnded, true);
  assert.equal(closed, true);
});

test('answer body: leaving the loop early aborts the call and closes the body once', async () => {
  const controller = recordingController();
  const body = new AnswerBody();
  body.attach(controller);
  let closes = 0;
  body.onClose(() => {
    closes += 1;
  });
  body.push(kibibytes(1));
  body.push(kibibytes(1));
  for await (const chunk of body) {
    assert.equal(chunk.length, 1024);
    break;
  }
  assert.equal(controller.aborts.length, 1);
  assert.equal(body.readableEnded, false);
  body.destroy();
  assert.equal(closes, 1);
  assert.equal(controller.aborts.length, 1, 'destroying a closed body does not abort again');
});

test('answer body: a failure reaches a waiting reader, and a finished body closes without an abort', async () => {
  const failing = new AnswerBody();
  failing.attach(recordingController());
  const reading = failing.next();
  failing.fail(new Error('socket reset'));
  await assert.rejects(reading, /socket reset/);

  const controller = recordingController();
  const finished = new AnswerBody();
  finished.attach(controller);
  let closed = false;
  finished.onClose(() => {
    closed = true;
  });
  finished.end();
  assert.deepEqual(await finished.next(), { value: undefined, done: true });
  assert.equal(closed, true);
  finished.destroy();
  assert.equal(controller.aborts.length, 0);
});

/** Starts a call on a dispatcher that only captures the handler, so the test plays undici's part. */
function startCall(signal: AbortSignal): {
  answer: ReturnType<typeof dispatchCall>;
  handler: () => Dispatcher.DispatchHandler;
} {
  let captured: Dispatcher.DispatchHandler | undefined;
  const dispatcher = {
    dispatch(_options: Dispatcher.DispatchOptions, given: Dispatcher.DispatchHandler) {
      captured = given;
      return true;
    },
  } as unknown as Dispatcher;
  const answer = dispatchCall(dispatcher, {
    origin: 'http://127.0.0.1:1',
    path: '/v1internal:generateContent',
    headers: {},
    body: '{}',
    signal,
    headersTimeout: 1_000,
    bodyTimeout: 1_000,
  });
  return {
    answer,
    handler: () => {
      assert.ok(captured, 'the call was dispatched');
      return captured;
    },
  };
}

test('dispatch call: the signal listener is removed when the answer ends', async () => {
  const signal = new AbortController().signal;
  const call = startCall(signal);
  const answer = call.answer;
  const handler = call.handler();
  assert.equal(getEventListeners(signal, 'abort').length, 1);
  const controller = recordingController();
  handler.onRequestStart?.(controller, {});
  handler.onResponseStart?.(controller, 200, { 'content-type': 'text/event-stream' }, 'OK');
  const { statusCode, body } = await answer;
  assert.equal(statusCode, 200);
  handler.onResponseData?.(controller, Buffer.from('data: 1\n\n'));
  handler.onResponseEnd?.(controller, {});
  const text: string[] = [];
  for await (const chunk of body) text.push(Buffer.from(chunk).toString());
  assert.deepEqual(text, ['data: 1\n\n']);
  assert.equal(getEventListeners(signal, 'abort').length, 0);
});

test('dispatch call: aborting before the headers rejects with the reason and aborts the request', async () => {
  const caller = new AbortController();
  const call = startCall(caller.signal);
  const answer = call.answer;
  const handler = call.handler();
  const controller = recordingController();
  handler.onRequestStart?.(controller, {});
  const reason = new Error('client left');
  caller.abort(reason);
  await assert.rejects(answer, (error) => error === reason);
  assert.deepEqual(controller.aborts, [reason]);
  assert.equal(getEventListeners(caller.signal, 'abort').length, 0);
});
