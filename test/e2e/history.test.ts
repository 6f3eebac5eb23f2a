import Database from 'better-sqlite3';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { App } from '../../src/app.js';
import { browserLogin, collectPageErrors, hasHorizontalScroll } from '../helpers/browser-login.js';
import { launchChromium } from '../helpers/chromium.js';
import { startSimApp } from '../helpers/demo-app.js';
import { TEST_PASSWORDS, testUsers } from '../helpers/web-login.js';

// The history view in real Chromium over a store seeded with a year of hour rollups (as the rollup leaves them) and
// a few events, next to the live sim's own readings.
const HOUR = 3_600_000;
const VARS: Readonly<Record<string, (i: number) => number>> = {
  'battery.charge': (i) => 60 + 40 * Math.abs(Math.sin(i / 50)),
  'battery.runtime': (i) => 1200 + 600 * Math.sin(i / 70),
  'ups.load': (i) => 30 + 10 * Math.sin(i / 24),
  'input.voltage': (i) => 230 + 4 * Math.sin(i / 12),
  'output.voltage': (i) => 230 + 2 * Math.sin(i / 12),
};
const SEEDED_EVENTS = 6;

let browser: Browser;
let app: App;
let url: string;
let dir: string;

function seed(path: string, now: number): void {
  const db = new Database(path);
  db.pragma('busy_timeout = 5000');
  const rollup = db.prepare(
    'INSERT OR REPLACE INTO rollups (resolution, ups, var, bucket, min, max, sum, count) VALUES (?, ?, ?, ?, ?, ?, ?, ?)',
  );
  const event = db.prepare('INSERT INTO events (at, type, ups, message) VALUES (?, ?, ?, ?)');
  const firstHour = Math.floor((now - 365 * 24 * HOUR) / HOUR) * HOUR;
  db.transaction(() => {
    for (let i = 0; i < 365 * 24 - 2; i++) {
      for (const [name, f] of Object.entries(VARS)) {
        const avg = f(i);
        rollup.run('hour', 'sim1', name, firstHour + i * HOUR, avg - 3, avg + 3, avg * 3600, 3600);
      }
    }
    // The 6 h rollups record() keeps beside the hours (filled as migration 0007 fills them): the 1 y chart reads them.
    db.exec(`INSERT OR REPLACE INTO rollups_6h (ups, var, bucket, min, max, sum, count)
      SELECT ups, var, (bucket / 21600000) * 21600000, MIN(min), MAX(max), SUM(sum), SUM(count)
      FROM rollups WHERE resolution = 'hour' AND ups = 'sim1' GROUP BY 1, 2, 3`);
    for (let k = 0; k < SEEDED_EVENTS; k++) {
      const at = firstHour + (k + 1) * 50 * 24 * HOUR;
      event.run(
        at,
        k % 2 ? 'ONLINE' : 'ONBATT',
        'sim1',
        k % 2 ? 'sim1: back on mains after 2 min' : 'sim1: on battery',
      );
    }
  })();
  db.close();
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'upsguard-history-e2e-'));
  const path = join(dir, 'upsguard.db');
  browser = await launchChromium();
  app = await startSimApp({ scenario: 'steady', extra: { users: testUsers(), store: { path } } });
  seed(path, Date.now());
  url = await app.listen('127.0.0.1', 0);
});

afterAll(async () => {
  await browser.close();
  await app.stop();
  rmSync(dir, { recursive: true, force: true });
});

describe('the history view in Chromium', () => {
  for (const [label, options] of [
    ['wide', { viewport: { width: 1366, height: 800 } }],
    ['phone', { viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true }],
    ['dark', { viewport: { width: 1366, height: 800 }, colorScheme: 'dark' as const }],
  ] as const) {
    it(`draws a year of seeded history: five charts, each a band and its average, events as markers (${label})`, async () => {
      const page = await browser.newPage(options);
      const errors = collectPageErrors(page);
      await browserLogin(page, url, 'viewer', TEST_PASSWORDS.viewer);
      await page.goto(`${url}#/history`);
      await page.getByRole('button', { name: '1 y' }).click();
      const charts = page.locator('figure.chart');
      await expect.poll(() => charts.count(), { timeout: 15_000 }).toBe(5);
      for (const name of Object.keys(VARS)) {
        const chart = page.locator(`figure.chart[data-var="${name}"]`);
        // The figures appear with the range's answer; uPlot draws its canvas into each a moment later.
        await expect.poll(() => chart.locator('canvas').count(), { timeout: 10_000 }).toBe(1);
        // uPlot's legend: the time, then min, the average and max (the band's edges).
        expect(await chart.locator('.u-legend .u-series').count(), name).toBe(4);
        const points = Number(
          /(\d+) points/.exec((await chart.locator('.chart-box').getAttribute('aria-label')) ?? '')?.[1],
        );
        // A year of hour rollups, merged by the server into a bounded number of points: far more than the live sim's.
        expect(points, name).toBeGreaterThan(300);
        expect(points, name).toBeLessThanOrEqual(1500);
      }
      await expect
        .poll(() => page.locator('details.markers summary').textContent())
        .toMatch(/^\d+ events in this range$/);
      const markers = Number(/^(\d+)/.exec((await page.locator('details.markers summary').textContent()) ?? '')?.[1]);
      expect(markers).toBeGreaterThanOrEqual(SEEDED_EVENTS);
      const csv = await page.getByRole('link', { name: 'Export CSV' }).getAttribute('href');
      expect(csv).toContain('/api/history.csv?ups=sim1&var=');
      expect(csv).toContain('range=1y');
      expect(await hasHorizontalScroll(page)).toBe(false);
      mkdirSync('test-results', { recursive: true });
      await page.screenshot({ path: `test-results/history-${label}-1y.png`, fullPage: true });

      // Drag-select zooms in (uPlot's select); a double click resets to the whole range.
      if (label === 'wide') {
        const over = page.locator('figure.chart[data-var="battery.charge"] .u-over');
        const box = await over.boundingBox();
        if (!box) throw new Error('no plot area');
        const xMin = async (): Promise<string> =>
          (await page.locator('figure.chart[data-var="battery.charge"] .chart-box').getAttribute('data-x-range')) ?? '';
        const before = await xMin();
        await page.mouse.move(box.x + box.width * 0.4, box.y + box.height / 2);
        await page.mouse.down();
        await page.mouse.move(box.x + box.width * 0.5, box.y + box.height / 2, { steps: 5 });
        await page.mouse.up();
        await expect.poll(xMin).not.toBe(before);
        await over.dblclick();
        await expect.poll(xMin).toBe(before);
      }
      expect(errors).toEqual([]);
      await page.close();
    }, 90_000);
  }
});
