import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { App } from '../../src/app.js';
import { launchChromium } from '../helpers/chromium.js';
import { startSimApp } from '../helpers/demo-app.js';
import { testUsers } from '../helpers/web-login.js';
import { fastShutdown, goTo, loginThroughPage, openPage, screenshot } from './actions-fixture.js';

// The admin views (users, sessions, tokens, audit) and a viewer refused an action: the button is not drawn and the
// API answers 403.
let browser: Browser;
let app: App;
let url: string;

beforeAll(async () => {
  browser = await launchChromium();
  app = await startSimApp({ extra: { users: testUsers(), shutdown: fastShutdown(), schedule: { dry_run: '' } } });
  url = await app.listen('127.0.0.1', 0);
});

afterAll(async () => {
  await browser.close();
  await app.stop();
});

describe('admin views in Chromium', () => {
  it('lists the users with their web and NUT roles', async () => {
    const { page, errors } = await openPage(browser);
    await loginThroughPage(page, url, 'admin');
    await goTo(page, '#/admin/users');
    const rows = page.locator('#users-table tbody tr');
    await expect.poll(() => rows.count(), { timeout: 10_000 }).toBe(3);
    expect(await page.locator('#users-table tr[data-user="operator"]').textContent()).toContain('operator');
    expect(await page.locator('#users-table').textContent()).not.toMatch(/test-password/);
    expect(errors).toEqual([]);
    await page.close();
  }, 60_000);

  it('makes a token shown once with a copy button, lists it without its text, and revokes it after asking', async () => {
    const { page, errors } = await openPage(browser);
    await page.context().grantPermissions(['clipboard-read', 'clipboard-write'], { origin: url });
    await loginThroughPage(page, url, 'admin');
    await goTo(page, '#/admin/tokens');
    await page.locator('#token-name').fill('home-assistant');
    await page.locator('#token-scope').selectOption('operate');
    await page.getByRole('button', { name: 'Create token' }).click();
    const once = page.locator('#new-token');
    await expect.poll(() => once.textContent(), { timeout: 10_000 }).toMatch(/shown only this once/);
    const token = (await page.locator('#new-token-text').textContent()) ?? '';
    expect(token).toMatch(/^ugt_/);
    // Exact names: Playwright matches a name as a case-insensitive substring, and the "I have copied it; hide it"
    // button beside the copy button also contains "copied".
    await once.getByRole('button', { name: 'Copy', exact: true }).click();
    await expect
      .poll(() => once.getByRole('button', { name: 'Copied', exact: true }).count(), { timeout: 5000 })
      .toBe(1);
    expect(await page.evaluate<string>('navigator.clipboard.readText()')).toBe(token);
    await screenshot(page, 'admin-token-once');

    // The token works for a script, and the list never shows its text.
    const status = await fetch(`${url}/api/plan`, { headers: { authorization: `Bearer ${token}` } });
    expect(status.status).toBe(200);
    const row = page.locator('#tokens-table tr[data-token="home-assistant"]');
    await expect.poll(() => row.count(), { timeout: 10_000 }).toBe(1);
    expect(await page.locator('#tokens-table').textContent()).not.toContain(token);

    await row.getByRole('button', { name: /Revoke/ }).click();
    const dialog = page.locator('dialog.confirm-dialog[open]');
    await dialog.getByRole('button', { name: 'Revoke' }).click();
    await expect.poll(() => row.count(), { timeout: 10_000 }).toBe(0);
    const after = await fetch(`${url}/api/plan`, { headers: { authorization: `Bearer ${token}` } });
    expect(after.status).toBe(401);
    expect(errors).toEqual([]);
    await page.close();
  }, 60_000);

  it('shows the sessions and revokes another one', async () => {
    const other = await openPage(browser);
    await loginThroughPage(other.page, url, 'operator');
    const { page, errors } = await openPage(browser);
    await loginThroughPage(page, url, 'admin');
    await goTo(page, '#/admin/sessions');
    const operatorRow = page.locator('#sessions-table tr[data-user="operator"]').first();
    await expect.poll(() => operatorRow.count(), { timeout: 10_000 }).toBe(1);
    expect(await page.locator('#sessions-table tr[data-user="admin"]').first().textContent()).toBeTruthy();
    const before = await other.page.evaluate(async () => (await fetch('/api/me')).status);
    expect(before).toBe(200);
    const operatorCount = await page.locator('#sessions-table tr[data-user="operator"]').count();
    await operatorRow.getByRole('button', { name: /Revoke/ }).click();
    await page.locator('dialog.confirm-dialog[open]').getByRole('button', { name: 'Revoke' }).click();
    await expect
      .poll(() => page.locator('#sessions-table tr[data-user="operator"]').count(), { timeout: 10_000 })
      .toBe(operatorCount - 1);
    // The only operator session in this file is that browser's: it is logged out.
    expect(operatorCount).toBe(1);
    expect(await other.page.evaluate(async () => (await fetch('/api/me')).status)).toBe(401);
    expect(errors).toEqual([]);
    await other.page.close();
    await page.close();
  }, 60_000);

  it('shows the audit log with the actions taken, paged', async () => {
    const { page, errors } = await openPage(browser);
    await loginThroughPage(page, url, 'admin');
    // Enough audited requests for more than one page: refusals of an unknown token are actions too.
    await page.evaluate(async () => {
      const me = (await (await fetch('/api/me')).json()) as { csrfToken: string };
      for (let i = 0; i < 55; i++) {
        await fetch(`/api/tokens/nope-${i}`, { method: 'DELETE', headers: { 'x-csrf-token': me.csrfToken } });
      }
    });
    await goTo(page, '#/admin/audit');
    const rows = page.locator('#audit-table tbody tr');
    await expect.poll(() => rows.count(), { timeout: 10_000 }).toBe(50);
    expect(await page.locator('#audit-table').textContent()).toMatch(/DELETE \/api\/tokens/);
    const firstId = await rows.first().getAttribute('data-audit');
    await page.getByRole('button', { name: 'Older' }).click();
    await expect.poll(() => rows.first().getAttribute('data-audit'), { timeout: 10_000 }).not.toBe(firstId);
    expect(Number(await rows.first().getAttribute('data-audit'))).toBeLessThan(Number(firstId));
    // The oldest page has the logins.
    expect(await page.locator('#audit-table').textContent()).toMatch(/login/);
    await page.getByRole('button', { name: 'Newer' }).click();
    await expect.poll(() => rows.first().getAttribute('data-audit'), { timeout: 10_000 }).toBe(firstId);
    await screenshot(page, 'admin-audit');
    expect(errors).toEqual([]);
    await page.close();
  }, 60_000);
});

