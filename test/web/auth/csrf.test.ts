import { describe, expect, it } from 'vitest';
import { webLogin } from '../../helpers/web-login.js';
import { rig } from './rig.js';

const CSRF = { error: 'CSRF', message: 'refused: not sent by this console page (origin or x-csrf-token)' };

describe('CSRF', () => {
  it('a cookie request without the token, with a wrong one, or from a foreign origin is refused and changes nothing', async () => {
    const { app, shutdown, actions } = await rig();
    const { headers } = await webLogin(app, 'operator');
    const { 'x-csrf-token': token, ...noToken } = headers;
    const cases: Record<string, Record<string, string>> = {
      'missing token': noToken,
      'wrong token': { ...headers, 'x-csrf-token': `${token.slice(0, -1)}x` },
      'foreign origin': { ...headers, origin: 'http://evil.example' },
      'foreign referer, no origin': { ...noToken, 'x-csrf-token': token, origin: '', referer: 'http://evil.example/x' },
      'no origin nor referer': { ...noToken, 'x-csrf-token': token, origin: '' },
      'other port is another origin': { ...headers, origin: 'http://localhost:8081' },
      'https is another origin': { ...headers, origin: 'https://localhost' },
    };
    for (const [name, h] of Object.entries(cases)) {
      const clean = Object.fromEntries(Object.entries(h).filter(([, v]) => v !== ''));
      const res = await app.inject({
        method: 'POST',
        url: '/api/shutdown/test',
        headers: clean,
        payload: { mode: 'dry' },
      });
      expect(res.statusCode, name).toBe(403);
      expect(res.json(), name).toEqual(CSRF);
    }
    expect(shutdown.started).toEqual([]);
    // The same request with the token and the page's own origin (or only its Referer) goes through.
    const ok = await app.inject({ method: 'POST', url: '/api/shutdown/test', headers, payload: { mode: 'dry' } });
    expect([401, 403]).not.toContain(ok.statusCode);
    const noOrigin = Object.fromEntries(Object.entries(headers).filter(([k]) => k !== 'origin'));
    const byReferer = await app.inject({
      method: 'POST',
      url: '/test/action',
      headers: { ...noOrigin, referer: 'http://localhost/#plan' },
    });
    expect(byReferer.statusCode).toBe(200);
    expect(shutdown.started).toHaveLength(1);
    expect(actions).toEqual(['operator action by operator']);
  });

  it('a form posted from another origin (text/plain, urlencoded, multipart) is refused and changes nothing', async () => {
    const { app, shutdown, actions } = await rig();
    // The browser sends the cookie (were SameSite ignored) and its own Origin; it cannot set x-csrf-token.
    const { headers } = await webLogin(app, 'admin');
    const victim = { cookie: headers.cookie, host: headers.host, origin: 'http://evil.example' };
    const forms: [string, string][] = [
      ['text/plain', '{"mode":"real","confirm":"lab","x":"="}'],
      ['application/x-www-form-urlencoded', 'mode=real&confirm=lab'],
      [
        'multipart/form-data; boundary=x',
        '--x\r\nContent-Disposition: form-data; name="mode"\r\n\r\nreal\r\n--x--\r\n',
      ],
    ];
    for (const [type, payload] of forms) {
      for (const url of ['/api/shutdown/test', '/api/plan/dry-run', '/test/action', '/api/logout']) {
        const res = await app.inject({ method: 'POST', url, headers: { ...victim, 'content-type': type }, payload });
        expect(res.statusCode, `${type} ${url}`).toBe(403);
        expect(res.json()).toEqual(CSRF);
      }
    }
    expect(shutdown.started).toEqual([]);
    expect(actions).toEqual([]);
    // The session survived the forged logout.
    expect((await app.inject({ url: '/api/me', headers })).statusCode).toBe(200);
  });

  it('a Bearer request needs no token but a foreign Origin on it is still refused', async () => {
    const { app, actions } = await rig({ tokens: { 'tok-op': 'operator' } });
    const h = { authorization: 'Bearer tok-op', host: 'localhost' };
    expect((await app.inject({ method: 'POST', url: '/test/action', headers: h })).statusCode).toBe(200);
    const foreign = await app.inject({
      method: 'POST',
      url: '/test/action',
      headers: { ...h, origin: 'http://evil.example' },
    });
    expect(foreign.statusCode).toBe(403);
    expect(foreign.json()).toEqual(CSRF);
    expect(actions).toHaveLength(1);
  });

  it('login checks its Origin (login CSRF)', async () => {
    const { app } = await rig();
    const res = await app.inject({
      method: 'POST',
      url: '/api/login',
      headers: { origin: 'http://evil.example', host: 'localhost' },
      payload: { user: 'admin', password: 'admin-test-password' },
    });
    expect(res.statusCode).toBe(403);
    expect(res.json()).toEqual(CSRF);
    expect(res.headers['set-cookie']).toBeUndefined();
  });

  it('no CORS: OPTIONS and cross-origin requests get no Access-Control-* header', async () => {
    const { app } = await rig();
    const { headers } = await webLogin(app);
    const responses = [
      await app.inject({
        method: 'OPTIONS',
        url: '/api/shutdown/test',
        headers: { origin: 'http://evil.example', host: 'localhost', 'access-control-request-method': 'POST' },
      }),
      await app.inject({ url: '/test/read', headers: { ...headers, origin: 'http://evil.example' } }),
      await app.inject({ url: '/test/read', headers }),
    ];
    for (const res of responses) {
      expect(Object.keys(res.headers).filter((k) => k.startsWith('access-control-'))).toEqual([]);
    }
  });
});
