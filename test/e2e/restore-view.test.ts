import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { App } from '../../src/app.js';
import { demoShutdown } from '../../src/config/demo-shutdown.js';
import { launchChromium } from '../helpers/chromium.js';
import { startSimApp } from '../helpers/demo-app.js';
import { tempDir } from '../helpers/tmp.js';
import { testUsers } from '../helpers/web-login.js';
import { goTo, loginThroughPage, openPage, screenshot } from './actions-fixture.js';

// The restore view in real Chromium, followed live through a whole cycle on the simulated UPS and cluster (time scale
// 100): outage, shutdown, load-off, mains back, the hosts boot, the VMs without autostart started by the restore.
let browser: Browser;
let app: App;
let url: string;

/** The demo's shutdown, fast: the same as the shutdown story's (test/integration/shutdown-story.test.ts). */
function fastDemo(): Record<string, unknown> {
  const s = structuredClone(demoShutdown.shutdown) as Record<string, unknown> & {
    sim_cluster: { time_scale: number; call_latency_ms: number };
    plan: { phases: { timeout_s: number }[] };
  };
  s.sim_cluster.time_scale = 100;
  s.sim_cluster.call_latency_ms = 2;
  for (const p of s.plan.phases) p.timeout_s = 1;
  return {
    ...s,
    poll_interval_ms: 100,
    hard_off_timeout_s: 1,
    default_estimate_s: { vm: 0.5, host: 0.5 },
    rearm_after_s: 1,
  };
}

beforeAll(async () => {
  browser = await launchChromium();
  const scenario = join(tempDir(), 'story.seq');
  writeFileSync(scenario, '0 mains on\n0 load 20\n1000 mains off\n1650 mains on\n');
  app = await startSimApp({
    scenario,
    timeScale: 100,
    device: 'cyberpower-cp1500pfclcd',
    extra: {
      policy: { on_battery_s: 1.5, flicker_s: 0.5 },
      shutdown: fastDemo(),
      restore: { ...demoShutdown.restore, mains_steady_s: 1 },
      schedule: { dry_run: '' },
      users: testUsers(),
    },
  });
  url = await app.listen('127.0.0.1', 0);
});

afterAll(async () => {
  await browser.close();
  await app.stop();
});

describe('the restore view in Chromium', () => {
  it('shows nothing to restore before the outage, then follows the restore live to "as before the outage"', async () => {
    const { page, errors } = await openPage(browser);
    await loginThroughPage(page, url, 'viewer');
    await goTo(page, '#/restore');
    const state = page.getByTestId('restore-summary');
    // Opened before the outage (mains fails 10 s in): the page is not reloaded after this, so what follows comes from the stream.
    expect(await state.getAttribute('data-state')).toBe('none');
    // One sentence, no empty timeline.
    expect(await state.textContent()).toContain(
      'No outage has shut the cluster down yet: there is nothing to restore.',
    );
    expect(await page.getByText('What comes back, in order').count()).toBe(0);

    await expect.poll(() => state.getAttribute('data-state'), { timeout: 40_000 }).toBe('restored');
    expect(await page.getByTestId('restore-as-before').textContent()).toContain('as before the outage');
    expect(await page.getByTestId('restore-duration').textContent()).toMatch(/^Back in \d+ (s|min)/);

    // Tiers in order: the hosts, the plan's phases last first, then what stayed off (if anything did).
    const tiers = await Promise.all(
      (await page.locator('.restore-timeline [data-tier]').all()).map((l) => l.getAttribute('data-tier')),
    );
    expect(tiers[0]).toBe('hosts');
    // The demo's plan is shed, then core (the hosts last): back in the other order. Nothing was off before.
    expect(tiers).toEqual(['hosts', 'core', 'shed']);
    // postgres has no autostart: started by the restore, shown done with when it was back.
    const postgres = page.locator('.rt-target[data-target="postgres"]');
    expect(await postgres.getAttribute('data-state')).toBe('done');
    expect(await postgres.textContent()).toMatch(/back at/);
    // jellyfin autostarts: the platform brought it back, counted as already on.
    expect(await page.locator('.rt-target[data-target="jellyfin"]').getAttribute('data-state')).toBe('already_on');
    // Every target is back; none failed.
    expect(await page.locator('.rt-target[data-state="failed"]').count()).toBe(0);
    // The conditions that held: mains steady, both bars shown met or not in words.
    const conditions = page.getByTestId('restore-conditions');
    expect(await conditions.textContent()).toMatch(/mains steady for .* of 1 s|mains present/);
    expect(await conditions.locator('[data-bar]').count()).toBe(2);
    await screenshot(page, 'restore-restored');

    // The overview says it in one line, linking to the view.
    await goTo(page, '#/');
    const line = page.getByTestId('restore-line');
    await line.waitFor();
    expect(await line.getAttribute('data-state')).toBe('restored');
    expect(await line.textContent()).toContain('as before the outage');
    await line.getByRole('link', { name: 'see the restore' }).click();
    await page.getByTestId('restore-summary').waitFor();
    expect(page.url()).toMatch(/#\/restore$/);

    // The events view filters by the restore's events.
    await goTo(page, '#/events');
    const options = await page.locator('select option').allTextContents();
    for (const t of ['RESTORE_STARTED', 'HOST_BACK', 'RESTORED', 'RESTORE_INCOMPLETE', 'NOTIFY_TEST'])
      expect(options).toContain(t);
    expect(errors).toEqual([]);
    await page.close();
  }, 90_000);
});
