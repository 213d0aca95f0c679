import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import {
  createSecretRegistry,
  isSecretKey,
  maskSecret,
  pinoRedactPaths,
  redactionMask,
  redactValue,
  scrubText,
  secretKeys,
  stripQuery,
} from '../../src/telemetry/redaction.ts';

const refreshCanary = '1//canary-refresh-token-7f3a';
const apiKeyCanary = 'sk-canary-api-key-91b2';

describe('secret keys', () => {
  test('every spelling of a listed key is secret, ordinary keys are not', () => {
    for (const key of ['Authorization', 'X-Api-Key', 'x_goog_api_key', 'REFRESH_TOKEN', 'refreshToken', 'Set-Cookie']) {
      assert.equal(isSecretKey(key), true, key);
    }
    for (const key of ['email', 'model', 'accountId', 'status', 'token_type', 'expires_in']) {
      assert.equal(isSecretKey(key), false, key);
    }
  });

  test('the list covers the brief’s keys', () => {
    for (const key of ['authorization', 'x-api-key', 'x-goog-api-key', 'cookie', 'set-cookie', 'access_token']) {
      assert.ok(secretKeys.includes(key), key);
    }
  });

  test('pino paths quote hyphenated keys and add one wildcard level', () => {
    const paths = pinoRedactPaths();
    assert.ok(paths.includes('authorization'));
    assert.ok(paths.includes('*.authorization'));
    assert.ok(paths.includes('["x-api-key"]'));
    assert.ok(paths.includes('*["x-api-key"]'));
    assert.equal(new Set(paths).size, paths.length);
  });
});

describe('redactValue', () => {
  test('masks secret keys at any depth and leaves the input untouched', () => {
    const input = {
      email: 'a@x.com',
      token: { access_token: 'ya29.secretsecret', refresh_token: refreshCanary, expiry_timestamp: 5 },
      list: [{ headers: { 'X-Goog-Api-Key': apiKeyCanary, accept: 'json' } }],
    };
    const output = redactValue(input);
    assert.deepEqual(output, {
      email: 'a@x.com',
      token: { access_token: redactionMask, refresh_token: redactionMask, expiry_timestamp: 5 },
      list: [{ headers: { 'X-Goog-Api-Key': redactionMask, accept: 'json' } }],
    });
    assert.equal(input.token.refresh_token, refreshCanary);
  });

  test('handles cycles, errors and maps without throwing', () => {
    const cyclic: Record<string, unknown> = { name: 'a' };
    cyclic['self'] = cyclic;
    const error = Object.assign(new Error(`failed for ${refreshCanary}`), { code: 'X' });
    const output = redactValue({ cyclic, error, map: new Map([['password', 'hunter2hunter2']]) }) as unknown as Record<
      string,
      Record<string, unknown>
    >;
    assert.equal(output['cyclic']!['self'], '[Circular]');
    assert.equal(output['error']!['type'], 'Error');
    assert.equal(output['error']!['code'], 'X');
    assert.ok(!JSON.stringify(output).includes(refreshCanary));
    assert.equal(output['map']!['password'], redactionMask);
  });
});

describe('maskSecret', () => {
  test('shows first and last four of long values only', () => {
    assert.equal(maskSecret('1//0gAbCdEfGhIjKlMnwxyz'), '1//0…wxyz');
    assert.equal(maskSecret('short-secret'), '***');
    assert.equal(maskSecret(undefined), '***');
  });

  test('never shows more than half of a value (property)', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 80 }), (value) => {
        const masked = maskSecret(value);
        const shown = masked === '***' ? 0 : masked.length - 1;
        return shown * 2 <= value.length;
      }),
    );
  });
});

describe('scrubText', () => {
  test('replaces registered secrets wherever they occur', () => {
    const registry = createSecretRegistry();
    registry.register('opaque-secret-value-123');
    registry.register('opaque-secret-value-123-longer');
    const text = 'a opaque-secret-value-123-longer b opaque-secret-value-123';
    assert.equal(scrubText(text, registry), `a ${redactionMask} b ${redactionMask}`);
  });

  test('a plain list works as well as a registry', () => {
    assert.equal(scrubText('x=my-listed-secret!', ['my-listed-secret']), `x=${redactionMask}!`);
  });

  test('catches token shapes nobody registered', () => {
    const text = `refresh ${refreshCanary} key ${apiKeyCanary} bearer Bearer abcdefghijkl url /v1beta/models?key=AIzaSecret&alt=sse access ya29.a0AfB_byC`;
    const scrubbed = scrubText(text, []);
    assert.ok(!scrubbed.includes(refreshCanary));
    assert.ok(!scrubbed.includes(apiKeyCanary));
    assert.ok(!scrubbed.includes('abcdefghijkl'));
    assert.ok(!scrubbed.includes('AIzaSecret'));
    assert.ok(!scrubbed.includes('ya29.a0AfB_byC'));
    assert.ok(scrubbed.includes('&alt=sse'));
  });

  test('catches ID tokens (JWTs) and OAuth client secrets, which the pool used to scrub with its own copy', () => {
    const idToken = 'eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiIxMjMifQ.c2lnbmF0dXJlLXBhcnQ';
    const clientSecret = 'GOCSPX-abcdefghijklmnop';
    const scrubbed = scrubText(`refresh failed: id_token ${idToken} client ${clientSecret}`, []);
    assert.equal(scrubbed, `refresh failed: id_token ${redactionMask} client ${redactionMask}`);
  });

  test('ordinary text is left as it is', () => {
    const text = 'Token 刷新失败 (a@x.com): invalid_grant，尝试下一个账号 http://127.0.0.1:8045/v1/chat';
    assert.equal(scrubText(text, ['unrelated-secret']), text);
  });

  test('the registry is bounded and forgets the oldest', () => {
    const registry = createSecretRegistry(3);
    for (const value of ['secret-aaaaaaaa', 'secret-bbbbbbbb', 'secret-cccccccc', 'secret-dddddddd']) {
      registry.register(value);
    }
    registry.register('short');
    assert.equal(registry.size, 3);
    assert.equal(registry.has('secret-aaaaaaaa'), false);
    assert.equal(registry.has('secret-dddddddd'), true);
    registry.forget('secret-dddddddd');
    assert.equal(scrubText('secret-dddddddd', registry), 'secret-dddddddd');
  });

  test('no registered secret survives scrubbing (property)', () => {
    fc.assert(
      fc.property(
        fc.array(fc.string({ minLength: 8, maxLength: 20 }), { minLength: 1, maxLength: 5 }),
        fc.array(fc.string({ maxLength: 10 }), { maxLength: 6 }),
        (secrets, fillers) => {
          const registry = createSecretRegistry();
          for (const secret of secrets) registry.register(secret);
          const text = fillers.map((filler, index) => filler + secrets[index % secrets.length]).join('');
          const scrubbed = scrubText(text + secrets[0], registry);
          return secrets.every((secret) => !scrubbed.includes(secret) || redactionMask.includes(secret));
        },
      ),
    );
  });

  test('stripQuery drops query and fragment', () => {
    assert.equal(stripQuery('/v1beta/models/x:generateContent?key=abc'), '/v1beta/models/x:generateContent');
    assert.equal(stripQuery('/v1/messages'), '/v1/messages');
  });
});
