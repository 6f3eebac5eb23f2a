import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { App } from '../../src/app.js';
import { launchChromium } from '../helpers/chromium.js';
import { startSimApp } from '../helpers/demo-app.js';
import { testUsers } from '../helpers/web-login.js';
import { fastShutdown, goTo, loginThroughPage, openPage, screenshot } from './actions-fixture.js';

// The test-shutdown view in real Chromium against the real server: a dry run and its verdict, then a real test of a
// subset behind the typed confirmation, followed live, aborted, and started again.
let browser: Browser;
let app: App;
let url: string;

beforeAll(async () => {
  browser = await launchChromium();
  const shutdown = fastShutdown(20);
  // Slow phases, so the real test is still running when the abort is pressed: each target takes a while to stop.
  for (const p of shutdown.plan!.phases) p.timeout_s = 30;
  app = await startSimApp({
    device: 'cyberpower-cp1500pfclcd',
    extra: { users: testUsers(), shutdown, schedule: { dry_run: '' } },
  });
  url = await app.listen('127.0.0.1', 0);
});

afterAll(async () => {
  await browser.close();
  await app.stop();
});

const power = (name: string): string => app.shutdown()!.cluster!.get(name).power;

describe('test shutdown in Chromium', () => {
  it('runs a dry test by default and shows its verdict above the timeline; nothing is powered off', async () => {
    const { page, errors } = await openPage(browser);
    await loginThroughPage(page, url, 'operator');
    await goTo(page, '#/test');
    await page.getByRole('button', { name: 'Run a dry test' }).click();
    const verdict = page.locator('#verdict');
    await expect.poll(() => verdict.textContent(), { timeout: 20_000 }).toMatch(/would take [\d.]+ s of .* runtime/);
    expect(await verdict.textContent()).toMatch(/targets reachable|unreachable/);
    // The timeline under it names the phases in plan order, the point of no return marked.
    const phases = await Promise.all(
      (await page.locator('.timeline [data-phase]').all()).map((l) => l.getAttribute('data-phase')),
    );
    expect(phases).toEqual(['shed', 'core', 'hosts', '(final)']);
    expect(await page.locator('.timeline [data-phase="core"] .badge').first().textContent()).toMatch(
      /point of no return/,
    );
    expect(app.shutdown()!.cluster!.nodes.every((n) => power(n.name) === 'on')).toBe(true);
    await screenshot(page, 'test-shutdown-dry');
    expect(errors).toEqual([]);
    await page.close();
  }, 60_000);

  it('starts a real subset test only with the plan name typed, follows it live, aborts it, and restores', async () => {
    const { page, errors } = await openPage(browser);
    await loginThroughPage(page, url, 'operator');
    await goTo(page, '#/test');
    const start = page.locator('#start-real');
    await expect.poll(() => start.isDisabled(), { timeout: 10_000 }).toBe(true);
    // The shed phase: web1, web2, gitea, win-legacy, jellyfin, three at a time.
    await page.locator('input[name="subset"][value="shed"]').check();
    await start.click();

    const dialog = page.locator('dialog.confirm-dialog[open]');
    await dialog.waitFor();
    const confirm = dialog.getByRole('button', { name: 'Start' });
    expect(await confirm.isDisabled()).toBe(true);
    await dialog.locator('input[name="confirm"]').fill('homela');
    expect(await confirm.isDisabled()).toBe(true);
    // Escape closes the dialog as a cancel: nothing started.
    await page.keyboard.press('Escape');
    await dialog.waitFor({ state: 'detached' }).catch(() => undefined);
    expect(await page.locator('dialog.confirm-dialog[open]').count()).toBe(0);
    expect(
      app
        .shutdown()!
        .runner.journal.runs(10)
        .filter((r) => r.mode === 'real'),
    ).toHaveLength(0);

    await start.click();
    await page.locator('dialog.confirm-dialog[open] input[name="confirm"]').fill('homelab');
    await screenshot(page, 'test-shutdown-confirm');
    await page.locator('dialog.confirm-dialog[open]').getByRole('button', { name: 'Start' }).click();

    const progress = page.locator('#run-progress');
    await expect.poll(() => progress.getAttribute('data-status'), { timeout: 10_000 }).toBe('running');
    // Live: a target of the shed phase shows a step state from the stream while the run goes.
    await expect
      .poll(() => progress.locator('.timeline [data-phase="shed"] [data-step-state]').count(), { timeout: 15_000 })
      .toBeGreaterThan(0);
    await page.locator('#abort-run').click();
    await page.locator('dialog.confirm-dialog[open]').getByRole('button', { name: 'Abort run' }).click();
    await expect.poll(() => progress.getAttribute('data-status'), { timeout: 30_000 }).toBe('aborted');
    // Only the shed phase was in the test: core and the hosts stayed on.
    expect(power('postgres')).toBe('on');
    expect(power('pve1')).toBe('on');
    expect(power('pve2')).toBe('on');
    await screenshot(page, 'test-shutdown-aborted');

    // Start again what it shut down.
    const offBefore = ['web1', 'web2', 'gitea', 'win-legacy', 'jellyfin'].filter((n) => power(n) !== 'on');
    await page.locator('#restore-run').click();
    const restored = page.locator('#restore-result');
    await expect.poll(() => restored.textContent(), { timeout: 20_000 }).toMatch(/Started again|Nothing needed/);
    for (const n of offBefore) expect(await restored.textContent()).toContain(n);
    expect(errors).toEqual([]);
    await page.close();
  }, 120_000);

  it('refuses an unknown subset name by name and starts nothing', async () => {
    const { page, errors } = await openPage(browser);
    await loginThroughPage(page, url, 'operator');
    await goTo(page, '#/test');
    const runsBefore = app.shutdown()!.runner.journal.runs(50).length;
    const web1Before = power('web1');
    await page.locator('input[name="subset"][value="web1"]').check();
    await page.locator('#subset-extra').fill('no-such-vm');
    await page.locator('#start-real').click();
    await page.locator('dialog.confirm-dialog[open] input[name="confirm"]').fill('homelab');
    await page.locator('dialog.confirm-dialog[open]').getByRole('button', { name: 'Start' }).click();
    await expect.poll(() => page.locator('#test-error').textContent(), { timeout: 10_000 }).toContain('no-such-vm');
    expect(await page.locator('#test-error').textContent()).not.toContain('web1');
    expect(app.shutdown()!.runner.journal.runs(50)).toHaveLength(runsBefore);
    expect(power('web1')).toBe(web1Before);
    expect(errors).toEqual([]);
    await page.close();
  }, 60_000);

  it('fits a 390 px phone in dark mode: no horizontal scroll on the test, plan and policy views', async () => {
    const { page, errors } = await openPage(browser, { width: 390, height: 844, colorScheme: 'dark' });
    await loginThroughPage(page, url, 'operator');
    for (const [route, ready] of [
      ['#/test', '#dry-run'],
      ['#/plan', '.timeline [data-phase]'],
      ['#/policy', '#policy-rules'],
    ] as const) {
      await goTo(page, route);
      await page.locator(ready).first().waitFor({ timeout: 10_000 });
      const overflow = await page.evaluate<number>(
        'document.documentElement.scrollWidth - document.documentElement.clientWidth',
      );
      expect(overflow, route).toBeLessThanOrEqual(0);
      await screenshot(page, `phone-dark-${route.slice(2)}`);
    }
    expect(errors).toEqual([]);
    await page.close();
  }, 60_000);
});
