/**
 * The composition root owns every outbound agent: after the gateway closes, no connection it opened to Google
 * (token endpoint, userinfo, loadCodeAssist, quota, generation) is left open.
 */
import assert from 'node:assert/strict';
import { subscribe, unsubscribe } from 'node:diagnostics_channel';
import type { Socket } from 'node:net';
import { test } from 'node:test';
import { createFakeGoogle } from '../../src/fake-google/index.ts';
import { startHarness } from '../harness/gateway-harness.ts';
import { chat } from '../integration/helpers.ts';

test('closing the gateway closes every connection it opened to Google', async () => {
  const fake = await createFakeGoogle({ port: 0 });
  const googlePort = Number(new URL(fake.urls.base).port);
  const sockets: Socket[] = [];
  // undici announces every new connection here (the gateway's agents and the test's own fetch alike).
  const onConnected = (message: unknown): void => {
    const socket = (message as { socket: Socket }).socket;
    if (socket.remotePort === googlePort) sockets.push(socket);
  };
  subscribe('undici:client:connected', onConnected);
  try {
    const harness = await startHarness({
      fake,
      // Expired: the first request refreshes (token endpoint); no project: it resolves one (loadCodeAssist).
      accounts: [{ email: 'outbound@example.com', expired: true, projectId: null }],
    });
    try {
      const answer = await chat(harness.url, harness.headers, 'open every kind of connection');
      assert.equal(answer.status, 200, answer.text);
      await harness.gateway.services.quota?.refreshNow();
      for (const endpoint of ['token', 'loadCodeAssist', 'streamGenerateContent', 'fetchAvailableModels'] as const)
        assert.ok(fake.control.calls({ endpoint }).length > 0, `the gateway called ${endpoint}`);
    } finally {
      await harness.close({ keepFake: true });
    }
    assert.ok(sockets.length >= 2, `connections to Google were seen (${sockets.length})`);
    const open = sockets.filter((socket) => !socket.destroyed);
    assert.equal(open.length, 0, `${open.length} of ${sockets.length} connections to Google left open`);
  } finally {
    unsubscribe('undici:client:connected', onConnected);
    await fake.close();
  }
});
