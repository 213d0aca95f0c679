/**
 * Run by young-garbage.test.ts as `node --expose-gc retention-probe.ts <case>`: makes 2,000 finished calls, each
 * with a caller signal that reaches a 1.6 KB "request", drops them all, runs three young-generation GCs and prints
 * how many bytes the old generation gained. Finished calls that nothing references should gain it ~nothing; a call
 * that V8 keeps until a full GC shows up as ~3 MB.
 */
import { getHeapSpaceStatistics } from 'node:v8';
import type { Dispatcher } from 'undici';
import { callDeadline } from '../../src/upstream/call-deadline.ts';
import { dispatchCall } from '../../src/upstream/dispatch-call.ts';

const gc = (globalThis as { gc?: (options: { type: 'minor' | 'major' }) => void }).gc;
if (gc === undefined) throw new Error('run with --expose-gc');

/** A caller signal that reaches a request-sized payload, as the client-abort signal reaches the whole request. */
function callerSignal(index: number): AbortSignal {
  const payload = new Array<number>(200).fill(index);
  const signal = new AbortController().signal;
  signal.addEventListener('abort', () => payload.length, { once: true });
  return signal;
}

/** A dispatcher that answers every call at once with 200 and one chunk, as undici would. */
const instantDispatcher = {
  dispatch(_options: Dispatcher.DispatchOptions, handler: Dispatcher.DispatchHandler): boolean {
    const controller: Dispatcher.DispatchController = {
      aborted: false,
      paused: false,
      reason: null,
      abort: () => undefined,
      pause: () => undefined,
      resume: () => undefined,
    };
    handler.onRequestStart?.(controller, {});
    handler.onResponseStart?.(controller, 200, {}, 'OK');
    handler.onResponseData?.(controller, Buffer.from('data: {}\n\n'));
    handler.onResponseEnd?.(controller, {});
    return true;
  },
} as unknown as Dispatcher;

/** An object listener (`handleEvent`), the pattern the gateway no longer uses: the control case. */
class ObjectListener {
  readonly #signal: AbortSignal;
  constructor(signal: AbortSignal) {
    this.#signal = signal;
  }
  handleEvent(): void {
    this.#signal.reason;
  }
}

const cases: Record<string, (index: number) => Promise<void>> = {
  async deadline(index) {
    const deadline = callDeadline(callerSignal(index), 60_000);
    deadline.release();
  },
  async dispatch(index) {
    const answer = await dispatchCall(instantDispatcher, {
      origin: 'http://127.0.0.1:1',
      path: '/v1internal:streamGenerateContent?alt=sse',
      headers: {},
      body: '{}',
      signal: callerSignal(index),
      headersTimeout: 1_000,
      bodyTimeout: 1_000,
    });
    for await (const _chunk of answer.body);
  },
  async 'object-listener'(index) {
    const signal = callerSignal(index);
    const listener = new ObjectListener(signal);
    signal.addEventListener('abort', listener, { once: true });
    signal.removeEventListener('abort', listener);
  },
};

const oldSpaceBytes = (): number =>
  getHeapSpaceStatistics().find((space) => space.space_name === 'old_space')?.space_used_size ?? 0;

const run = cases[process.argv[2] ?? ''];
if (run === undefined) throw new Error(`unknown case; one of ${Object.keys(cases).join(', ')}`);
// Warm up (compiled code, lazily created internals), then start from a clean heap.
for (let index = 0; index < 200; index += 1) await run(index);
gc({ type: 'major' });
const before = oldSpaceBytes();
for (let index = 0; index < 2_000; index += 1) await run(index);
gc({ type: 'minor' });
gc({ type: 'minor' });
gc({ type: 'minor' });
process.stdout.write(`${JSON.stringify({ gainedBytes: oldSpaceBytes() - before })}\n`);
