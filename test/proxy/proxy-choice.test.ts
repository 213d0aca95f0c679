/**
 * The pure parts of the outbound proxy (issue 18): proxy URL checks and labels, NO_PROXY matching, which proxy a
 * call uses, the settings and environment variables that configure it, and the scrubbing of URL credentials.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { accountProxyInput, shownAccountProxy } from '../../src/accounts/account-proxy.ts';
import { configFromObject } from '../../src/config/load.ts';
import { GatewayError } from '../../src/errors/catalogue.ts';
import { redactValue, scrubText } from '../../src/telemetry/redaction.ts';
import { chooseProxy, noOutboundProxy } from '../../src/upstream/proxy/choose-proxy.ts';
import { bypassesProxy, noProxyEntries } from '../../src/upstream/proxy/no-proxy.ts';
import { parseProxyUrl, proxyLabel } from '../../src/upstream/proxy/proxy-url.ts';

describe('proxy URLs', () => {
  test('the four schemes parse, with default ports and labels that never carry credentials', () => {
    const cases: Array<[string, string]> = [
      ['http://user:pa55@proxy.example:3128', 'http://proxy.example:3128'],
      ['https://proxy.example', 'https://proxy.example:443'],
      ['socks5://u:p@10.0.0.1', 'socks5://10.0.0.1:1080'],
      ['socks5h://[::1]:9050', 'socks5h://[::1]:9050'],
      ['proxy.example:8080', 'http://proxy.example:8080'],
    ];
    for (const [url, label] of cases) assert.equal(proxyLabel(url), label, url);
    const parsed = parseProxyUrl('http://us%40er:p%3Ass@h:1');
    assert.ok(typeof parsed !== 'string');
    assert.equal(parsed.username, 'us@er');
    assert.equal(parsed.password, 'p:ss');
  });

  test('unusable URLs get a reason that does not repeat the URL', () => {
    for (const [url, reason] of [
      ['ftp://h:21', /unsupported proxy scheme "ftp"/],
      ['socks4://h:1080', /unsupported proxy scheme "socks4"/],
      ['http://user:secret@h:1/path', /without a path or query/],
      ['', /empty/],
      ['http://', /not a valid URL|no host/],
    ] as const) {
      const problem = parseProxyUrl(url);
      assert.equal(typeof problem, 'string', url);
      assert.match(problem as string, reason);
      assert.ok(!(problem as string).includes('secret'));
    }
  });

  test('the account field: empty clears, bad input is AGW_INVALID_REQUEST, display masks credentials', () => {
    assert.equal(accountProxyInput(''), null);
    assert.equal(accountProxyInput(null), null);
    assert.equal(accountProxyInput('proxy:3128'), 'http://proxy:3128');
    assert.throws(
      () => accountProxyInput('ftp://x'),
      (error: unknown) => GatewayError.is(error) && error.code === 'AGW_INVALID_REQUEST',
    );
    assert.equal(shownAccountProxy({ proxy_url: 'socks5://me:s3cret@h:1080' }), 'socks5://[REDACTED]@h:1080');
    assert.equal(shownAccountProxy({ proxy_url: 'http://h:8080' }), 'http://h:8080');
    assert.equal(shownAccountProxy({}), null);
  });
});

describe('NO_PROXY', () => {
  const entries = noProxyEntries('localhost, .internal.example  10.1.2.3,api.example:8443');
  const cases: Array<[string, boolean]> = [
    ['http://localhost:8080/x', true],
    ['https://svc.internal.example/v1', true],
    ['https://internal.example/v1', true],
    ['https://notinternal.example/v1', false],
    ['http://10.1.2.3/x', true],
    ['https://api.example:8443/x', true],
    ['https://api.example/x', false],
    ['https://cloudcode-pa.googleapis.com/v1internal', false],
  ];
  for (const [target, expected] of cases) {
    test(`${target} ${expected ? 'bypasses' : 'uses'} the proxy`, () => {
      assert.equal(bypassesProxy(target, entries), expected);
    });
  }
  test('* exempts everything', () => assert.equal(bypassesProxy('https://oauth2.googleapis.com/token', ['*']), true));
});

describe('choosing the proxy of a call', () => {
  const settings = {
    globalProxy: 'http://global:3128',
    environmentProxy: { http: 'http://env-http:1', https: 'http://env-https:1' },
    noProxy: ['oauth2.googleapis.com'],
  };
  test("the account's proxy wins, even over NO_PROXY", () => {
    assert.deepEqual(chooseProxy(settings, 'https://oauth2.googleapis.com/token', 'socks5://own:1080'), {
      url: 'socks5://own:1080',
      source: 'account',
    });
  });
  test('else the global proxy, unless NO_PROXY names the target', () => {
    assert.equal(chooseProxy(settings, 'https://cloudcode-pa.googleapis.com/v1internal', null)?.source, 'global');
    assert.equal(chooseProxy(settings, 'https://oauth2.googleapis.com/token', undefined), undefined);
  });
  test('else the environment proxy of the target scheme', () => {
    const environmentOnly = { ...settings, globalProxy: null, noProxy: [] };
    assert.equal(chooseProxy(environmentOnly, 'https://x.example/', '')?.url, 'http://env-https:1');
    assert.equal(chooseProxy(environmentOnly, 'http://x.example/', undefined)?.url, 'http://env-http:1');
    assert.equal(chooseProxy(noOutboundProxy, 'https://x.example/', undefined), undefined);
  });
});

describe('proxy settings', () => {
  test('proxy.upstream_proxy applies only while enabled; the environment variables fill in', () => {
    const file = { proxy: { upstream_proxy: { enabled: false, url: 'socks5://global:1080' } } };
    const environment = {
      HTTPS_PROXY: 'http://env:3128',
      ALL_PROXY: 'socks5h://all:1080',
      NO_PROXY: 'a.example,b.example',
    };
    const off = configFromObject('/tmp/agw-proxy-test', file, {}, environment).outbound;
    assert.equal(off.globalProxy, null);
    assert.deepEqual(off.environmentProxy, { https: 'http://env:3128', http: 'socks5h://all:1080' });
    assert.deepEqual(off.noProxy, ['a.example', 'b.example']);
    file.proxy.upstream_proxy.enabled = true;
    assert.equal(configFromObject('/tmp/agw-proxy-test', file, {}, {}).outbound.globalProxy, 'socks5://global:1080');
    // Lower-case variables win, as curl reads them.
    const lower = configFromObject(
      '/tmp/agw-proxy-test',
      {},
      {},
      { https_proxy: 'http://lower:1', HTTPS_PROXY: 'http://upper:1' },
    );
    assert.equal(lower.outbound.environmentProxy.https, 'http://lower:1');
  });

  test('a bad proxy URL is a configuration error naming the key or variable, never the password', () => {
    const fromFile = (() => {
      try {
        configFromObject(
          '/tmp/agw-proxy-test',
          { proxy: { upstream_proxy: { enabled: true, url: 'ftp://u:pw-in-file@h' } } },
          {},
          {},
        );
      } catch (error) {
        return error as GatewayError;
      }
      return undefined;
    })();
    assert.equal(fromFile?.code, 'AGW_CONFIG_INVALID');
    assert.match(fromFile!.message, /proxy\.upstream_proxy\.url: unsupported proxy scheme "ftp"/);
    assert.ok(!fromFile!.message.includes('pw-in-file'));
    assert.throws(
      () => configFromObject('/tmp/agw-proxy-test', {}, {}, { HTTPS_PROXY: 'gopher://u:pw-in-env@h' }),
      (error: unknown) =>
        GatewayError.is(error) &&
        /environment variable HTTPS_PROXY: unsupported proxy scheme/.test(error.message) &&
        !error.message.includes('pw-in-env'),
    );
  });
});

describe('scrubbing URL credentials', () => {
  test('the one scrubber masks user:password in any URL, keeping the host', () => {
    assert.equal(
      scrubText('connect via http://alice:s3cret@proxy.example:3128 failed'),
      'connect via http://[REDACTED]@proxy.example:3128 failed',
    );
    assert.equal(scrubText('socks5h://token-only@h:1080'), 'socks5h://[REDACTED]@h:1080');
    assert.equal(scrubText('mail me at someone@example.com'), 'mail me at someone@example.com');
    assert.deepEqual(redactValue({ proxy: 'https://u:p@h:1' }), { proxy: 'https://[REDACTED]@h:1' });
  });
});
