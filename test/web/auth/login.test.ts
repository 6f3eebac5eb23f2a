import { readFileSync } from 'node:fs';
import { request as httpsRequest } from 'node:https';
import type { AddressInfo } from 'node:net';
import { describe, expect, it } from 'vitest';
import type { AuditResponse, LoginInfo, Me } from '../../../src/web/api-types/auth.js';
import { selfSignedCert } from '../../helpers/self-signed.js';
import { tempDir } from '../../helpers/tmp.js';
import { TEST_HOST, TEST_ORIGIN, webLogin } from '../../helpers/web-login.js';
import { rig, TEST_PASSWORDS } from './rig.js';

const page = { origin: TEST_ORIGIN, host: TEST_HOST };

describe('web login', () => {
  it('refuses a wrong password and an unknown user alike, and sets no cookie', async () => {
    const { app } = await rig();
    for (const payload of [
      { user: 'admin', password: 'wrong' },
      { user: 'nobody', password: TEST_PASSWORDS.admin },
    ]) {
      const res = await app.inject({ method: 'POST', url: '/api/login', headers: page, payload });
      expect(res.statusCode).toBe(401);
      expect(res.json()).toEqual({ error: 'LOGIN_FAILED', message: 'wrong user or password' });
      expect(res.headers['set-cookie']).toBeUndefined();
    }
    expect((await app.inject({ url: '/api/me', headers: page })).statusCode).toBe(401);
  });

  it('accepts the right password: an HttpOnly SameSite=Strict cookie, and Me with a CSRF token', async () => {
    const { app } = await rig();
    const res = await app.inject({
      method: 'POST',
      url: '/api/login',
      headers: page,
      payload: { user: 'operator', password: TEST_PASSWORDS.operator },
    });
    expect(res.statusCode).toBe(200);
    const me = res.json<Me>();
    expect(me).toEqual({
      user: 'operator',
      role: 'operator',
      csrfToken: expect.any(String) as unknown,
      via: 'session',
      demo: false,
    });
    expect(me.csrfToken.length).toBeGreaterThanOrEqual(32);
    const cookie = String(res.headers['set-cookie']);
    expect(cookie).toMatch(/^upsguard_session=[A-Za-z0-9_-]{43}; Path=\/; HttpOnly; SameSite=Strict; Max-Age=43200$/);
    expect(cookie).not.toMatch(/Secure/);
    const value = cookie.split(';')[0] ?? '';
    const again = await app.inject({ url: '/api/me', headers: { ...page, cookie: value } });
    expect(again.statusCode).toBe(200);
    expect(again.json()).toEqual(me);
  });

  it('stores only the SHA-256 of the session id', async () => {
    const { app, db } = await rig();
    const { sessionId } = await webLogin(app);
    const rows = db.prepare('SELECT * FROM web_sessions').all() as Record<string, unknown>[];
    expect(rows).toHaveLength(1);
    expect(JSON.stringify(rows)).not.toContain(sessionId);
    const { createHash } = await import('node:crypto');
    expect(rows[0]?.['id_hash']).toBe(createHash('sha256').update(sessionId).digest('hex'));
  });

  it('a login never reuses a session id: logging in again ends the old session', async () => {
    const { app } = await rig();
    const first = await webLogin(app);
    const res = await app.inject({
      method: 'POST',
      url: '/api/login',
      headers: { ...page, cookie: first.headers.cookie },
      payload: { user: 'admin', password: TEST_PASSWORDS.admin },
    });
    expect(res.statusCode).toBe(200);
    expect(String(res.headers['set-cookie'])).not.toContain(first.sessionId);
    expect((await app.inject({ url: '/api/me', headers: first.headers })).statusCode).toBe(401);
  });

  it('logout ends the session and clears the cookie', async () => {
    const { app } = await rig();
    const { headers } = await webLogin(app);
    const out = await app.inject({ method: 'POST', url: '/api/logout', headers });
    expect(out.statusCode).toBe(200);
    expect(out.json()).toEqual({ ok: true });
    expect(String(out.headers['set-cookie'])).toMatch(
      /^upsguard_session=; Path=\/; HttpOnly; SameSite=Strict; Max-Age=0/,
    );
    expect((await app.inject({ url: '/api/me', headers })).statusCode).toBe(401);
    expect((await app.inject({ url: '/test/read', headers })).statusCode).toBe(401);
  });

  it('a session ends after the idle timeout, and after the absolute one however busy', async () => {
    const { app, advance } = await rig({ sessionIdleS: 600, sessionMaxS: 3600 });
    const idle = await webLogin(app);
    advance(599_000);
    expect((await app.inject({ url: '/api/me', headers: idle.headers })).statusCode).toBe(200);
    advance(599_000);
    expect((await app.inject({ url: '/api/me', headers: idle.headers })).statusCode).toBe(200);
    advance(600_000);
    expect((await app.inject({ url: '/api/me', headers: idle.headers })).statusCode).toBe(401);

    const busy = await webLogin(app);
    for (let i = 0; i < 7; i++) {
      advance(500_000);
      expect((await app.inject({ url: '/api/me', headers: busy.headers })).statusCode).toBe(200);
    }
    advance(100_000);
    expect((await app.inject({ url: '/api/me', headers: busy.headers })).statusCode).toBe(401);
  });

  it('expired sessions are deleted from the store', async () => {
    const { app, db, advance, auth } = await rig({ sessionIdleS: 600 });
    await webLogin(app);
    await webLogin(app, 'viewer');
    expect(db.prepare('SELECT COUNT(*) AS n FROM web_sessions').get()).toEqual({ n: 2 });
    advance(600_000);
    expect(auth.sessions.sweep()).toBe(2);
    expect(db.prepare('SELECT COUNT(*) AS n FROM web_sessions').get()).toEqual({ n: 0 });
  });

  it('over HTTPS the cookie is Secure and Strict-Transport-Security is sent', async () => {
    const dir = tempDir();
    const pair = selfSignedCert(dir, 'localhost');
    const { app } = await rig(
      {},
      { https: { cert: readFileSync(pair.cert, 'utf8'), key: readFileSync(pair.key, 'utf8') } },
    );
    await app.listen({ host: '127.0.0.1', port: 0 });
    const port = (app.server.address() as AddressInfo).port;
    const res = await new Promise<{ status: number; headers: Record<string, unknown> }>((resolve, reject) => {
      const body = JSON.stringify({ user: 'admin', password: TEST_PASSWORDS.admin });
      const req = httpsRequest(
        {
          host: '127.0.0.1',
          port,
          path: '/api/login',
          method: 'POST',
          rejectUnauthorized: false,
          headers: { 'content-type': 'application/json', host: 'localhost', origin: 'https://localhost' },
        },
        (r) => {
          r.resume();
          r.on('end', () => resolve({ status: r.statusCode ?? 0, headers: r.headers }));
        },
      );
      req.on('error', reject);
      req.end(body);
    });
    expect(res.status).toBe(200);
    expect(String(res.headers['set-cookie'])).toMatch(/; Secure$/);
    expect(res.headers['strict-transport-security']).toBe('max-age=31536000');
  });
});

