import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { App } from '../../src/app.js';
import { launchChromium } from '../helpers/chromium.js';
import { startSimApp } from '../helpers/demo-app.js';
import { testUsers } from '../helpers/web-login.js';
import { HttpReceiver } from '../notify/http-receiver.js';
import { goTo, loginThroughPage, openPage, screenshot } from './actions-fixture.js';

// The notifications view in real Chromium against the real appliance and a real HTTP receiver on loopback: one
// channel that delivers, one whose receiver refuses (HTTP 500), an admin's test per channel, a viewer without one.
const TOKEN = 'S3cr3t-gotify-app-token';
let browser: Browser;
let app: App;
let url: string;
const receiver = new HttpReceiver();

beforeAll(async () => {
  browser = await launchChromium();
  const base = await receiver.start();
  receiver.answer = (r) => (r.path.startsWith('/broken') ? 500 : 200);
  app = await startSimApp({
    extra: {
      users: testUsers(),
      notify: {
        channels: [
          { name: 'ops', kind: 'webhook', url: `${base}/hook?key=${TOKEN}`, events: ['LOWBATT'] },
          { name: 'broken', kind: 'webhook', url: `${base}/broken`, quiet_hours: { from: '22:00', to: '07:00' } },
        ],
      },
    },
  });
  url = await app.listen('127.0.0.1', 0);
});

afterAll(async () => {
  await browser.close();
  await app.stop();
  await receiver.stop();
});

describe('the notifications view in Chromium', () => {
  it('shows each channel and its queue; an admin sends a test that is delivered, or fails and shows failing', async () => {
    const { page, errors } = await openPage(browser);
    await loginThroughPage(page, url, 'admin');
    await goTo(page, '#/notifications');
    const ops = page.locator('[data-channel="ops"]');
    const broken = page.locator('[data-channel="broken"]');
    await ops.waitFor();
    expect(await ops.textContent()).toMatch(/webhook/);
    expect(await ops.textContent()).toMatch(/LOWBATT, severity info and above/);
    expect(await broken.textContent()).toMatch(/22:00–07:00/);
    expect(await ops.getByTestId('notify-last-delivered').textContent()).toBe('never');

    await ops.getByRole('button', { name: 'Send a test to ops' }).click();
    expect(await ops.getByTestId('notify-test-result').textContent()).toMatch(/Test queued for ops \(message .+\)/);
    await expect.poll(() => receiver.received.filter((r) => r.path.startsWith('/hook')).length).toBe(1);
    // The view asks again by itself: the delivery shows without a reload.
    await expect
      .poll(() => ops.getByTestId('notify-last-delivered').textContent(), { timeout: 15_000 })
      .not.toBe('never');
    await expect
      .poll(() => page.locator('[data-testid="notify-recent"] tr[data-state="sent"]').count(), { timeout: 15_000 })
      .toBe(1);

    await broken.getByRole('button', { name: 'Send a test to broken' }).click();
    await broken.getByTestId('notify-test-result').waitFor();
    await broken.getByTestId('notify-failing').waitFor({ timeout: 15_000 });
    expect(await broken.getByTestId('notify-pending').textContent()).toMatch(/^\s*1, the oldest since/);
    expect(await broken.textContent()).toMatch(/500/);
    expect(await page.locator('[data-testid="notify-recent"] tr[data-state="pending"]').count()).toBe(1);
    // No secret of a channel reaches the page.
    expect(await page.content()).not.toContain(TOKEN);
    await screenshot(page, 'notifications-admin');
    expect(errors).toEqual([]);
    await page.close();
  }, 60_000);

  it('a viewer sees the channels without a test button', async () => {
    const { page, errors } = await openPage(browser);
    await loginThroughPage(page, url, 'viewer');
    await goTo(page, '#/notifications');
    await page.locator('[data-channel="ops"]').waitFor();
    expect(await page.getByRole('button', { name: /Send a test/ }).count()).toBe(0);
    expect(errors).toEqual([]);
    await page.close();
  }, 30_000);
});
