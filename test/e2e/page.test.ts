import { mkdirSync } from 'node:fs';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { App } from '../../src/app.js';
import { launchChromium } from '../helpers/chromium.js';
import { startSimApp } from '../helpers/demo-app.js';

// Real Chromium (Debian's package, installed by `npm test`) against the real server on loopback.
let browser: Browser;
let app: App;
let url: string;

beforeAll(async () => {
  browser = await launchChromium();
  // The demo's scenario at 100x: the outage starts 1.5 s in and ends 4.5 s in.
  app = await startSimApp({ scenario: 'demo-loop', timeScale: 100 });
  url = await app.listen('127.0.0.1', 0);
});

afterAll(async () => {
  await browser.close();
  await app.stop();
});

describe('status page in Chromium', () => {
  it('shows charge, runtime and status, and follows an outage live without reloading', async () => {
    const page = await browser.newPage({ viewport: { width: 1000, height: 650 } });
    const errors: string[] = [];
    page.on('console', (m) => {
      if (m.type() === 'error') errors.push(m.text());
    });
    page.on('pageerror', (e) => errors.push(e.message));
    let navigations = 0;
    page.on('framenavigated', () => navigations++);
    await page.goto(url);
    const card = page.locator('article.ups[data-ups="sim1"]');
    await expect
      .poll(() => card.locator('[data-field="charge"]').textContent(), { timeout: 10_000 })
      .toMatch(/^\d+ %$/);
    await expect.poll(() => card.locator('[data-field="runtime"]').textContent(), { timeout: 10_000 }).toMatch(/min/);
    await expect.poll(() => page.locator('#live').textContent(), { timeout: 10_000 }).toBe('live');
    await expect.poll(() => card.locator('[data-field="state"]').textContent(), { timeout: 8000 }).toBe('ON BATTERY');
    await expect.poll(() => card.locator('[data-field="status"]').textContent(), { timeout: 10_000 }).toContain('OB');
    await expect
      .poll(() => page.locator('#events li[data-type="ONBATT"]').count(), { timeout: 10_000 })
      .toBeGreaterThan(0);
    mkdirSync('test-results', { recursive: true });
    await page.screenshot({ path: 'test-results/page-on-battery.png' });
    await expect.poll(() => card.locator('[data-field="state"]').textContent(), { timeout: 8000 }).toBe('ON LINE');
    await expect
      .poll(() => page.locator('#events li[data-type="ONLINE"]').count(), { timeout: 10_000 })
      .toBeGreaterThan(0);
    expect(navigations).toBe(1);
    expect(errors).toEqual([]);
    await page.close();
  }, 60_000);
});
