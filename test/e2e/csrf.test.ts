import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { App } from '../../src/app.js';
import type { AuditResponse } from '../../src/web/api-types/auth.js';
import type { TokensResponse } from '../../src/web/api-types/users.js';
import { launchChromium } from '../helpers/chromium.js';
import { startSimApp } from '../helpers/demo-app.js';
import { testUsers } from '../helpers/web-login.js';
import { fastShutdown, loginThroughPage, openPage } from './actions-fixture.js';

// A page on another origin (a second loopback server on another port: same site, so the SameSite cookie IS sent)
// posts forms to the console with text/plain bodies, the one content type a form can send that looks like JSON.
// The console must refuse them: nothing changes and the audit log shows no action that succeeded.
let browser: Browser;
let app: App;
let url: string;
let evil: Server;
let evilUrl: string;

function evilPage(target: string): string {
  // A text/plain form whose body is `{"name":"evil","scope":"operate","x":"=1"}`: valid JSON to a naive server.
  return `<!doctype html><html><body>
<form id="f1" method="POST" enctype="text/plain" action="${target}/api/tokens" target="sink1">
<input type="hidden" name='{"name":"evil","scope":"operate","x":"' value='1"}'></form>
<form id="f2" method="POST" enctype="text/plain" action="${target}/api/plan/dry-run" target="sink2">
<input type="hidden" name='{"x":"' value='1"}'></form>
<iframe name="sink1"></iframe><iframe name="sink2"></iframe>
<script>
document.getElementById('f1').submit();
document.getElementById('f2').submit();
fetch('${target}/api/shutdown/test', { method: 'POST', mode: 'no-cors', credentials: 'include',
  headers: { 'content-type': 'text/plain' }, body: '{"mode":"real","subset":["shed"],"confirm":"homelab"}' })
  .catch(() => {}).finally(() => { document.title = 'sent'; });
</script></body></html>`;
}

beforeAll(async () => {
  browser = await launchChromium();
  app = await startSimApp({ extra: { users: testUsers(), shutdown: fastShutdown(), schedule: { dry_run: '' } } });
  url = await app.listen('127.0.0.1', 0);
  evil = createServer((_req, res) => {
    res.writeHead(200, { 'content-type': 'text/html' });
    res.end(evilPage(url));
  });
  await new Promise<void>((r) => evil.listen(0, '127.0.0.1', r));
  evilUrl = `http://127.0.0.1:${(evil.address() as AddressInfo).port}/`;
});

afterAll(async () => {
  await browser.close();
  await app.stop();
  await new Promise<void>((r) => evil.close(() => r()));
});

describe('CSRF in Chromium', () => {
  it('refuses forms and no-cors posts from another origin while the admin is logged in', async () => {
    const { page } = await openPage(browser);
    await loginThroughPage(page, url, 'admin');
    const startedAt = Date.now();
    const runsBefore = app.shutdown()!.runner.journal.runs(50).length;

    // The same browser (same cookies) opens the other origin's page, which posts at once.
    const attacker = await page.context().newPage();
    const refused: number[] = [];
    attacker.on('response', (r) => {
      if (r.url().startsWith(url)) refused.push(r.status());
    });
    await attacker.goto(evilUrl);
    await expect.poll(() => attacker.title(), { timeout: 10_000 }).toBe('sent');
    // Every request that reached the console was answered with a refusal.
    await expect.poll(() => refused.length, { timeout: 10_000 }).toBeGreaterThanOrEqual(2);
    expect(refused.every((s) => s === 403)).toBe(true);

    // Nothing changed: no token, no run.
    const read = <T>(path: string): Promise<T> =>
      page.evaluate(async (p) => (await (await fetch(p)).json()) as T, path);
    const tokens = await read<TokensResponse>('/api/tokens');
    expect(tokens.tokens.filter((t) => t.name === 'evil')).toHaveLength(0);
    expect(app.shutdown()!.runner.journal.runs(50)).toHaveLength(runsBefore);
    // The audit shows no action that went through since the attack began.
    const audit = await read<AuditResponse>('/api/audit?limit=100');
    const since = audit.entries.filter((e) => Date.parse(e.at) >= startedAt - 1000);
    const done = since.filter((e) => e.action.startsWith('POST ') && e.status < 400);
    expect(done).toEqual([]);
    await attacker.close();
    await page.close();
  }, 60_000);
});
