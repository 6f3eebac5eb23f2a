import net from 'node:net';
import type { Browser } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { App } from '../../src/app.js';
import { launchChromium } from '../helpers/chromium.js';
import { startSimApp } from '../helpers/demo-app.js';
import { testUsers } from '../helpers/web-login.js';
import { goTo, loginThroughPage, openPage } from './actions-fixture.js';

// The NUT view's own state of the NUT server in real Chromium: listening on what, or not listening and why (its
// port taken by another process), and whether it is advertised over mDNS.
let browser: Browser;
let app: App | null = null;
let blocker: net.Server | null = null;

beforeAll(async () => {
  browser = await launchChromium();
});
afterEach(async () => {
  await app?.stop();
  app = null;
  if (blocker) await new Promise<void>((resolve) => blocker!.close(() => resolve()));
  blocker = null;
});
afterAll(async () => {
  await browser.close();
});

describe('the NUT view in Chromium', () => {
  it('says where the NUT server listens and that loopback is not advertised', async () => {
    app = await startSimApp({ extra: { users: testUsers() } });
    const url = await app.listen('127.0.0.1', 0);
    const addr = app.nutServer()!.address()!;
    const { page, errors } = await openPage(browser);
    await loginThroughPage(page, url, 'viewer');
    await goTo(page, '#/nut');
    const state = page.getByTestId('nut-state');
    await state.waitFor();
    expect((await state.textContent())!.replace(/\s+/g, ' ').trim()).toBe(`listening on ${addr.host}:${addr.port}`);
    expect(await page.getByTestId('nut-mdns').textContent()).toMatch(/^Not advertised over mDNS: .+\.$/);
    expect(errors).toEqual([]);
    await page.close();
  }, 30_000);

  it('says it is not listening, and why, when its port is taken', async () => {
    const b = net.createServer();
    blocker = b;
    await new Promise<void>((resolve) => b.listen(0, '127.0.0.1', resolve));
    const port = (b.address() as net.AddressInfo).port;
    app = await startSimApp({ extra: { users: testUsers(), nut_server: { port } } });
    const url = await app.listen('127.0.0.1', 0);
    const { page, errors } = await openPage(browser);
    await loginThroughPage(page, url, 'viewer');
    await goTo(page, '#/nut');
    const state = page.getByTestId('nut-state');
    await state.waitFor();
    const text = (await state.textContent())!.replace(/\s+/g, ' ').trim();
    expect(text).toMatch(/^not listening /);
    expect(text).toContain(String(port));
    expect(errors).toEqual([]);
    await page.close();
  }, 30_000);
});
