/**
 * Browser scenarios of the console, written against docs/api.md only, so they run against the mock admin API
 * now and against `agw serve` later. Each takes the page to drive and a small control of the server for what
 * the browser cannot cause itself (a token Google accepts, an invalid_grant, a proxied request).
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Locator, Page } from 'playwright-core';

export interface ServerControl {
  /** A refresh token the server will resolve to this email; another version is another (changed) token. */
  refreshTokenFor(email: string, version: number): string | Promise<string>;
  /** Makes the server disable the account the way a refresh answered with invalid_grant does. */
  disableByInvalidGrant(email: string): void | Promise<void>;
  /** Makes the server log one proxied request (and push it as a `request` event). */
  produceRequestLog(): unknown;
  /** Plays the user and Google after the console showed the sign-in URL: ends at /auth/callback for this email. */
  completeSignIn(authorizationUrl: string, email: string): Promise<void>;
}

export interface ScenarioContext {
  baseUrl: string;
  password: string;
  page: Page;
  server: ServerControl;
}

export interface Scenario {
  name: string;
  run(context: ScenarioContext): Promise<void>;
}

export const screenshotDirectory = fileURLToPath(new URL('../../test-artifacts/screenshots/', import.meta.url));

/** Every wait is bounded; a missing element fails the scenario instead of hanging it. */
const waitMs = 10_000;
const runId = randomBytes(3).toString('hex');
const emailFor = (name: string) => `${name}-${runId}@example.com`;

async function openConsole({ baseUrl, password, page }: ScenarioContext, route = 'accounts'): Promise<void> {
  page.setDefaultTimeout(waitMs);
  await page.goto(`${baseUrl}/#/${route}`);
  const loginField = page.getByLabel('Admin password');
  const navigation = page.getByRole('navigation', { name: 'Main' });
  await loginField.or(navigation).first().waitFor();
  if (await loginField.isVisible()) {
    await loginField.fill(password);
    await page.getByRole('button', { name: 'Log in' }).click();
    await navigation.waitFor();
  }
  await page.getByText('Live updates on').waitFor();
}

async function addAccountThroughApi(context: ScenarioContext, email: string, version = 1): Promise<void> {
  const token = await context.server.refreshTokenFor(email, version);
  const response = await context.page.request.post(`${context.baseUrl}/api/accounts`, {
    data: { refresh_token: token },
  });
  assert.equal(response.status(), 200, `adding ${email} through the API`);
}

/** Adds through the API, then reloads, so scenarios about other things do not depend on the event stream. */
async function addAccountAndShow(context: ScenarioContext, email: string): Promise<Locator> {
  await addAccountThroughApi(context, email);
  await context.page.reload();
  const item = accountItem(context.page, email);
  await item.waitFor();
  return item;
}

function accountItem(page: Page, email: string): Locator {
  return page.getByRole('list', { name: 'Accounts' }).getByRole('listitem', { name: email, exact: true });
}

async function screenshot(page: Page, name: string, fullPage = true): Promise<void> {
  await mkdir(screenshotDirectory, { recursive: true });
  await page.screenshot({ path: path.join(screenshotDirectory, `${name}.png`), fullPage });
}

/** Controls without an accessible label (no <label>, aria-label or aria-labelledby). */
async function unlabelledControls(page: Page): Promise<string[]> {
  return page.evaluate(() =>
    [...document.querySelectorAll<HTMLInputElement>('input, select, textarea')]
      .filter((control) => control.type !== 'hidden')
      .filter(
        (control) =>
          (control.labels?.length ?? 0) === 0 &&
          !control.getAttribute('aria-label') &&
          !control.getAttribute('aria-labelledby'),
      )
      .map((control) => control.outerHTML.slice(0, 120)),
  );
}

