import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { App } from '../../src/app.js';
import { demoShutdown } from '../../src/config/demo-shutdown.js';
import { launchChromium } from '../helpers/chromium.js';
import { startSimApp } from '../helpers/demo-app.js';
import { sleep } from '../helpers/until.js';

// The plan, the runs and the test-shutdown button, driven in real Chromium against the real server.
let browser: Browser;
let app: App;
let url: string;

beforeAll(async () => {
  browser = await launchChromium();
  const shutdown = structuredClone(demoShutdown.shutdown)!;
  if (!shutdown.sim_cluster || !shutdown.plan) throw new Error('the demo has a plan and a cluster');
  shutdown.sim_cluster.time_scale = 200;
  shutdown.sim_cluster.call_latency_ms = 1;
  for (const p of shutdown.plan.phases) p.timeout_s = 1;
  app = await startSimApp({
    device: 'cyberpower-cp1500pfclcd',
    extra: {
      shutdown: {
        ...shutdown,
        poll_interval_ms: 50,
        hard_off_timeout_s: 1,
        default_estimate_s: { vm: 0.5, host: 0.5 },
      },
      schedule: { dry_run: '' },
    },
  });
  url = await app.listen('127.0.0.1', 0);
});

afterAll(async () => {
  await browser.close();
  await app.stop();
});

describe('shutdown panel in Chromium', () => {
  it('shows the plan in order with its estimate, runs a dry test by default, and a real one only with the plan name typed', async () => {
    const page = await browser.newPage({ viewport: { width: 1200, height: 900 } });
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    await page.goto(url);
    const plan = page.locator('#plan');
    await expect
      .poll(() => plan.textContent(), { timeout: 10_000 })
      .toMatch(/Plan homelab: about [\d.]+ s end to end; runtime left/);
    const phases = await plan.locator('li').allTextContents();
    expect(phases.map((p) => p.split(/\s/)[0])).toEqual(['shed', 'core', 'hosts', 'final']);

    // Dry is the default: a click runs a dry run, and nothing is powered off.
    await page.getByRole('button', { name: 'Test shutdown', exact: true }).click();
    const dry = page.locator('#runs li[data-mode="dry"]').first();
    await expect.poll(() => dry.getAttribute('data-status'), { timeout: 15_000 }).toBe('completed');
    // The run the button started opens with its steps (the page re-renders the list every 2 s: poll, don't grab).
    await expect
      .poll(
        async () => (await dry.locator('table.steps').count()) > 0 && (await dry.locator('table.steps').textContent()),
        {
          timeout: 10_000,
        },
      )
      .toMatch(/web1/);
    expect(app.shutdown()!.cluster!.nodes.every((n) => app.shutdown()!.cluster!.get(n.name).power === 'on')).toBe(true);

    // Real asks for the plan's name; a wrong name is refused and nothing runs.
    await page.locator('input[name="mode"][value="real"]').check();
    page.once('dialog', (d) => void d.accept('not-the-plan'));
    await page.getByRole('button', { name: 'Test shutdown', exact: true }).click();
    await expect
      .poll(() => page.locator('#test-result').textContent(), { timeout: 10_000 })
      .toMatch(/needs "confirm" set to the plan's name \(homelab\)/);
    expect(await page.locator('#runs li[data-mode="real"]').count()).toBe(0);

    // Cancelling the prompt sends nothing either.
    const dismissed = new Promise<void>((r) => page.once('dialog', (d) => void d.dismiss().then(r)));
    await page.getByRole('button', { name: 'Test shutdown', exact: true }).click();
    await dismissed;
    // That nothing is sent can only be shown over a bounded time, counted from the dismissal: room for the POST and the
    // refresh of the runs list that would follow it.
    await sleep(300);
    expect(await page.locator('#runs li[data-mode="real"]').count()).toBe(0);

    // The right name starts the real run, on the shed phase only.
    await page.locator('input[name="subset"]').fill('shed');
    page.once('dialog', (d) => void d.accept('homelab'));
    await page.getByRole('button', { name: 'Test shutdown', exact: true }).click();
    const real = page.locator('#runs li[data-mode="real"]').first();
    await expect.poll(() => real.getAttribute('data-status'), { timeout: 20_000 }).toBe('completed');
    await expect.poll(() => app.shutdown()!.cluster!.get('web1').power, { timeout: 10_000 }).toBe('off');
    expect(app.shutdown()!.cluster!.get('pve1').power).toBe('on');
    expect(errors).toEqual([]);
    await page.close();
  }, 90_000);
});
