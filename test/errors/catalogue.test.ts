import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { errorCatalogue, GatewayError, toGatewayError } from '../../src/errors/catalogue.ts';

test('every error code is documented in docs/errors.md exactly once as a heading', () => {
  const document = readFileSync(new URL('../../docs/errors.md', import.meta.url), 'utf8');
  for (const code of Object.keys(errorCatalogue)) {
    const headings = document.split('\n').filter((line) => line.startsWith('### ') && line.includes(`\`${code}\``));
    assert.equal(headings.length, 1, `${code} must have exactly one "### \`${code}\`" heading in docs/errors.md`);
  }
});

test('docs/errors.md lists no code the catalogue lacks', () => {
  const document = readFileSync(new URL('../../docs/errors.md', import.meta.url), 'utf8');
  const documented = [...document.matchAll(/^### `(AGW_[A-Z_]+)`/gm)].map((match) => match[1]);
  for (const code of documented)
    assert.ok(code && code in errorCatalogue, `${code} is documented but not in the catalogue`);
});

test('GatewayError carries the catalogue status and retryable flag', () => {
  const error = new GatewayError('AGW_ALL_ACCOUNTS_LIMITED', 'all limited', { retryAfterSeconds: 42 });
  assert.equal(error.status, 429);
  assert.equal(error.retryable, true);
  assert.equal(error.retryAfterSeconds, 42);
  assert.ok(GatewayError.is(error));
  assert.equal(GatewayError.is(new Error('x')), false);
  assert.equal(toGatewayError(new Error('boom')).code, 'AGW_INTERNAL');
  assert.equal(toGatewayError(error), error);
});
