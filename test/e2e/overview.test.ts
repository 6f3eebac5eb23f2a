import { mkdirSync } from 'node:fs';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { App } from '../../src/app.js';
import { demoShutdown } from '../../src/config/demo-shutdown.js';
import { browserLogin, collectPageErrors } from '../helpers/browser-login.js';
import { launchChromium } from '../helpers/chromium.js';
import { startSimApp } from '../helpers/demo-app.js';
import { TEST_PASSWORDS, testUsers } from '../helpers/web-login.js';

// The overview in real Chromium, following a simulated outage live: the demo's scenario at 20x (the outage starts
// 7.5 s in and lasts 15 s), with a policy that trips after 10 min on battery, so the decision has a time to count.
let browser: Browser;
let app: App;
let url: string;

/** "9 min 52 s" -> 592. */
/** The seconds left in the decision sentence's "starts in 9 min 59 s (…)"; NaN when it has no such clock. */
function seconds(text: string): number {
  const m = /starts in (?:(\d+) min)? ?(?:(\d+) s)? \(/.exec(text);
  return m ? Number(m[1] ?? 0) * 60 + Number(m[2] ?? 0) : NaN;
}

beforeAll(async () => {
  browser = await launchChromium();
  app = await startSimApp({
    scenario: 'demo-loop',
    timeScale: 20,
    // The demo's plan on its simulated cluster: the decision then has a plan and a start time to count down to.
    extra: {
      users: testUsers(),
      policy: { on_battery_s: 600, flicker_s: 0 },
      shutdown: structuredClone(demoShutdown.shutdown),
      schedule: { dry_run: '' },
    },
  });
  url = await app.listen('127.0.0.1', 0);
});

afterAll(async () => {
  await browser.close();
  await app.stop();
});

describe('the overview in Chromium', () => {
  it('follows an outage live: state, banner, tab title, and the decision counting down, without reloading', async () => {
    const page = await browser.newPage({ viewport: { width: 1366, height: 800 } });
    const errors = collectPageErrors(page);
    await browserLogin(page, url, 'viewer', TEST_PASSWORDS.viewer);
    let navigations = 0;
    page.on('framenavigated', () => navigations++);
    const card = page.locator('article.ups[data-ups="sim1"]');
    await expect
      .poll(() => card.locator('[data-field="charge"]').textContent(), { timeout: 10_000 })
      .toMatch(/^\d+ %$/);
    await expect.poll(() => card.locator('[data-field="runtime"]').textContent(), { timeout: 10_000 }).toMatch(/min/);
    for (const field of ['load', 'input', 'output', 'battery-voltage', 'self-test', 'updated']) {
      expect(await card.locator(`[data-field="${field}"]`).count(), field).toBe(1);
    }

    await expect.poll(() => card.locator('[data-field="state"]').textContent(), { timeout: 15_000 }).toBe('ON BATTERY');
    await expect.poll(() => page.title(), { timeout: 5000 }).toBe('⚠ ON BATTERY · upsguard');
    await expect.poll(() => page.getByTestId('alarm-banner').textContent()).toContain('On battery: sim1');
    // The decision: the policy's 10 min on battery, counted down by the page between server messages.
    // Said once, in the sentence: no second line repeating the countdown.
    const sentence = page.getByTestId('decision');
    await expect
      .poll(() => sentence.textContent(), { timeout: 10_000 })
      .toMatch(/^On battery \d+ s\. Plan \S+ starts in \d+ min/);
    expect(await page.locator('.decision p').count()).toBe(1);
    expect(await page.locator('.decision').textContent()).not.toMatch(/Starts in/);
    const first = seconds((await sentence.textContent()) ?? '');
    await expect.poll(async () => seconds((await sentence.textContent()) ?? ''), { timeout: 5000 }).toBeLessThan(first);
    expect(first).toBeGreaterThan(540);
    expect(first).toBeLessThanOrEqual(600);
    mkdirSync('test-results', { recursive: true });
    await page.screenshot({ path: 'test-results/overview-on-battery.png', fullPage: true });

    await expect.poll(() => card.locator('[data-field="state"]').textContent(), { timeout: 20_000 }).toBe('ON MAINS');
    await expect.poll(() => page.title(), { timeout: 5000 }).toBe('upsguard');
    await expect.poll(() => page.getByTestId('alarm-banner').count()).toBe(0);
    await expect.poll(async () => seconds((await sentence.textContent()) ?? ''), { timeout: 10_000 }).toBeNaN();
    await expect
      .poll(() => page.getByTestId('decision').textContent(), { timeout: 10_000 })
      .toContain('Nothing will shut down');
    expect(navigations).toBe(0);
    expect(errors).toEqual([]);
    await page.close();
  }, 90_000);

  it('lists the outage in the events view, with its UPS and wording from the server', async () => {
    const page = await browser.newPage({ viewport: { width: 1366, height: 800 } });
    const errors = collectPageErrors(page);
    await browserLogin(page, url, 'viewer', TEST_PASSWORDS.viewer);
    await page.goto(`${url}#/events`);
    await expect
      .poll(() => page.locator('table.events tr[data-type="ONBATT"]').count(), { timeout: 30_000 })
      .toBeGreaterThan(0);
    const row = page.locator('table.events tr[data-type="ONBATT"]').first();
    expect(await row.locator('td').nth(2).textContent()).toBe('sim1');
    // Filtered to ONLINE only: no ONBATT row is left.
    await page.getByLabel('Type').selectOption('ONLINE');
    await expect.poll(() => page.locator('table.events tr[data-type="ONBATT"]').count()).toBe(0);
    expect(await page.getByRole('link', { name: 'Export CSV' }).getAttribute('href')).toBe(
      '/api/events.csv?type=ONLINE',
    );
    expect(errors).toEqual([]);
    await page.close();
  }, 60_000);
});
