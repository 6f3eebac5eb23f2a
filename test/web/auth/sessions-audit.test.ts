import { describe, expect, it } from 'vitest';
import type { AuditEntry, AuditResponse, SessionsResponse } from '../../../src/web/api-types/auth.js';
import { TEST_HOST, TEST_ORIGIN, webLogin } from '../../helpers/web-login.js';
import { rig, T0 } from './rig.js';

describe('action rate limit', () => {
  it('state-changing calls per session are limited per minute, with retry-after; reads are not', async () => {
    const { app, actions, advance } = await rig({ actionRatePerMin: 3 });
    const op = await webLogin(app, 'operator');
    const other = await webLogin(app, 'admin');
    const dry = (headers: Record<string, string>) => app.inject({ method: 'POST', url: '/test/action', headers });
    for (let i = 0; i < 3; i++) expect((await dry(op.headers)).statusCode).toBe(200);
    advance(20_000);
    const limited = await dry(op.headers);
    expect(limited.statusCode).toBe(429);
    expect(limited.headers['retry-after']).toBe('40');
    expect(limited.json()).toMatchObject({ error: 'RATE_LIMITED' });
    expect(actions).toHaveLength(3);
    // Another session has its own allowance; reads are not counted.
    expect((await dry(other.headers)).statusCode).toBe(200);
    expect((await app.inject({ url: '/test/read', headers: op.headers })).statusCode).toBe(200);
    advance(40_000);
    expect((await dry(op.headers)).statusCode).toBe(200);
  });
});

describe('audit log', () => {
  it('records a login, a failed login, an action with its detail, a refusal and a logout, newest first', async () => {
    const { app, advance } = await rig();
    await app.inject({
      method: 'POST',
      url: '/api/login',
      remoteAddress: '192.0.2.3',
      headers: { origin: TEST_ORIGIN, host: TEST_HOST },
      payload: { user: 'admin', password: 'nope' },
    });
    advance(1000);
    const op = await webLogin(app, 'operator');
    advance(1000);
    await app.inject({ method: 'POST', url: '/test/action', headers: op.headers });
    await app.inject({ method: 'POST', url: '/api/plan/dry-run', headers: { ...op.headers, 'x-csrf-token': 'bad' } });
    await app.inject({ method: 'POST', url: '/api/logout', headers: op.headers });
    // Reads are not audited.
    const admin = await webLogin(app, 'admin');
    await app.inject({ url: '/test/read', headers: admin.headers });
    const res = await app.inject({ url: '/api/audit', headers: admin.headers });
    expect(res.statusCode).toBe(200);
    const { entries, nextBefore } = res.json<AuditResponse>();
    expect(nextBefore).toBeNull();
    const brief = entries.map(({ user, address, action, detail, status }) => ({
      user,
      address,
      action,
      detail,
      status,
    }));
    expect(brief).toEqual([
      { user: 'admin', address: '127.0.0.1', action: 'login', detail: 'role admin', status: 200 },
      { user: 'operator', address: '127.0.0.1', action: 'logout', detail: null, status: 200 },
      { user: 'operator', address: '127.0.0.1', action: 'POST /api/plan/dry-run', detail: null, status: 403 },
      { user: 'operator', address: '127.0.0.1', action: 'POST /test/action', detail: 'did the thing', status: 200 },
      { user: 'operator', address: '127.0.0.1', action: 'login', detail: 'role operator', status: 200 },
      { user: null, address: '192.0.2.3', action: 'login-failed', detail: 'as "admin"', status: 401 },
    ]);
    expect(entries.at(-1)?.at).toBe(new Date(T0).toISOString());
    expect(entries[0]?.at).toBe(new Date(T0 + 2000).toISOString());
  });

  it('writes no row for an anonymous request refused before any handler, and keeps only the newest rows', async () => {
    const { app, auth } = await rig();
    for (let i = 0; i < 5; i++) {
      const res = await app.inject({ method: 'POST', url: '/test/action', headers: { host: TEST_HOST } });
      expect(res.statusCode).toBe(401);
    }
    const misdirected = await app.inject({ method: 'POST', url: '/test/action', headers: { host: 'evil.example' } });
    expect(misdirected.statusCode).toBe(421);
    expect(auth.audit.list(null, 100)).toEqual([]);
    for (let i = 0; i < 10; i++) auth.audit.record({ user: 'x', address: '127.0.0.1', action: `a${i}`, status: 200 });
    expect(auth.audit.prune(4)).toBe(6);
    expect(auth.audit.list(null, 100).map((e) => e.action)).toEqual(['a9', 'a8', 'a7', 'a6']);
    expect(auth.audit.prune(4)).toBe(0);
  });

  it('pages with before and limit; AuditLog.record is callable from elsewhere with a detail', async () => {
    const { app, auth } = await rig();
    for (let i = 0; i < 5; i++) {
      auth.audit.record({
        user: 'admin',
        address: '127.0.0.1',
        action: 'policy-saved',
        detail: `edit ${i}`,
        status: 200,
      });
    }
    const { headers } = await webLogin(app, 'admin');
    const first = (await app.inject({ url: '/api/audit?limit=3', headers })).json<AuditResponse>();
    expect(first.entries.map((e) => e.action)).toEqual(['login', 'policy-saved', 'policy-saved']);
    expect(first.nextBefore).toBe(first.entries[2]?.id);
    const second = (
      await app.inject({ url: `/api/audit?limit=3&before=${first.nextBefore}`, headers })
    ).json<AuditResponse>();
    expect(second.entries.map((e: AuditEntry) => e.detail)).toEqual(['edit 2', 'edit 1', 'edit 0']);
    const bad = await app.inject({ url: '/api/audit?limit=0', headers });
    expect(bad.statusCode).toBe(400);
    expect(bad.json()).toMatchObject({ error: 'REQUEST_INVALID' });
  });

  it('a route can add words with req.auditDetail', async () => {
    const { app } = await rig();
    const admin = await webLogin(app, 'admin');
    const other = await webLogin(app, 'viewer');
    const list = (await app.inject({ url: '/api/sessions', headers: admin.headers })).json<SessionsResponse>();
    const id = list.sessions.find((s) => s.user === 'viewer')?.id ?? '';
    expect(
      (await app.inject({ method: 'DELETE', url: `/api/sessions/${id}`, headers: admin.headers })).statusCode,
    ).toBe(200);
    const entries = (await app.inject({ url: '/api/audit', headers: admin.headers })).json<AuditResponse>().entries;
    expect(entries[0]).toMatchObject({
      user: 'admin',
      action: 'DELETE /api/sessions/:id',
      detail: `session ${id}`,
      status: 200,
    });
    expect(other.me.user).toBe('viewer');
  });
});

