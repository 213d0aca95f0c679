/**
 * The key comparison and extraction of src/server/client-auth.ts. The configured secret's digest is kept between
 * comparisons; a secret changed in the configuration must take effect at the next comparison all the same.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { extractPresentedKey, secretsEqual } from '../../src/server/client-auth.ts';

test('secretsEqual matches only the secret it is given now, also after the secret changed', () => {
  assert.equal(secretsEqual('sk-old', 'sk-old'), true);
  assert.equal(secretsEqual('sk-new', 'sk-old'), false);
  // The configuration changed: the old key stops working at once, the new one works.
  assert.equal(secretsEqual('sk-old', 'sk-new'), false);
  assert.equal(secretsEqual('sk-new', 'sk-new'), true);
  // More secrets than are kept (API key, admin password, regenerated keys): each still compares right.
  for (let index = 0; index < 20; index += 1) {
    assert.equal(secretsEqual(`sk-${index}`, `sk-${index}`), true);
    assert.equal(secretsEqual(`sk-${index}`, `sk-${index + 1}`), false);
  }
  assert.equal(secretsEqual('sk-new', 'sk-new'), true);
});

test('an empty configured secret matches nothing, not even an empty key', () => {
  assert.equal(secretsEqual('', ''), false);
  assert.equal(secretsEqual('anything', ''), false);
});

test('a prefix or an extension of the secret does not match', () => {
  assert.equal(secretsEqual('sk-secre', 'sk-secret'), false);
  assert.equal(secretsEqual('sk-secret-', 'sk-secret'), false);
});

test('the key is taken from the bearer header first, then x-api-key, x-goog-api-key and ?key=', () => {
  assert.deepEqual(extractPresentedKey({ authorization: 'Bearer  sk-a ' }, {}), {
    value: 'sk-a',
    source: 'authorization',
  });
  assert.deepEqual(extractPresentedKey({ 'x-api-key': 'sk-b', 'x-goog-api-key': 'sk-c' }, { key: 'sk-d' }), {
    value: 'sk-b',
    source: 'x-api-key',
  });
  assert.deepEqual(extractPresentedKey({}, { key: ' sk-d ' }), { value: 'sk-d', source: 'query' });
  assert.equal(extractPresentedKey({ authorization: 'Bearer ' }, { key: '' }), undefined);
});