describe('login throttling', () => {
  const fail = (app: Awaited<ReturnType<typeof rig>>['app'], user: string, remoteAddress: string) =>
    app.inject({
      method: 'POST',
      url: '/api/login',
      remoteAddress,
      headers: page,
      payload: { user, password: 'guess' },
    });

  it('an address gets growing delays after 3 failures and is refused without its password checked', async () => {
    const checked: string[] = [];
    const { app, advance } = await rig({
      users: {
        verify: (name, password) => {
          checked.push(password);
          return Promise.resolve(name === 'admin' && password === TEST_PASSWORDS.admin ? 'admin' : null);
        },
      },
    });
    for (let i = 0; i < 3; i++) expect((await fail(app, 'admin', '192.0.2.9')).statusCode).toBe(401);
    // 3 failures: the next attempt waits 1 s.
    const held = await app.inject({
      method: 'POST',
      url: '/api/login',
      remoteAddress: '192.0.2.9',
      headers: page,
      payload: { user: 'admin', password: TEST_PASSWORDS.admin },
    });
    expect(held.statusCode).toBe(429);
    expect(held.headers['retry-after']).toBe('1');
    expect(held.json()).toMatchObject({ error: 'LOGIN_THROTTLED' });
    expect(checked).toEqual(['guess', 'guess', 'guess']);
    advance(1000);
    expect((await fail(app, 'admin', '192.0.2.9')).statusCode).toBe(401);
    // 4 failures: 2 s.
    advance(1999);
    expect((await fail(app, 'admin', '192.0.2.9')).statusCode).toBe(429);
    advance(1);
    expect((await fail(app, 'admin', '192.0.2.9')).statusCode).toBe(401);
    // 5 failures: 4 s; capped at 30 s however many more.
    expect((await fail(app, 'admin', '192.0.2.9')).headers['retry-after']).toBe('4');
    for (let i = 0; i < 10; i++) {
      advance(30_000);
      expect((await fail(app, 'admin', '192.0.2.9')).statusCode).toBe(401);
    }
    expect((await fail(app, 'admin', '192.0.2.9')).headers['retry-after']).toBe('30');
    // Forgotten after 15 minutes of quiet.
    advance(15 * 60_000);
    const back = await app.inject({
      method: 'POST',
      url: '/api/login',
      remoteAddress: '192.0.2.9',
      headers: page,
      payload: { user: 'admin', password: TEST_PASSWORDS.admin },
    });
    expect(back.statusCode).toBe(200);
  });

  it("a user's failures slow the answers to failed attempts for that user, never a correct login from a clean address", async () => {
    const { app, sleeps } = await rig();
    // Someone guesses admin's password from many addresses: each address stays under its own limit.
    for (let i = 0; i < 8; i++) expect((await fail(app, 'admin', `198.51.100.${i}`)).statusCode).toBe(401);
    expect(sleeps).toEqual([0, 0, 1000, 2000, 4000, 8000, 16_000, 30_000]);
    // The real admin, from a clean address, with the right password: in at once, not held.
    const ok = await app.inject({
      method: 'POST',
      url: '/api/login',
      remoteAddress: '203.0.113.5',
      headers: page,
      payload: { user: 'admin', password: TEST_PASSWORDS.admin },
    });
    expect(ok.statusCode).toBe(200);
    expect(sleeps).toHaveLength(8);
    // Another user is not slowed by admin's failures.
    expect((await fail(app, 'viewer', '203.0.113.6')).statusCode).toBe(401);
    expect(sleeps.at(-1)).toBe(0);
  });

  it('logs failed logins at warn with user and address, never the password', async () => {
    const { app, logText } = await rig();
    await app.inject({
      method: 'POST',
      url: '/api/login',
      remoteAddress: '192.0.2.44',
      headers: page,
      payload: { user: 'admin', password: 'hunter2-secret-guess' },
    });
    const lines = logText()
      .split('\n')
      .filter((l) => l.includes('web login failed'));
    expect(lines).toHaveLength(1);
    expect(JSON.parse(lines[0] ?? '{}')).toMatchObject({ level: 40, user: 'admin', remote: '192.0.2.44' });
    expect(logText()).not.toContain('hunter2-secret-guess');
  });
});

