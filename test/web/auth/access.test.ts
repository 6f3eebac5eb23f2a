import { describe, expect, it } from 'vitest';
import { TEST_HOST, TEST_ORIGIN, webLogin } from '../../helpers/web-login.js';
import { rig } from './rig.js';

const page = { origin: TEST_ORIGIN, host: TEST_HOST };
/** What the auth layer answers when it refuses; anything else means the handler was reached. */
const REFUSED = [401, 403];

describe('access by role', () => {
  it('every route declares its access; the page and the login are public, actions operator or admin', async () => {
    const { routes } = await rig();
    const ours = routes.filter((r) => !r.url.startsWith('/test/') && r.method !== 'HEAD');
    expect(ours.filter((r) => r.access === undefined).map((r) => `${r.method} ${r.url}`)).toEqual([]);
    const of = (method: string, url: string) => routes.find((r) => r.method === method && r.url === url)?.access;
    expect(of('GET', '/')).toBe('public');
    expect(of('GET', '/api/login/info')).toBe('public');
    expect(of('POST', '/api/login')).toBe('public');
    expect(of('POST', '/api/logout')).toBe('public');
    expect(of('GET', '/api/me')).toBe('public');
    expect(of('GET', '/api/status')).toBe('viewer');
    expect(of('GET', '/api/events')).toBe('viewer');
    expect(of('GET', '/api/stream')).toBe('viewer');
    expect(of('GET', '/api/plan')).toBe('viewer');
    expect(of('GET', '/api/runs')).toBe('viewer');
    expect(of('POST', '/api/plan/dry-run')).toBe('operator');
    expect(of('POST', '/api/shutdown/test')).toBe('operator');
    expect(of('GET', '/api/sessions')).toBe('admin');
    expect(of('DELETE', '/api/sessions/:id')).toBe('admin');
    expect(of('GET', '/api/audit')).toBe('admin');
  });

  it('without a login every route but the public ones answers 401, before its body is parsed', async () => {
    const { app, shutdown, actions } = await rig();
    for (const [method, url] of [
      ['GET', '/api/status'],
      ['GET', '/api/events'],
      ['GET', '/api/plan'],
      ['GET', '/api/runs'],
      ['GET', '/api/sessions'],
      ['GET', '/api/audit'],
      ['GET', '/api/stream'],
      ['GET', '/test/read'],
      ['POST', '/api/plan/dry-run'],
      ['POST', '/api/shutdown/test'],
      ['POST', '/test/action'],
      ['GET', '/api/no-such-route'],
    ] as const) {
      const res = await app.inject({
        method,
        url,
        headers: { ...page, 'content-type': 'application/json' },
        ...(method === 'POST' ? { payload: '{"mode":' } : {}),
      });
      expect(res.statusCode, `${method} ${url}`).toBe(401);
      expect(res.json(), `${method} ${url}`).toEqual({ error: 'UNAUTHENTICATED', message: 'log in first' });
    }
    expect(shutdown.started).toEqual([]);
    expect(actions).toEqual([]);
    for (const url of ['/', '/api/login/info']) {
      expect((await app.inject({ url, headers: page })).statusCode, url).toBe(200);
    }
  });

  it('a viewer reads but is refused an operator route (403 naming the role)', async () => {
    const { app, shutdown, actions } = await rig();
    const { headers } = await webLogin(app, 'viewer');
    expect((await app.inject({ url: '/test/read', headers })).statusCode).toBe(200);
    for (const url of ['/api/status', '/api/plan', '/api/events']) {
      expect(REFUSED, url).not.toContain((await app.inject({ url, headers })).statusCode);
    }
    for (const url of ['/api/plan/dry-run', '/test/action']) {
      const res = await app.inject({ method: 'POST', url, headers });
      expect(res.statusCode).toBe(403);
      expect(res.json()).toEqual({ error: 'FORBIDDEN', message: 'this needs the operator role; you are viewer' });
    }
    const test = await app.inject({ method: 'POST', url: '/api/shutdown/test', headers, payload: { mode: 'dry' } });
    expect(test.statusCode).toBe(403);
    expect(shutdown.started).toEqual([]);
    expect(actions).toEqual([]);
  });

  it('an operator runs a dry run and a test shutdown but is refused an admin route', async () => {
    const { app, shutdown, actions } = await rig();
    const { headers } = await webLogin(app, 'operator');
    // The handlers run (what they answer is the run routes' business, tested there).
    await app.inject({ method: 'POST', url: '/api/plan/dry-run', headers });
    await app.inject({ method: 'POST', url: '/api/shutdown/test', headers, payload: { mode: 'dry' } });
    expect(shutdown.started).toHaveLength(2);
    expect((await app.inject({ method: 'POST', url: '/test/action', headers })).statusCode).toBe(200);
    const admin = await app.inject({ method: 'POST', url: '/test/admin-action', headers });
    expect(admin.statusCode).toBe(403);
    expect(admin.json()).toEqual({ error: 'FORBIDDEN', message: 'this needs the admin role; you are operator' });
    for (const url of ['/api/sessions', '/api/audit']) {
      const res = await app.inject({ url, headers });
      expect(res.statusCode, url).toBe(403);
      expect(res.json()).toEqual({ error: 'FORBIDDEN', message: 'this needs the admin role; you are operator' });
    }
    expect(actions).toEqual(['operator action by operator']);
  });

  it('a route that declares nothing needs a viewer for GET and an admin for anything else', async () => {
    const { app, actions } = await rig();
    const viewer = await webLogin(app, 'viewer');
    const admin = await webLogin(app, 'admin');
    expect((await app.inject({ url: '/test/read', headers: viewer.headers })).statusCode).toBe(200);
    expect((await app.inject({ method: 'POST', url: '/test/admin-action', headers: viewer.headers })).statusCode).toBe(
      403,
    );
    expect((await app.inject({ method: 'POST', url: '/test/admin-action', headers: admin.headers })).statusCode).toBe(
      200,
    );
    // Unknown routes declare nothing either.
    expect((await app.inject({ url: '/api/nothing', headers: viewer.headers })).statusCode).toBe(404);
    expect((await app.inject({ method: 'POST', url: '/api/nothing', headers: viewer.headers })).statusCode).toBe(403);
    expect((await app.inject({ method: 'POST', url: '/api/nothing', headers: admin.headers })).statusCode).toBe(404);
    expect(actions).toEqual(['admin action by admin']);
  });

  it('API tokens: read acts as a viewer, operate as an operator, none as an admin; an unknown token is 401', async () => {
    const { app, actions } = await rig({ tokens: { 'tok-read': 'viewer', 'tok-operate': 'operator' } });
    const bearer = (t: string) => ({ authorization: `Bearer ${t}`, host: TEST_HOST });
    const post = (url: string, t: string) => app.inject({ method: 'POST', url, headers: bearer(t) });
    expect((await app.inject({ url: '/test/read', headers: bearer('tok-read') })).statusCode).toBe(200);
    expect((await post('/test/action', 'tok-read')).statusCode).toBe(403);
    // No Origin and no CSRF token: a script, not a browser.
    expect((await post('/test/action', 'tok-operate')).statusCode).toBe(200);
    expect((await post('/test/admin-action', 'tok-operate')).statusCode).toBe(403);
    expect(actions).toEqual(['operator action by token-operator']);
    for (const h of [bearer('tok-nope'), { authorization: 'Bearer', host: TEST_HOST }]) {
      const bad = await app.inject({ url: '/test/read', headers: h });
      expect(bad.statusCode).toBe(401);
      expect(bad.json()).toEqual({ error: 'UNAUTHENTICATED', message: 'the API token is not valid' });
    }
    const me = await app.inject({ url: '/api/me', headers: bearer('tok-operate') });
    expect(me.json()).toEqual({ user: 'token-operator', role: 'operator', csrfToken: '', via: 'token', demo: false });
  });
});

