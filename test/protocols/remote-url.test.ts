/**
 * The remote-image URL filter (used only with agw.allow_remote_images): every spelling of a loopback, private or
 * link-local address is refused, including IPv6 forms that embed an IPv4 address; public addresses pass.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ipv6Bytes, remoteUrlProblem } from '../../src/protocols/remote-url.ts';

const refused = [
  'http://127.0.0.1/x.png',
  'http://2130706433/x.png',
  'http://0x7f.1/x.png',
  'http://localhost/x.png',
  'http://10.1.2.3/x.png',
  'http://169.254.169.254/latest/meta-data',
  'http://[::1]/x.png',
  'http://[::]/x.png',
  'http://[::127.0.0.1]/x.png',
  'http://[::7f00:1]/x.png',
  'http://[::a9fe:a9fe]/x.png',
  'http://[::ffff:127.0.0.1]/x.png',
  'http://[::ffff:7f00:1]/x.png',
  'http://[::ffff:0:127.0.0.1]/x.png',
  'http://[64:ff9b::127.0.0.1]/x.png',
  'http://[64:ff9b::7f00:1]/x.png',
  'http://[64:ff9b::10.0.0.1]/x.png',
  'http://[64:ff9b::a9fe:a9fe]/x.png',
  'http://[64:ff9b:1::8.8.8.8]/x.png',
  'http://[2002:7f00:1::]/x.png',
  'http://[2002:c0a8:101::1]/x.png',
  'http://[2001:0:4136:e378::1]/x.png',
  'http://[2001:db8::1]/x.png',
  'http://[fc00::1]/x.png',
  'http://[fd12:3456::1]/x.png',
  'http://[fe80::1]/x.png',
  'http://[fec0::1]/x.png',
  'http://[ff02::1]/x.png',
  'http://[100::1]/x.png',
  'file:///etc/passwd',
  'http://user:secret@example.com/x.png',
];

const allowed = [
  'https://example.com/x.png',
  'https://8.8.8.8/x.png',
  'https://[2607:f8b0:4004:800::200e]/x.png',
  'https://[64:ff9b::8.8.8.8]/x.png',
  'https://[2002:808:808::1]/x.png',
];

test('every private form is refused, public ones pass', () => {
  for (const url of refused) assert.notEqual(remoteUrlProblem(url), undefined, `${url} must be refused`);
  for (const url of allowed) assert.equal(remoteUrlProblem(url), undefined, `${url} must pass`);
});

test('IPv6 literals parse to their 16 bytes, dotted tails included', () => {
  assert.deepEqual(ipv6Bytes('::1'), [...new Array(15).fill(0), 1]);
  assert.deepEqual(ipv6Bytes('[64:ff9b::1.2.3.4]'), [0, 0x64, 0xff, 0x9b, ...new Array(8).fill(0), 1, 2, 3, 4]);
  assert.deepEqual(ipv6Bytes('1:2:3:4:5:6:7:8')?.length, 16);
  for (const bad of ['1::2::3', '12345::', 'g::1', '1:2:3:4:5:6:7:8:9', '::1.2.3']) {
    assert.equal(ipv6Bytes(bad), undefined, bad);
  }
});
