/**
 * The console's browser scenarios against the real gateway (agw serve's runtime) and the fake Google: the same
 * scenarios as console.test.ts, with a server control that acts through the fake and the pool.
 */
import { describe, test } from 'node:test';
import type { Harness } from '../harness/gateway-harness.ts';
import { consoleAgainstGateway } from './console-harness.ts';
import { type ServerControl, scenarios } from './scenarios.ts';

const password = 'real-console-password';

function serverControl(harness: Harness): ServerControl {
  const chat = (text: string) =>
    fetch(`${harness.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { ...harness.headers, 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'gemini-3-flash', messages: [{ role: 'user', content: text }] }),
    });
  return {
    refreshTokenFor(email, version) {
      const token = `1//console-${email.replace(/[^a-z0-9]/gi, '')}-v${version}`;
      harness.fake.control.addAccount({ email, refreshToken: token });
      return token;
    },
    async disableByInvalidGrant(email) {
      const account = await harness.store.get(email);
      harness.fake.control.revokeRefreshToken(account.token.refresh_token);
      await harness.store.persistToken(account.id, { expiry_timestamp: Math.floor(Date.now() / 1000) - 60 });
      // Keep the other accounts out of the way so the next request has to refresh this one.
      const others = (await harness.store.list()).accounts.filter(
        (other) => other.id !== account.id && !other.proxy_disabled && !other.disabled,
      );
      for (const other of others) await harness.store.proxyDisable(other.id, 'test: isolate');
      await harness.gateway.services.reloadPool();
      for (let attempt = 0; attempt < 20 && !(await harness.store.get(email)).disabled; attempt += 1) {
        await (await chat(`disable ${email} ${attempt}`)).text();
      }
      for (const other of others) await harness.store.proxyEnable(other.id);
      await harness.gateway.services.reloadPool();
      if (!(await harness.store.get(email)).disabled) throw new Error(`${email} was not disabled`);
    },
    async produceRequestLog() {
      await (await chat('a request for the log')).text();
    },
    async completeSignIn(authorizationUrl, email) {
      harness.fake.control.addAccount({ email, refreshToken: `1//signin-${email.replace(/[^a-z0-9]/gi, '')}` });
      harness.fake.control.setLoginAccount(email);
      const redirect = await fetch(authorizationUrl, { redirect: 'manual' });
      const location = redirect.headers.get('location');
      if (!location) throw new Error(`the authorization page did not redirect (${redirect.status})`);
      const callback = await fetch(location);
      if (callback.status !== 200) throw new Error(`the callback failed: ${callback.status} ${await callback.text()}`);
    },
  };
}

describe('web console against the real gateway', () => {
  const setup = consoleAgainstGateway({ email: 'seeded@example.com', password });

  for (const scenario of scenarios) {
    test(scenario.name, async () => {
      const { harness, browser } = setup;
      await browser.context.clearCookies();
      const page = await browser.context.newPage();
      try {
        await scenario.run({ baseUrl: harness.url, password, page, server: serverControl(harness) });
      } finally {
        await page.close();
      }
    });
  }
});
