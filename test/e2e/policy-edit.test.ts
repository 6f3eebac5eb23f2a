import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { App } from '../../src/app.js';
import { loadConfigFile } from '../../src/config/load.js';
import { createLogger } from '../../src/log.js';
import { launchChromium } from '../helpers/chromium.js';
import { TEST_PASSWORDS } from '../helpers/web-login.js';
import { goTo, loginThroughPage, openPage, screenshot } from './actions-fixture.js';

// The policy edited on the page, round trip to a YAML file full of comments: a valid change is saved keeping every
// comment and applied; an invalid value gets its field message and leaves the file byte for byte as it was.
const YAML = `# upsguard test config: every comment here must survive a save from the page.
store:
  path: ":memory:"
nut_server:
  port: 0 # never the fixed NUT port in a test
ups:
  - name: sim1
    description: test UPS
    source:
      kind: sim
      device: apc-back-ups-cs-500
      scenario: steady
users:
  - { name: admin, password: "${TEST_PASSWORDS.admin}", role: admin }
  - { name: viewer, password: "${TEST_PASSWORDS.viewer}", role: viewer }

shutdown:
  sim_cluster:
    time_scale: 200
    call_latency_ms: 1
    hosts:
      - name: pve1
        vms:
          - { name: web1, tags: [web] }
          - { name: db1, tags: [core] }
  # The plan: shed the web tier, then the database.
  plan:
    name: lab # what a real test asks to be typed
    phases:
      # Shed first.
      - name: shed
        targets: [{ tags: [web] }]
        timeout_s: 6
      # Then the core.
      - name: core
        targets: [{ tags: [core] }]
        timeout_s: 8

# The shutdown policy.
policy:
  # Critical at or below this charge on battery.
  charge_pct: 30 # percent
  # Ignore short blips.
  flicker_s: 5

# Trailing comment at the end of the file.
`;

let browser: Browser;
let app: App;
let url: string;
let dir: string;
let file: string;

beforeAll(async () => {
  browser = await launchChromium();
  dir = mkdtempSync(join(tmpdir(), 'upsguard-policy-e2e-'));
  file = join(dir, 'upsguard.yaml');
  writeFileSync(file, YAML);
  app = new App({ loaded: loadConfigFile(file), log: createLogger({ level: 'silent' }) });
  await app.start();
  url = await app.listen('127.0.0.1', 0);
});

afterAll(async () => {
  await browser.close();
  await app.stop();
  rmSync(dir, { recursive: true, force: true });
});

const comments = (text: string): string[] =>
  text.split('\n').flatMap((l) => (l.includes('#') ? [l.slice(l.indexOf('#'))] : []));

