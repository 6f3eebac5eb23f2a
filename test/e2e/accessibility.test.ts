import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { App } from '../../src/app.js';
import { browserLogin } from '../helpers/browser-login.js';
import { launchChromium } from '../helpers/chromium.js';
import { startSimApp } from '../helpers/demo-app.js';
import { TEST_PASSWORDS, testUsers } from '../helpers/web-login.js';

// axe-core, the accessibility engine browsers' own audits use, run inside real Chromium on every view of the
// console as an admin sees it (the most controls), light and dark. Serious and critical findings fail the test.
const axeSource = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');

interface AxeViolation {
  id: string;
  impact: string | null;
  help: string;
  nodes: { target: string[] }[];
}

const VIEWS = [
  '#/',
  '#/history',
  '#/events',
  '#/policy',
  '#/plan',
  '#/test',
  '#/devices',
  '#/nut',
  '#/restore',
  '#/notifications',
  '#/admin/users',
  '#/admin/sessions',
  '#/admin/tokens',
  '#/admin/audit',
];

let browser: Browser;
let app: App;
let url: string;

beforeAll(async () => {
  browser = await launchChromium();
  app = await startSimApp({ scenario: 'demo-loop', timeScale: 20, extra: { users: testUsers() } });
  url = await app.listen('127.0.0.1', 0);
});

afterAll(async () => {
  await browser.close();
  await app.stop();
});

/** Serious and critical findings on the page as it is now, each as `rule: help (selectors)`. */
async function seriousFindings(page: Page): Promise<string[]> {
  // Evaluated through the DevTools protocol, which the page's CSP (script-src 'self') does not govern.
  await page.evaluate(axeSource);
  // A string, so it runs in the page (this file is type-checked without the DOM's types).
  const violations = await page.evaluate<AxeViolation[]>('axe.run(document).then((r) => r.violations)');
  return violations
    .filter((v) => v.impact === 'serious' || v.impact === 'critical')
    .map((v) => `${v.id}: ${v.help} (${v.nodes.map((n) => n.target.join(' ')).join(', ')})`);
}

describe('accessibility (axe-core in Chromium)', () => {
  for (const scheme of ['light', 'dark'] as const) {
    it(`the login page and every view have no serious or critical findings (${scheme})`, async () => {
      const context = await browser.newContext({ colorScheme: scheme, viewport: { width: 1366, height: 900 } });
      const page = await context.newPage();
      await page.goto(url);
      await page.getByLabel('User').waitFor();
      const findings: Record<string, string[]> = { login: await seriousFindings(page) };
      await browserLogin(page, url, 'admin', TEST_PASSWORDS.admin);
      for (const view of VIEWS) {
        await page.goto(`${url}/${view}`);
        await page.getByTestId('who').waitFor();
        await page.locator('main h1, main h2').first().waitFor();
        // Views fill in from their API calls; axe should see the filled view, not its loading state (the live stream
        // keeps the network busy for good, so it waits for content, not for network idle).
        await page
          .locator('main .muted, main table, main article, main figure, main form, main ol, main ul')
          .first()
          .waitFor();
        findings[view] = await seriousFindings(page);
      }
      await context.close();
      const failing = Object.fromEntries(Object.entries(findings).filter(([, f]) => f.length > 0));
      expect(failing).toEqual({});
    }, 120_000);
  }
});