describe('a viewer in Chromium', () => {
  it('sees no action buttons, and the API refuses the viewer an action with 403', async () => {
    const { page, errors } = await openPage(browser);
    await loginThroughPage(page, url, 'viewer');
    await goTo(page, '#/plan');
    await expect.poll(() => page.locator('.timeline [data-phase]').count(), { timeout: 10_000 }).toBeGreaterThan(0);
    expect(await page.locator('#edit-plan').count()).toBe(0);
    await goTo(page, '#/test');
    // Whatever the shell shows a viewer at #/test, it has no button that starts a run.
    await expect.poll(() => page.locator('#dry-run, #start-real').count(), { timeout: 5000 }).toBe(0);
    const runsBefore = app.shutdown()!.runner.journal.runs(50).length;
    const statuses = await page.evaluate(async () => {
      const me = (await (await fetch('/api/me')).json()) as { csrfToken: string };
      const headers = { 'content-type': 'application/json', 'x-csrf-token': me.csrfToken };
      const dry = await fetch('/api/plan/dry-run', { method: 'POST', headers, body: '{}' });
      const test = await fetch('/api/shutdown/test', {
        method: 'POST',
        headers,
        body: JSON.stringify({ mode: 'real', subset: ['shed'], confirm: 'homelab' }),
      });
      return [dry.status, test.status];
    });
    expect(statuses).toEqual([403, 403]);
    expect(app.shutdown()!.runner.journal.runs(50)).toHaveLength(runsBefore);
    await screenshot(page, 'viewer-test-view');
    expect(errors).toEqual([]);
    await page.close();
  }, 60_000);
});
