/**
 * The client version the fake reads from a request: every User-Agent form peers and agw send, then
 * x-client-version; and the dotted comparison the gating uses.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { compareVersions, reportedClientVersion } from './index.ts';

test('the version comes from each User-Agent form, else from x-client-version', () => {
  const cases: Array<[Record<string, string>, string | undefined]> = [
    [{ 'user-agent': 'Antigravity/4.3.0 (X11; Linux x86_64) Chrome/132.0.6834.160 Electron/39.2.3' }, '4.3.0'],
    [{ 'user-agent': 'vscode/1.X.X (Antigravity/4.3.0)' }, '4.3.0'],
    [{ 'user-agent': 'antigravity/1.23.2 windows/amd64 google-api-nodejs-client/10.3.0' }, '1.23.2'],
    [{ 'user-agent': 'antigravity/hub/2.9.1 darwin/arm64' }, '2.9.1'],
    [{ 'user-agent': 'antigravity/hub/2.8.0 (aidev_client; os_type=darwin; arch=arm64; cl=963137146)' }, '2.8.0'],
    [{ 'user-agent': 'Antigravity/4.3.0', 'x-client-version': '1.0.0' }, '4.3.0'],
    [{ 'user-agent': 'node', 'x-client-version': '3.0.1' }, '3.0.1'],
    [{ 'user-agent': 'node', 'x-client-version': 'latest' }, undefined],
    [{}, undefined],
  ];
  for (const [headers, expected] of cases)
    assert.equal(reportedClientVersion(headers), expected, JSON.stringify(headers));
});

test('versions compare numerically, part by part, missing parts as zero', () => {
  assert.equal(compareVersions('2.10.0', '2.9.9'), 1);
  assert.equal(compareVersions('2.9', '2.9.0'), 0);
  assert.equal(compareVersions('1.15.8', '1.23.2'), -1);
  assert.equal(compareVersions('4.3.0', '2.9.0'), 1);
});
