import { mkdirSync } from 'node:fs';
import type { Browser, Page } from 'playwright-core';
import type { ConfigInput } from '../../src/config/schema.js';
import { demoShutdown } from '../../src/config/demo-shutdown.js';
import { TEST_PASSWORDS } from '../helpers/web-login.js';

/**
 * Shared by the e2e tests of the policy, plan, test-shutdown and admin views: the demo's plan on a fast simulated
 * cluster, a browser page that records console errors, and a login through the page's own form.
 */
export function fastShutdown(timeScale = 200): NonNullable<ConfigInput['shutdown']> {
  const shutdown = structuredClone(demoShutdown.shutdown)!;
  if (!shutdown.sim_cluster || !shutdown.plan) throw new Error('the demo has a plan and a cluster');
  shutdown.sim_cluster.time_scale = timeScale;
  shutdown.sim_cluster.call_latency_ms = 1;
  return {
    ...shutdown,
    poll_interval_ms: 50,
    hard_off_timeout_s: 1,
    default_estimate_s: { vm: 0.5, host: 0.5 },
  };
}

export interface TestPage {
  page: Page;
  /** Console errors and uncaught exceptions; a test ends by expecting none. */
  errors: string[];
}

export async function openPage(
  browser: Browser,
  opts: { width?: number; height?: number; colorScheme?: 'light' | 'dark' } = {},
): Promise<TestPage> {
  // A context of its own (cookies, permissions), so a test can open a second page in the same session.
  const context = await browser.newContext({
    viewport: { width: opts.width ?? 1200, height: opts.height ?? 900 },
    colorScheme: opts.colorScheme ?? 'light',
  });
  const page = await context.newPage();
  // A missing element fails the test in seconds, not at the test's own timeout.
  page.setDefaultTimeout(15_000);
  page.on('close', () => {
    // Not awaited: a file's last page closes just before afterAll closes the browser, and then this close rejects
    // ("Target page, context or browser has been closed"), which is no fault: the context goes with the browser.
    if (context.pages().length === 0) context.close().catch(() => undefined);
  });
  const errors: string[] = [];
  page.on('console', (m) => {
    // A refused request (403 on purpose in a test) is logged by Chromium as a resource error: not a page fault.
    if (m.type() === 'error' && !/Failed to load resource/.test(m.text())) errors.push(m.text());
  });
  page.on('pageerror', (e) => errors.push(e.message));
  return { page, errors };
}

/** Logs in through the page's form as one of the test users (`testUsers()` in the config). */
export async function loginThroughPage(page: Page, url: string, user: 'admin' | 'operator' | 'viewer'): Promise<void> {
  await page.goto(url);
  await page.locator('#login-user').fill(user);
  await page.locator('#login-password').fill(TEST_PASSWORDS[user]);
  await page.locator('#login-password').press('Enter');
  await page.locator('#login-user').waitFor({ state: 'detached', timeout: 10_000 });
}

export async function goTo(page: Page, route: string): Promise<void> {
  await page.evaluate(`location.hash = ${JSON.stringify(route)}`);
}

export async function screenshot(page: Page, name: string): Promise<void> {
  mkdirSync('test-results', { recursive: true });
  await page.screenshot({ path: `test-results/${name}.png`, fullPage: true });
}
