import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { App } from '../../src/app.js';
import type { MeWithOverview } from '../../src/web/api-types/auth.js';
import type { DecisionResponse } from '../../src/web/api-types/decision.js';
import type { StatusResponse } from '../../src/web/api-types/status.js';
import { startSimApp } from '../helpers/demo-app.js';
import { TEST_HOST, testUsers, webLogin } from '../helpers/web-login.js';

// What the page's first load asks: who am I with the overview in the same answer (GET /api/me?overview=1, which
// index.html preloads), and the page's files: index.html revalidated, the files it names at their version kept.
let app: App;

beforeAll(async () => {
  app = await startSimApp({ scenario: 'steady', extra: { users: testUsers() } });
});

afterAll(async () => {
  await app.stop();
});

describe('GET /api/me?overview=1', () => {
  it('gives a logged-in viewer who it is and what GET /api/status and GET /api/decision answer', async () => {
    const web = app.server();
    const viewer = await webLogin(web, 'viewer');
    const res = await web.inject({ url: '/api/me?overview=1', headers: viewer.headers });
    expect(res.statusCode).toBe(200);
    expect(res.headers['cache-control']).toBe('no-store');
    const body = res.json<MeWithOverview>();
    expect(body).toMatchObject({ user: 'viewer', role: 'viewer', csrfToken: viewer.me.csrfToken });
    const status = (await web.inject({ url: '/api/status', headers: viewer.headers })).json<StatusResponse>();
    const decision = (await web.inject({ url: '/api/decision', headers: viewer.headers })).json<DecisionResponse>();
    expect(body.overview.status.ups.map((u) => u.name)).toEqual(status.ups.map((u) => u.name));
    expect(body.overview.status.ups[0]?.variables['battery.charge']).toBeDefined();
    expect(body.overview.status.store).toEqual(status.store);
    expect(body.overview.decision?.sentence).toBe(decision.sentence);
    expect(body.overview.decision?.level).toBe(decision.level);
  });

  it('stays who-am-I alone without the parameter, refuses a bad one, and answers a visitor 401 with nothing else', async () => {
    const web = app.server();
    const viewer = await webLogin(web, 'viewer');
    const plain = (await web.inject({ url: '/api/me', headers: viewer.headers })).json<Record<string, unknown>>();
    expect(plain.overview).toBeUndefined();
    expect(plain.user).toBe('viewer');
    const bad = await web.inject({ url: '/api/me?overview=yes', headers: viewer.headers });
    expect(bad.statusCode).toBe(400);
    expect(bad.json<{ error: string }>().error).toBe('REQUEST_INVALID');
    const visitor = await web.inject({ url: '/api/me?overview=1', headers: { host: TEST_HOST } });
    expect(visitor.statusCode).toBe(401);
    expect(visitor.body).not.toMatch(/battery|sim1|sentence/);
  });
});

describe('the page files on a second visit', () => {
  it('revalidate index.html by ETag (304), per encoding; the files it names, at their version, are kept for good', async () => {
    const web = app.server();
    const index = await web.inject({ url: '/', headers: { host: TEST_HOST, 'accept-encoding': 'br' } });
    expect(index.statusCode).toBe(200);
    expect(index.headers['cache-control']).toBe('no-cache');
    const tag = String(index.headers.etag);
    expect(tag).toMatch(/^"[\w-]+-br"$/);
    const again = await web.inject({
      url: '/',
      headers: { host: TEST_HOST, 'accept-encoding': 'br', 'if-none-match': tag },
    });
    expect(again.statusCode).toBe(304);
    expect(again.body).toBe('');
    // Another encoding is another set of bytes: the brotli tag does not validate the plain copy.
    const plain = await web.inject({ url: '/', headers: { host: TEST_HOST, 'if-none-match': tag } });
    expect(plain.statusCode).toBe(200);

    const page = plain.body;
    expect(page).toContain('<link rel="preload" href="/api/me?overview=1" as="fetch" crossorigin="anonymous" />');
    // The page's own files at the version this build made: a new tab takes them from the cache, no round trip.
    const named = [...page.matchAll(/(?:src|href)="(\/(app\.js|app\.css|favicon\.svg)\?v=([\w-]+))"/g)];
    expect(named.map((m) => m[2]).sort()).toEqual(['app.css', 'app.js', 'favicon.svg']);
    for (const [, url, file] of named) {
      const kept = await web.inject({ url: url!, headers: { 'accept-encoding': 'gzip' } });
      expect(kept.statusCode, url).toBe(200);
      expect(kept.headers['cache-control'], url).toBe('public, max-age=31536000, immutable');
      // The same bytes as the plain name, which is still served, and revalidated (an old page, a script).
      const bare = await web.inject({ url: `/${file!}`, headers: { 'accept-encoding': 'gzip' } });
      expect(bare.rawPayload.equals(kept.rawPayload), url).toBe(true);
      expect(bare.headers['cache-control'], file).toBe('no-cache');
      const bareAgain = await web.inject({
        url: `/${file!}`,
        headers: { 'accept-encoding': 'gzip', 'if-none-match': String(bare.headers.etag) },
      });
      expect(bareAgain.statusCode, file).toBe(304);
      // An old build's version is not this one: revalidated, not kept.
      const old = await web.inject({ url: `/${file!}?v=AAAAAAAAAAAAAAAA` });
      expect(old.headers['cache-control'], file).toBe('no-cache');
    }
    expect((await web.inject({ url: '/chunks/nothing-here.js' })).statusCode).toBe(404);
    expect((await web.inject({ url: '/chunks/..%2Fapp.js' })).statusCode).toBe(404);
  });

  it('keep uPlot out of app.js, in its own file kept for good; the first bundle needs no other script', async () => {
    const web = app.server();
    const entry = (await web.inject({ url: '/app.js' })).body;
    const lazy = /import\(["'](\.\/chunks\/uPlot[\w.-]*\.js)["']\)/.exec(entry);
    expect(lazy, 'app.js imports uPlot when a chart is drawn').not.toBeNull();
    expect(entry).not.toMatch(/"legend"|u-legend|"u-"/);
    // No static import: the shell, the login and every view but the chart library come in the one request.
    expect(entry).not.toMatch(/(?:^|[;\s])import\s*[{\w*][^(]*?from\s*["']/);
    const chunk = await web.inject({ url: lazy![1]!.slice(1) });
    expect(chunk.statusCode).toBe(200);
    expect(chunk.headers['cache-control']).toBe('public, max-age=31536000, immutable');
    expect(chunk.body).toMatch(/"legend"|u-legend/);
  });
});