async function expectLabelled(page: Page, labels: string[]): Promise<void> {
  for (const label of labels) {
    // getByLabel also finds regions named by the same words (the tab panel "Refresh token"); count controls only.
    const controls = page.getByLabel(label, { exact: true }).and(page.locator('input, select, textarea'));
    await controls.first().waitFor();
    assert.equal(await controls.count(), 1, `one control labelled "${label}"`);
  }
  assert.deepEqual(await unlabelledControls(page), []);
}

export const scenarios: Scenario[] = [
  {
    name: 'logs in with the password and lands on Accounts',
    async run(context) {
      const { page, baseUrl } = context;
      page.setDefaultTimeout(waitMs);
      await page.goto(`${baseUrl}/`);
      const field = page.getByLabel('Admin password');
      await field.fill('not-the-password');
      await page.getByRole('button', { name: 'Log in' }).click();
      await page.getByRole('alert').filter({ hasText: 'Wrong password.' }).waitFor();
      await screenshot(page, 'login');
      await field.fill(context.password);
      await page.getByRole('button', { name: 'Log in' }).click();
      await page.getByRole('heading', { name: 'Accounts', level: 1 }).waitFor();
      const current = page.getByRole('navigation', { name: 'Main' }).locator('a[aria-current="page"]');
      assert.equal(await current.textContent(), 'Accounts');
      const storage = await page.evaluate(
        () => JSON.stringify({ ...localStorage }) + JSON.stringify({ ...sessionStorage }),
      );
      assert.equal(storage.includes(context.password), false, 'the password is not kept in web storage');
    },
  },
  {
    name: 'a 401 from any call brings the login screen back',
    async run(context) {
      const { page } = context;
      await openConsole(context);
      // The session ends behind the console's back (expired, server restarted); the next call answers 401.
      await page.context().clearCookies();
      await page.getByRole('link', { name: 'Dashboard' }).click();
      await page.getByLabel('Admin password').waitFor();
      await page.getByLabel('Admin password').fill(context.password);
      await page.getByRole('button', { name: 'Log in' }).click();
      await page.getByRole('heading', { name: 'Dashboard', level: 1 }).waitFor();
    },
  },
  {
    name: 'adds an account by refresh token and lists it',
    async run(context) {
      const { page } = context;
      await openConsole(context);
      const email = emailFor('added');
      await page.getByRole('button', { name: 'Add account' }).click();
      const dialog = page.getByRole('dialog', { name: 'Add account' });
      await dialog.getByRole('textbox', { name: 'Refresh token' }).fill(await context.server.refreshTokenFor(email, 1));
      await dialog.getByRole('button', { name: 'Add account', exact: true }).click();
      await dialog.getByText(`Added: ${email}`).waitFor();
      await page.keyboard.press('Escape');
      await dialog.waitFor({ state: 'hidden' });
      const item = accountItem(page, email);
      await item.waitFor();
      await item.getByText('Active', { exact: true }).waitFor();
    },
  },
  {
    name: "sets an account's outbound proxy, shows it without the password, and clears it",
    async run(context) {
      const { page } = context;
      await openConsole(context);
      const item = await addAccountAndShow(context, emailFor('proxied'));
      await item.getByRole('button', { name: /^Set the outbound proxy/ }).click();
      await item.getByRole('textbox', { name: /^Outbound proxy URL/ }).fill('socks5://me:console-secret@10.0.0.9:1080');
      await item.getByRole('button', { name: 'Save' }).click();
      await item.getByText('socks5://[REDACTED]@10.0.0.9:1080').waitFor();
      assert.ok(!(await page.content()).includes('console-secret'), 'the password is not on the page');
      await item.getByRole('button', { name: /^Clear the outbound proxy/ }).click();
      await item.getByText('global / direct').waitFor();
    },
  },
  {
    name: 'shows an invalid_grant disable live, and clears it live after a re-add',
    async run(context) {
      const { page, baseUrl } = context;
      await openConsole(context);
      const email = emailFor('revoked');
      await addAccountThroughApi(context, email, 1);
      // A second tab only watches: whatever it shows can only have come through /api/events.
      const watcher = await page.context().newPage();
      try {
        watcher.setDefaultTimeout(waitMs);
        await watcher.goto(`${baseUrl}/#/accounts`);
        await watcher.getByText('Live updates on').waitFor();
        const watched = accountItem(watcher, email);
        await watched.getByText('Active', { exact: true }).waitFor();
        await watcher.evaluate(() => {
          document.body.dataset['scenarioMarker'] = 'no reload';
        });

        await context.server.disableByInvalidGrant(email);
        await watched.getByText('Disabled', { exact: true }).waitFor();
        await watched
          .getByText(/invalid_grant/)
          .first()
          .waitFor();
        await watched.getByText(/since/).first().waitFor();

        const item = accountItem(page, email);
        await item.getByText('Disabled', { exact: true }).waitFor();
        await page.getByRole('button', { name: /^Disabled \(/ }).click();
        await item.waitFor();
        await screenshot(page, 'accounts-disabled-filter');
        await page.getByRole('button', { name: /^All \(/ }).click();

        await item.getByRole('button', { name: `Re-add ${email}` }).click();
        const dialog = page.getByRole('dialog', { name: `Re-add ${email}` });
        await dialog.waitFor();
        assert.equal(
          await dialog.getByRole('tab', { name: 'Refresh token' }).getAttribute('aria-selected'),
          'true',
          'the re-add dialog opens on the refresh-token tab',
        );
        await dialog
          .getByRole('textbox', { name: 'Refresh token' })
          .fill(await context.server.refreshTokenFor(email, 2));
        await dialog.getByRole('button', { name: 'Add account', exact: true }).click();
        await dialog.getByText(`Re-enabled: ${email}`).waitFor();
        await page.keyboard.press('Escape');

        await watched.getByText('Active', { exact: true }).waitFor();
        assert.equal(await watched.getByText('Disabled', { exact: true }).count(), 0);
        assert.equal(await watcher.evaluate(() => document.body.dataset['scenarioMarker']), 'no reload');
      } finally {
        await watcher.close();
      }
    },
  },
  {
    name: 'signs in with Google: shows the link, then the account once the callback lands',
    async run(context) {
      const { page } = context;
      await openConsole(context);
      const email = emailFor('signed-in');
      await page.getByRole('button', { name: 'Add account' }).click();
      const dialog = page.getByRole('dialog', { name: 'Add account' });
      await dialog.getByRole('tab', { name: 'Sign in with Google' }).click();
      await dialog.getByRole('button', { name: 'Start sign-in' }).click();
      const link = dialog.getByRole('textbox', { name: 'Sign-in link' });
      await link.waitFor();
      const url = await link.inputValue();
      assert.equal(await dialog.getByRole('link', { name: 'Open sign-in link' }).getAttribute('href'), url);
      await dialog.getByRole('button', { name: 'Copy sign-in link' }).waitFor();
      await context.server.completeSignIn(url, email);
      await dialog.getByText(`Signed in: ${email}`).waitFor();
      await page.keyboard.press('Escape');
      await accountItem(page, email).waitFor();
    },
  },
  {
    name: 'imports tokens and reports one result per entry',
    async run(context) {
      const { page } = context;
      await openConsole(context);
      const first = emailFor('imported-one');
      const second = emailFor('imported-two');
      const text = JSON.stringify([
        await context.server.refreshTokenFor(first, 1),
        { refresh_token: await context.server.refreshTokenFor(second, 1) },
        'not-a-token',
      ]);
      await page.getByRole('button', { name: 'Add account' }).click();
      const dialog = page.getByRole('dialog', { name: 'Add account' });
      await dialog.getByRole('tab', { name: 'Import' }).click();
      await dialog.getByRole('textbox', { name: 'Tokens to import' }).fill(text);
      await dialog.getByRole('button', { name: 'Import', exact: true }).click();
      const results = dialog.getByRole('list', { name: 'Import results' }).getByRole('listitem');
      await results.first().waitFor();
      assert.equal(await results.count(), 3);
      assert.match((await results.nth(0).textContent()) ?? '', new RegExp(`added — ${first}`));
      assert.match((await results.nth(1).textContent()) ?? '', new RegExp(`added — ${second}`));
      assert.match((await results.nth(2).textContent()) ?? '', /error/);
      await page.keyboard.press('Escape');
      await accountItem(page, first).waitFor();
      await accountItem(page, second).waitFor();
    },
  },
  {
    name: 'the proxy switch toggles Proxy-disabled',
    async run(context) {
      await openConsole(context);
      const email = emailFor('switched');
      const item = await addAccountAndShow(context, email);
      const toggle = item.getByRole('switch', { name: `Use ${email} in the proxy` });
      assert.equal(await toggle.isChecked(), true);
      await toggle.click();
      await item.getByText('Proxy-disabled', { exact: true }).waitFor();
      assert.equal(await toggle.isChecked(), false);
      await toggle.click();
      await item.getByText('Active', { exact: true }).waitFor();
      assert.equal(await item.getByText('Proxy-disabled', { exact: true }).count(), 0);
    },
  },
  {
    name: 'removes an account only after confirmation',
    async run(context) {
      const { page } = context;
      await openConsole(context);
      const email = emailFor('removed');
      const item = await addAccountAndShow(context, email);
      await item.getByRole('button', { name: `Remove ${email}` }).click();
      const dialog = page.getByRole('dialog', { name: 'Remove account' });
      await dialog.getByRole('button', { name: 'Cancel' }).click();
      await dialog.waitFor({ state: 'hidden' });
      await item.waitFor();
      await item.getByRole('button', { name: `Remove ${email}` }).click();
      await dialog.getByRole('button', { name: 'Remove account' }).click();
      await item.waitFor({ state: 'detached' });
    },
  },
  {
    name: 'keyboard: Tab reaches Add account, Enter opens the dialog, Escape closes it',
    async run(context) {
      const { page } = context;
      await openConsole(context);
      const focusedText = () => page.evaluate(() => document.activeElement?.textContent?.trim() ?? '');
      let reached = false;
      for (let step = 0; step < 40 && !reached; step += 1) {
        await page.keyboard.press('Tab');
        reached = (await focusedText()) === 'Add account';
      }
      assert.ok(reached, 'Tab reaches the Add account button');
      await page.keyboard.press('Enter');
      const dialog = page.getByRole('dialog', { name: 'Add account' });
      await dialog.waitFor();
      assert.equal(await page.evaluate(() => document.activeElement?.id), 'refresh-token');
      await page.keyboard.press('Escape');
      await dialog.waitFor({ state: 'hidden' });
      assert.equal(await focusedText(), 'Add account', 'focus returns to the button that opened the dialog');
    },
  },
  {
    name: 'proxy settings: auth mode, API key regeneration, model mapping, warm-up switch',
    async run(context) {
      const { page } = context;
      await openConsole(context, 'proxy');
      await page.getByLabel('Authentication mode').selectOption('strict');
      await page.getByText('Authentication mode saved.').waitFor();
      await page.getByRole('button', { name: 'Regenerate' }).click();
      await page
        .getByRole('dialog', { name: 'Regenerate the API key' })
        .getByRole('button', { name: 'Generate new key' })
        .click();
      const key = (await page.locator('code.secret').textContent()) ?? '';
      assert.ok(key.length > 8, 'the new key is shown once');
      const claude = page.getByRole('region', { name: 'Claude Code' });
      assert.match((await claude.textContent()) ?? '', new RegExp(`ANTHROPIC_AUTH_TOKEN=${key}`));
      await page.getByRole('button', { name: 'Add mapping' }).click();
      await page.getByLabel('Client model 1', { exact: true }).fill('gpt-4o*');
      await page.getByLabel('Upstream model 1', { exact: true }).fill('gemini-3-flash');
      await page.getByRole('button', { name: 'Save mapping' }).click();
      await page.getByText('Model mapping saved.').waitFor();
      await page.reload();
      await page.getByLabel('Client model 1', { exact: true }).waitFor();
      assert.equal(await page.getByLabel('Client model 1', { exact: true }).inputValue(), 'gpt-4o*');
      assert.equal(await page.getByLabel('Authentication mode').inputValue(), 'strict');
      assert.equal(await page.locator('code.secret').count(), 0, 'the new key is not shown again');
      const warmUp = page.getByRole('checkbox', { name: /tiny call per model family/ });
      assert.equal(await warmUp.isChecked(), false, 'the warm-up is off by default');
      // The box follows the saved setting: it shows the new state once the change is saved.
      await warmUp.click();
      await page.getByText('Warm-up saved.').waitFor();
      assert.equal(await warmUp.isChecked(), true);
      await page.reload();
      // The box is disabled until the saved settings have loaded; only then does its state mean anything.
      await page.waitForSelector('#warm-up-enabled:not([disabled])', { timeout: waitMs });
      assert.equal(await page.getByRole('checkbox', { name: /tiny call per model family/ }).isChecked(), true);
    },
  },
  {
    name: 'logs: live tail prepends request events',
    async run(context) {
      const { page } = context;
      await openConsole(context, 'logs');
      const rows = page.locator('table.logs tbody tr');
      await rows.first().waitFor();
      const before = await page.getByText(/ of \d+$/).textContent();
      await page.getByLabel('Live tail').check();
      await context.server.produceRequestLog();
      await page.waitForFunction(
        (previous) => document.querySelector('.pager span')?.textContent !== previous,
        before,
        { timeout: waitMs },
      );
    },
  },
  {
    name: 'every form control has an accessible label',
    async run(context) {
      const { page } = context;
      await openConsole(context, 'accounts');
      await page.getByRole('button', { name: 'Add account' }).click();
      const dialog = page.getByRole('dialog', { name: 'Add account' });
      await expectLabelled(page, ['Refresh token']);
      await dialog.getByRole('tab', { name: 'Import' }).click();
      await expectLabelled(page, ['Tokens to import']);
      await dialog.getByRole('tab', { name: 'Sign in with Google' }).click();
      await dialog.getByRole('button', { name: 'Start sign-in' }).click();
      await expectLabelled(page, ['Sign-in link']);
      await page.keyboard.press('Escape');
      await openConsole(context, 'proxy');
      await page.getByRole('button', { name: 'Add mapping' }).click();
      await expectLabelled(page, ['Authentication mode', 'API key', 'Client model 1', 'Upstream model 1']);
      await openConsole(context, 'logs');
      await expectLabelled(page, ['Errors only', 'Protocol', 'Model', 'Live tail']);
    },
  },
  {
    name: 'screenshots of every page',
    async run(context) {
      const { page } = context;
      await openConsole(context, 'accounts');
      await addAccountAndShow(context, emailFor('pictured'));
      await screenshot(page, 'accounts-list');
      await page.getByRole('button', { name: 'Grid' }).click();
      await screenshot(page, 'accounts-grid');
      await page.getByRole('button', { name: 'Add account' }).click();
      await page.getByRole('dialog', { name: 'Add account' }).waitFor();
      // The modal backdrop covers the viewport only, so this one is not a full-page picture.
      await screenshot(page, 'add-account-dialog', false);
      await page.keyboard.press('Escape');
      for (const route of ['proxy', 'dashboard', 'logs']) {
        await page
          .getByRole('navigation', { name: 'Main' })
          .getByRole('link')
          .filter({ hasText: pageTitle(route) })
          .click();
        await page.getByRole('heading', { level: 1, name: pageTitle(route) }).waitFor();
        assert.equal(
          await page.locator('nav[aria-label="Main"] a[aria-current="page"]').textContent(),
          pageTitle(route),
        );
        await screenshot(page, route);
      }
    },
  },
];

function pageTitle(route: string): string {
  return { proxy: 'API Proxy', dashboard: 'Dashboard', logs: 'Logs' }[route] ?? route;
}
