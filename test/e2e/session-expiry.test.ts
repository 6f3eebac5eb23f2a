import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { App } from '../../src/app.js';
import { systemClock, type Clock } from '../../src/util/clock.js';
import { browserLogin } from '../helpers/browser-login.js';
import { launchChromium } from '../helpers/chromium.js';
import { startSimApp } from '../helpers/demo-app.js';
import { TEST_PASSWORDS, testUsers } from '../helpers/web-login.js';

// A session left idle past web.session_idle_s ends on the server; the open page then asks for a login again. The
// appliance runs on a clock that can jump ahead, so the test need not wait half an hour.
let browser: Browser;
let app: App;
let url: string;
let skewMs = 0;
const clock: Clock = { ...systemClock, now: () => Date.now() + skewMs };

beforeAll(async () => {
  browser = await launchChromium();
  app = await startSimApp({ clock, extra: { users: testUsers(), web: { session_idle_s: 600, session_max_s: 3600 } } });
  url = await app.listen('127.0.0.1', 0);
});

afterAll(async () => {
  await browser.close();
  await app.stop();
});

describe('session expiry in Chromium', () => {
  it('an idle session ends: the next view asks for the password again, and a new login works', async () => {
    const page = await browser.newPage();
    await browserLogin(page, url, 'viewer', TEST_PASSWORDS.viewer);
    await page.goto(`${url}/#/events`);
    await page.getByTestId('who').waitFor();
    // Nine minutes idle is inside the limit: still logged in.
    skewMs += 9 * 60_000;
    await page.reload();
    await page.getByTestId('who').waitFor();
    expect(await page.getByLabel('Password').count()).toBe(0);
    // Eleven more: past the idle limit since the last use.
    skewMs += 11 * 60_000;
    await page.reload();
    await expect.poll(() => page.getByLabel('Password').count(), { timeout: 10_000 }).toBe(1);
    expect(await page.getByTestId('who').count()).toBe(0);
    await browserLogin(page, url, 'viewer', TEST_PASSWORDS.viewer);
    expect(await page.getByLabel('Password').count()).toBe(0);
    await page.close();
  }, 60_000);
});
