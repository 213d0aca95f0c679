import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { createEventBus } from '../../src/telemetry/event-bus.ts';

describe('event bus', () => {
  test('delivers in order, isolates a throwing listener, and unsubscribes', () => {
    const errors: unknown[] = [];
    const bus = createEventBus<{ id: number }>({ onListenerError: (error) => errors.push(error) });
    const seen: string[] = [];
    const stopFirst = bus.subscribe((event) => seen.push(`first ${event.id}`));
    bus.subscribe(() => {
      throw new Error('broken listener');
    });
    bus.subscribe((event) => seen.push(`third ${event.id}`));
    assert.equal(bus.publish({ id: 1 }), 2);
    stopFirst();
    assert.equal(bus.publish({ id: 2 }), 1);
    assert.deepEqual(seen, ['first 1', 'third 1', 'third 2']);
    assert.equal(errors.length, 2);
    assert.equal(bus.listenerCount, 2);
  });

  test('refuses listeners beyond the bound', () => {
    const bus = createEventBus<number>({ maxListeners: 2 });
    const stop = bus.subscribe(() => undefined);
    bus.subscribe(() => undefined);
    assert.throws(() => bus.subscribe(() => undefined), RangeError);
    stop();
    bus.subscribe(() => undefined);
    assert.equal(bus.listenerCount, 2);
  });
});
