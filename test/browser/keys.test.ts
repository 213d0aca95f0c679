/**
 * The console's Keys page against the real gateway: create a key (shown once, and it works on the client API at
 * once), see it listed by its hint only, revoke it (refused at once).
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { consoleAgainstGateway } from './console-harness.ts';

const password = 'keys-console-password';
const setup = consoleAgainstGateway({ email: 'keys-console@example.com', password });

const chat = (key: string) =>
  fetch(`${setup.harness.url}/v1/chat/completions`, {
    method: 'POST',
    headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
    body: JSON.stringify({ model: 'gemini-3-flash', messages: [{ role: 'user', content: 'hi' }] }),
  });

test('the Keys page creates a key shown once, lists it without the key, and revokes it', async () => {
  const page = await setup.browser.context.newPage();
  page.setDefaultTimeout(10_000);
  try {
    await page.goto(`${setup.harness.url}/#/keys`);
    await page.getByLabel('Admin password').fill(password);
    await page.getByRole('button', { name: 'Log in' }).click();
    await page.getByRole('heading', { name: 'Keys', level: 1 }).waitFor();

    await page.getByLabel('Name').fill('browser-friend');
    await page.getByLabel('Allowed models (optional)').fill('gemini-*');
    await page.getByLabel('Requests per minute (optional)').fill('30');
    await page.getByRole('button', { name: 'Create key' }).click();
    const secret = (await page.locator('code.secret').textContent())?.trim() ?? '';
    assert.match(secret, /^sk-agw-[A-Za-z0-9_-]{43}$/);
    const accepted = await chat(secret);
    assert.equal(accepted.status, 200, await accepted.text());

    const row = page.getByRole('row').filter({ hasText: 'browser-friend' });
    await row.waitFor();
    assert.match((await row.textContent()) ?? '', /sk-agw-…/);
    assert.match((await row.textContent()) ?? '', /gemini-\*/);
    assert.match((await row.textContent()) ?? '', /active/);

    await page.reload();
    await page.getByRole('row').filter({ hasText: 'browser-friend' }).waitFor();
    assert.ok(!(await page.content()).includes(secret), 'after a reload the key is nowhere on the page');

    await page.getByRole('row').filter({ hasText: 'browser-friend' }).getByRole('button', { name: 'Revoke' }).click();
    await page.getByRole('button', { name: 'Revoke key' }).click();
    await page.getByRole('row').filter({ hasText: 'browser-friend' }).filter({ hasText: 'revoked' }).waitFor();
    const refused = await chat(secret);
    assert.equal(refused.status, 401);
    assert.equal(refused.headers.get('x-agw-error-code'), 'AGW_KEY_REVOKED');
  } finally {
    await page.close();
  }
});