describe('public status', () => {
  it('off (the default): the overview needs a login', async () => {
    const { app } = await rig();
    for (const url of ['/api/status', '/api/stream']) {
      expect((await app.inject({ url, headers: page })).statusCode, url).toBe(401);
    }
    expect((await app.inject({ url: '/api/login/info', headers: page })).json()).toMatchObject({ publicStatus: false });
  });

  it('on: status and the live stream answer without login, and nothing else does', async () => {
    const { app, shutdown } = await rig({ publicStatus: true });
    expect(REFUSED).not.toContain((await app.inject({ url: '/api/status', headers: page })).statusCode);
    // With no stream slot configured the stream answers 503, not 401.
    expect((await app.inject({ url: '/api/stream', headers: page })).statusCode).toBe(503);
    for (const url of ['/api/events', '/api/plan', '/api/runs', '/api/audit', '/api/sessions', '/test/read']) {
      expect((await app.inject({ url, headers: page })).statusCode, url).toBe(401);
    }
    expect((await app.inject({ method: 'POST', url: '/api/plan/dry-run', headers: page })).statusCode).toBe(401);
    expect(shutdown.started).toEqual([]);
    expect((await app.inject({ url: '/api/login/info', headers: page })).json()).toMatchObject({ publicStatus: true });
  });
});
