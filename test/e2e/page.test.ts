import { mkdirSync } from 'node:fs';
import { request, type IncomingHttpHeaders } from 'node:http';
import { brotliDecompressSync, gunzipSync } from 'node:zlib';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { App } from '../../src/app.js';
import { browserLogin, collectPageErrors, hasHorizontalScroll, inPage } from '../helpers/browser-login.js';
import { launchChromium } from '../helpers/chromium.js';
import { startSimApp } from '../helpers/demo-app.js';
import { TEST_PASSWORDS, testUsers } from '../helpers/web-login.js';

// Real Chromium (Debian's package, installed by `npm test`) against the real server on loopback: the shell, login
// and logout, what each role's nav shows, the layouts on a phone and in dark mode, and an accessibility scan.
let browser: Browser;
let app: App;
let url: string;

beforeAll(async () => {
  browser = await launchChromium();
  app = await startSimApp({ scenario: 'steady', extra: { users: testUsers() } });
  url = await app.listen('127.0.0.1', 0);
});

afterAll(async () => {
  await browser.close();
  await app.stop();
});

/** GET with exactly these request headers (fetch would add its own accept-encoding and decode the body). */
function rawGet(
  path: string,
  headers: Record<string, string>,
): Promise<{ status: number; headers: IncomingHttpHeaders; body: Buffer }> {
  return new Promise((resolve, reject) => {
    const req = request(new URL(path, url), { headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) });
      });
    });
    req.on('error', reject);
    req.end();
  });
}

describe('the page files', () => {
  it('are served without login, pre-compressed when the browser takes it, with no inline script or style', async () => {
    const plain = await rawGet('/app.js', {});
    expect(plain.status).toBe(200);
    expect(plain.headers['content-type']).toBe('text/javascript; charset=utf-8');
    expect(plain.headers['content-encoding']).toBeUndefined();
    expect(plain.headers.vary).toMatch(/accept-encoding/i);
    const br = await rawGet('/app.js', { 'accept-encoding': 'gzip, br' });
    expect(br.headers['content-encoding']).toBe('br');
    expect(brotliDecompressSync(br.body).equals(plain.body)).toBe(true);
    const gz = await rawGet('/app.js', { 'accept-encoding': 'gzip, br;q=0' });
    expect(gz.headers['content-encoding']).toBe('gzip');
    expect(gunzipSync(gz.body).equals(plain.body)).toBe(true);
    for (const path of ['/', '/app.css', '/favicon.svg']) expect((await rawGet(path, {})).status, path).toBe(200);
    const index = (await rawGet('/', {})).body.toString('utf8');
    expect(index).toMatch(/<script type="module" src="\/app\.js\?v=[\w-]+"><\/script>/);
    expect(index).not.toMatch(/<script>|<style|style=/);
  });
});

describe('the console shell in Chromium', () => {
  it('refuses a wrong password in words, then logs in, shows the user and role, and logs out', async () => {
    const page = await browser.newPage({ viewport: { width: 1366, height: 800 } });
    const errors = collectPageErrors(page);
    await page.goto(url);
    await page.getByLabel('User').fill('admin');
    await page.getByLabel('Password').fill('not-the-password');
    await page.getByRole('button', { name: 'Log in' }).click();
    await expect.poll(() => page.getByTestId('login-error').textContent()).toBe('Wrong user or password.');
    await expect.poll(() => page.getByTestId('who').count()).toBe(0);

    await page.getByLabel('Password').fill(TEST_PASSWORDS.admin);
    await page.getByRole('button', { name: 'Log in' }).click();
    await expect.poll(() => page.getByTestId('who').textContent(), { timeout: 10_000 }).toBe('admin (admin)');
    const card = page.locator('article.ups[data-ups="sim1"]');
    await expect
      .poll(() => card.locator('[data-field="charge"]').textContent(), { timeout: 10_000 })
      .toMatch(/^\d+ %$/);
    await expect.poll(() => card.locator('[data-field="state"]').textContent(), { timeout: 10_000 }).toBe('ON MAINS');
    await expect.poll(() => page.locator('#live').textContent(), { timeout: 10_000 }).toBe('live');
    await expect.poll(() => page.title()).toBe('upsguard');
    // An admin's nav has every view, the admin ones included.
    const nav = page.getByRole('navigation', { name: 'Views' });
    for (const name of [
      'Overview',
      'History',
      'Events',
      'Policy',
      'Plan',
      'Test shutdown',
      'Devices',
      'NUT',
      'Users',
    ]) {
      expect(await nav.getByRole('link', { name, exact: true }).count(), name).toBe(1);
    }

    await page.getByRole('button', { name: 'Log out' }).click();
    await expect.poll(() => page.getByLabel('Password').count()).toBe(1);
    await expect.poll(() => page.getByTestId('who').count()).toBe(0);
    // The session is gone on the server too: a reload lands on the login form.
    await page.reload();
    await expect.poll(() => page.getByLabel('Password').count(), { timeout: 10_000 }).toBe(1);
    expect(errors).toEqual([]);
    await page.close();
  }, 60_000);

  it("shows a viewer only the views a viewer may use, and refuses an admin view's route in words", async () => {
    const page = await browser.newPage({ viewport: { width: 1366, height: 800 } });
    const errors = collectPageErrors(page);
    await browserLogin(page, url, 'viewer', TEST_PASSWORDS.viewer);
    const nav = page.getByRole('navigation', { name: 'Views' });
    expect(await nav.getByRole('link', { name: 'Overview', exact: true }).count()).toBe(1);
    expect(await nav.getByRole('link', { name: 'History', exact: true }).count()).toBe(1);
    expect(await nav.getByRole('link', { name: 'Users', exact: true }).count()).toBe(0);
    expect(await nav.getByRole('link', { name: 'Test shutdown', exact: true }).count()).toBe(0);
    await page.goto(`${url}#/admin/users`);
    await expect.poll(() => page.locator('main').textContent()).toContain('may not use this view; it needs admin');
    expect(errors).toEqual([]);
    await page.close();
  }, 60_000);

  for (const [label, options] of [
    ['phone', { viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true }],
    ['dark', { viewport: { width: 1366, height: 800 }, colorScheme: 'dark' as const }],
    ['wide', { viewport: { width: 1366, height: 800 } }],
  ] as const) {
    it(`lays out every view of the shell without horizontal scroll (${label})`, async () => {
      const page = await browser.newPage(options);
      const errors = collectPageErrors(page);
      await browserLogin(page, url, 'admin', TEST_PASSWORDS.admin);
      await expect
        .poll(() => page.locator('article.ups[data-ups="sim1"] [data-field="charge"]').textContent(), {
          timeout: 10_000,
        })
        .toMatch(/^\d+ %$/);
      mkdirSync('test-results', { recursive: true });
      for (const route of ['/', '/history', '/events', '/devices', '/nut']) {
        await page.goto(`${url}#${route}`);
        await page.locator('main h1').first().waitFor();
        if (route === '/history') await page.locator('.chart canvas, .view p.muted').first().waitFor();
        expect(await hasHorizontalScroll(page), `${label} ${route}`).toBe(false);
        const name = route === '/' ? 'overview' : route.slice(1);
        await page.screenshot({ path: `test-results/page-${label}-${name}.png`, fullPage: true });
      }
      if (label === 'dark') {
        const bg = await inPage<string>(page, 'getComputedStyle(document.documentElement).backgroundColor');
        // The dark scheme's background, not the light one.
        expect(bg).toBe('rgb(17, 21, 28)');
      }
      expect(errors).toEqual([]);
      await page.close();
    }, 90_000);
  }
});