describe('policy edit in Chromium', () => {
  it('shows every rule with its current value, previews a change, saves it keeping the comments', async () => {
    const { page, errors } = await openPage(browser);
    await loginThroughPage(page, url, 'admin');
    await goTo(page, '#/policy');
    const rules = page.locator('#policy-rules');
    await expect.poll(() => rules.locator('tr[data-rule]').count(), { timeout: 10_000 }).toBeGreaterThan(5);
    expect(await rules.locator('tr[data-rule="charge"]').getAttribute('data-state')).toBe('on');
    expect(await rules.locator('tr[data-rule="charge"]').textContent()).toMatch(/30/);
    expect(await rules.locator('tr[data-rule="charge"]').textContent()).toMatch(/sim1/);

    const charge = page.locator('[data-field="policy.charge_pct"] input');
    await charge.fill('40');
    // The preview: the decision under the new policy, and what changes.
    const preview = page.locator('#policy-preview');
    await expect.poll(() => preview.textContent(), { timeout: 10_000 }).toMatch(/With this policy:/);
    expect(await preview.textContent()).toContain('policy.charge_pct');
    expect(readFileSync(file, 'utf8')).toBe(YAML);
    await screenshot(page, 'policy-preview');

    await page.getByRole('button', { name: 'Save policy' }).click();
    await expect.poll(() => page.locator('#policy-save-note').textContent(), { timeout: 10_000 }).toMatch(/Saved to/);
    const saved = readFileSync(file, 'utf8');
    expect(saved).toMatch(/charge_pct: 40/);
    expect(comments(saved)).toEqual(comments(YAML));
    // Applied without a restart: the rule shows the new setting.
    await expect.poll(() => rules.locator('tr[data-rule="charge"]').textContent(), { timeout: 10_000 }).toMatch(/40/);
    expect(errors).toEqual([]);
    await page.close();
  }, 60_000);

  it('shows the field message for an invalid value, keeps the edit, and changes nothing in the file', async () => {
    const { page, errors } = await openPage(browser);
    await loginThroughPage(page, url, 'admin');
    await goTo(page, '#/policy');
    const before = readFileSync(file, 'utf8');
    const field = page.locator('[data-field="policy.charge_pct"]');
    await field.locator('input').fill('150');
    await expect.poll(() => field.locator('.field-problems').textContent(), { timeout: 10_000 }).toMatch(/100/);
    await page.getByRole('button', { name: 'Save policy' }).click();
    await expect.poll(() => page.locator('#policy-save-error').count(), { timeout: 10_000 }).toBe(1);
    expect(await field.locator('.field-problems').textContent()).toMatch(/100/);
    // The edit is still on the page, and the file is untouched byte for byte.
    expect(await field.locator('input').inputValue()).toBe('150');
    expect(readFileSync(file, 'utf8')).toBe(before);
    await screenshot(page, 'policy-invalid');
    expect(errors).toEqual([]);
    await page.close();
  }, 60_000);

  it('shows the policy read-only to a viewer, and the API refuses the viewer a save', async () => {
    const { page, errors } = await openPage(browser);
    await loginThroughPage(page, url, 'viewer');
    await goTo(page, '#/policy');
    await expect
      .poll(() => page.locator('#policy-rules tr[data-rule]').count(), { timeout: 10_000 })
      .toBeGreaterThan(5);
    expect(await page.locator('#policy-form').count()).toBe(0);
    expect(await page.getByRole('button', { name: 'Save policy' }).count()).toBe(0);
    const before = readFileSync(file, 'utf8');
    const status = await page.evaluate(async () => {
      const me = (await (await fetch('/api/me')).json()) as { csrfToken: string };
      const res = await fetch('/api/policy', {
        method: 'PUT',
        headers: { 'content-type': 'application/json', 'x-csrf-token': me.csrfToken },
        body: JSON.stringify({ policy: { charge_pct: 50 } }),
      });
      return res.status;
    });
    expect(status).toBe(403);
    expect(readFileSync(file, 'utf8')).toBe(before);
    expect(errors).toEqual([]);
    await page.close();
  }, 60_000);

  it('edits the plan: a field message for a bad timeout, a preview of a reordered plan, saved keeping comments', async () => {
    const { page, errors } = await openPage(browser);
    await loginThroughPage(page, url, 'admin');
    await goTo(page, '#/plan');
    await expect.poll(() => page.locator('.timeline [data-phase]').count(), { timeout: 10_000 }).toBe(3);
    expect(await page.locator('#plan-targets tr[data-target="web1"]').textContent()).toMatch(/phase shed/);
    await page.locator('#edit-plan').click();
    const before = readFileSync(file, 'utf8');

    const timeout = page.locator('[data-field="shutdown.plan.phases.0.timeout_s"]');
    await timeout.locator('input').fill('-3');
    await expect.poll(() => timeout.locator('.field-problems').count(), { timeout: 10_000 }).toBe(1);
    await page.getByRole('button', { name: 'Save plan' }).click();
    await expect.poll(() => page.locator('#plan-save-error').count(), { timeout: 10_000 }).toBe(1);
    expect(readFileSync(file, 'utf8')).toBe(before);

    await timeout.locator('input').fill('7');
    await page.getByRole('button', { name: 'Move phase core up' }).click();
    const preview = page.locator('#plan-preview');
    await expect
      .poll(
        async () =>
          Promise.all(
            (await preview.locator('[data-preview-phase]').all()).map((l) => l.getAttribute('data-preview-phase')),
          ),
        { timeout: 10_000 },
      )
      .toEqual(['core', 'shed']);
    expect(await timeout.locator('.field-problems').count()).toBe(0);
    await screenshot(page, 'plan-edit-preview');
    await page.getByRole('button', { name: 'Save plan' }).click();
    await expect.poll(() => page.locator('#plan-save-note').textContent(), { timeout: 10_000 }).toMatch(/Saved to/);
    const saved = readFileSync(file, 'utf8');
    expect(saved.indexOf('name: core')).toBeLessThan(saved.indexOf('name: shed'));
    expect(saved).toMatch(/timeout_s: 7/);
    expect(saved).toContain('# what a real test asks to be typed');
    expect(saved).toContain('# The shutdown policy.');
    // Applied: the plan page shows the new order.
    await expect
      .poll(
        async () =>
          Promise.all((await page.locator('.timeline [data-phase]').all()).map((l) => l.getAttribute('data-phase'))),
        { timeout: 10_000 },
      )
      .toEqual(['core', 'shed', '(final)']);
    expect(errors).toEqual([]);
    await page.close();
  }, 60_000);
});