describe('login info and the demo', () => {
  it('says demo and public status; the demo password only to a loopback caller', async () => {
    const plain = await rig();
    expect((await plain.app.inject({ url: '/api/login/info' })).json()).toEqual({ demo: false, publicStatus: false });
    const demo = await rig({ demo: { user: 'admin', password: 'demo-pass-1234' }, publicStatus: true });
    const local = await demo.app.inject({ url: '/api/login/info' });
    expect(local.json<LoginInfo>()).toEqual({
      demo: true,
      publicStatus: true,
      demoUser: 'admin',
      demoPassword: 'demo-pass-1234',
    });
    const remote = await demo.app.inject({ url: '/api/login/info', remoteAddress: '192.0.2.7' });
    expect(remote.json()).toEqual({ demo: true, publicStatus: true });
  });
});

describe('no secret leaks', () => {
  it('neither the password, the cookie value nor the CSRF token reaches the log or the audit log', async () => {
    const { app, logText } = await rig();
    await app.inject({
      method: 'POST',
      url: '/api/login',
      headers: page,
      payload: { user: 'admin', password: 'a-wrong-secret' },
    });
    const { headers, sessionId, me } = await webLogin(app);
    await app.inject({ method: 'POST', url: '/test/action', headers });
    await app.inject({ method: 'POST', url: '/api/shutdown/test', headers: { ...headers, 'x-csrf-token': 'nope' } });
    await app.inject({ method: 'POST', url: '/api/logout', headers });
    const { headers: h2 } = await webLogin(app);
    const audit = await app.inject({ url: '/api/audit', headers: h2 });
    const rows = audit.json<AuditResponse>().entries;
    expect(rows.map((r) => r.action)).toEqual(
      expect.arrayContaining(['login-failed', 'login', 'POST /test/action', 'POST /api/shutdown/test', 'logout']),
    );
    for (const text of [JSON.stringify(rows), logText()]) {
      for (const secret of [TEST_PASSWORDS.admin, 'a-wrong-secret', sessionId, me.csrfToken]) {
        expect(text).not.toContain(secret);
      }
    }
  });
});
