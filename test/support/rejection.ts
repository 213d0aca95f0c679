/** The reason a promise rejected with; fails the test when it resolves instead. */
import assert from 'node:assert/strict';
import { GatewayError } from '../../src/errors/catalogue.ts';

/** Whatever the promise rejected with (an abort reason, a GatewayError, …). */
export async function anyRejection(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  assert.fail('expected a rejection');
}

/** The GatewayError the promise rejected with; fails the test on any other rejection. */
export async function rejection(promise: Promise<unknown>): Promise<GatewayError> {
  const error = await anyRejection(promise);
  assert.ok(GatewayError.is(error), `expected a GatewayError, got ${String(error)}`);
  return error;
}
