/**
 * Transport identity (issue 16): every recorded call names the TCP connection it came on, so a test can prove
 * that two OAuth identities never shared one connection.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { Agent, request } from 'undici';
import { agwUserAgent, envelope, type Started, startWithAccount } from './helpers.ts';

describe('connection identity on recorded calls', () => {
  let started: Started;
  let bobToken: string;
  const agents: Agent[] = [];
  const keepAlive = () => {
    const agent = new Agent({ connections: 1, keepAliveTimeout: 10_000 });
    agents.push(agent);
    return agent;
  };
  const generate = async (agent: Agent, token: string) => {
    const reply = await request(`${started.google.urls.v1internal}:generateContent`, {
      method: 'POST',
      dispatcher: agent,
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json', 'user-agent': agwUserAgent },
      body: JSON.stringify(envelope('gemini-3-flash', 'hi')),
    });
    await reply.body.text();
    assert.equal(reply.statusCode, 200);
    return started.google.control.calls().at(-1)!;
  };
  before(async () => {
    started = await startWithAccount();
    bobToken = started.google.control
      .addAccount({ email: 'bob@example.com', refreshToken: '1//bob' })
      .mintAccessToken();
  });
  after(async () => {
    await Promise.all(agents.map((agent) => agent.close()));
    await started.google.close();
  });

  test('one pool per account: calls of one account reuse its connection, accounts never share one', async () => {
    const adaPool = keepAlive();
    const bobPool = keepAlive();
    const adaFirst = await generate(adaPool, started.accessToken);
    const bobFirst = await generate(bobPool, bobToken);
    const adaSecond = await generate(adaPool, started.accessToken);
    const bobSecond = await generate(bobPool, bobToken);
    assert.equal(adaFirst.connectionId, adaSecond.connectionId);
    assert.equal(bobFirst.connectionId, bobSecond.connectionId);
    assert.notEqual(adaFirst.connectionId, bobFirst.connectionId);
    assert.equal(typeof adaFirst.remotePort, 'number');
    assert.equal(adaFirst.remotePort, adaSecond.remotePort);
    assert.notEqual(adaFirst.remotePort, bobFirst.remotePort);
    assert.deepEqual(started.google.control.sharedConnections(), []);
  });

  test('one pool for everyone: the shared connection is reported with both accounts', async () => {
    const shared = keepAlive();
    const ada = await generate(shared, started.accessToken);
    const bob = await generate(shared, bobToken);
    assert.equal(ada.connectionId, bob.connectionId);
    assert.deepEqual(started.google.control.sharedConnections(), [
      { connectionId: ada.connectionId, emails: ['ada@example.com', 'bob@example.com'] },
    ]);
  });
});