describe('sessions', () => {
  it('an admin lists sessions (public id, never the cookie) and revokes one', async () => {
    const { app } = await rig();
    const admin = await webLogin(app, 'admin');
    const viewer = await webLogin(app, 'viewer');
    const res = await app.inject({ url: '/api/sessions', headers: { ...admin.headers, 'user-agent': 'test-browser' } });
    expect(res.statusCode).toBe(200);
    const { sessions } = res.json<SessionsResponse>();
    expect(sessions).toHaveLength(2);
    expect(sessions.map((s) => [s.user, s.current])).toEqual(
      expect.arrayContaining([
        ['admin', true],
        ['viewer', false],
      ]),
    );
    for (const s of sessions) {
      expect(s.id).toMatch(/^[0-9a-f]{12}$/);
      expect(s).toMatchObject({
        address: '127.0.0.1',
        created: expect.any(String) as unknown,
        lastSeen: expect.any(String) as unknown,
      });
    }
    expect(res.body).not.toContain(admin.sessionId);
    expect(res.body).not.toContain(viewer.sessionId);
    expect(res.body).not.toContain(viewer.me.csrfToken);
    const id = sessions.find((s) => s.user === 'viewer')?.id ?? '';
    const revoked = await app.inject({ method: 'DELETE', url: `/api/sessions/${id}`, headers: admin.headers });
    expect(revoked.json()).toEqual({ revoked: id });
    expect((await app.inject({ url: '/test/read', headers: viewer.headers })).statusCode).toBe(401);
    const again = await app.inject({ method: 'DELETE', url: `/api/sessions/${id}`, headers: admin.headers });
    expect(again.statusCode).toBe(404);
    const bad = await app.inject({ method: 'DELETE', url: '/api/sessions/not-an-id', headers: admin.headers });
    expect(bad.statusCode).toBe(400);
    expect((await app.inject({ url: '/api/me', headers: admin.headers })).statusCode).toBe(200);
  });
});
