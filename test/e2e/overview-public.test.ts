import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { App } from '../../src/app.js';
import { collectPageErrors } from '../helpers/browser-login.js';
import { launchChromium } from '../helpers/chromium.js';
import { startSimApp } from '../helpers/demo-app.js';
import { TEST_PASSWORDS, testUsers } from '../helpers/web-login.js';

// web.public_status: the overview without login, and a way to log in for the rest.
let browser: Browser;
let app: App;
let url: string;

beforeAll(async () => {
  browser = await launchChromium();
  app = await startSimApp({ scenario: 'steady', extra: { users: testUsers(), web: { public_status: true } } });
  url = await app.listen('127.0.0.1', 0);
});

afterAll(async () => {
  await browser.close();
  await app.stop();
});

describe('the overview with web.public_status', () => {
  it('shows the UPSes and the decision without login, no nav, and a log-in button that leads to the rest', async () => {
    const page = await browser.newPage({ viewport: { width: 1366, height: 800 } });
    const errors = collectPageErrors(page);
    await page.goto(url);
    const card = page.locator('article.ups[data-ups="sim1"]');
    await expect
      .poll(() => card.locator('[data-field="charge"]').textContent(), { timeout: 10_000 })
      .toMatch(/^\d+ %$/);
    await expect.poll(() => page.getByTestId('decision').textContent()).toContain('Nothing will shut down');
    expect(await page.getByRole('navigation', { name: 'Views' }).count()).toBe(0);
    expect(await page.getByLabel('Password').count()).toBe(0);

    await page.getByRole('button', { name: 'Log in' }).click();
    await page.getByLabel('User').fill('operator');
    await page.getByLabel('Password').fill(TEST_PASSWORDS.operator);
    await page.getByRole('button', { name: 'Log in' }).click();
    await expect.poll(() => page.getByTestId('who').textContent(), { timeout: 10_000 }).toBe('operator (operator)');
    const nav = page.getByRole('navigation', { name: 'Views' });
    expect(await nav.getByRole('link', { name: 'Test shutdown', exact: true }).count()).toBe(1);
    expect(await nav.getByRole('link', { name: 'Users', exact: true }).count()).toBe(0);
    expect(errors).toEqual([]);
    await page.close();
  }, 60_000);
});
