import { afterEach, describe, expect, it, vi } from 'vitest';
import { App } from '../../../src/app.js';
import { demoConfig } from '../../../src/config/demo.js';
import { validateConfig } from '../../../src/config/load.js';
import { createLogger } from '../../../src/log.js';
import type { AuditResponse, LoginInfo } from '../../../src/web/api-types/auth.js';
import { demoLoginFor, demoPassword } from '../../../src/web/auth/demo-login.js';
import { startSimApp } from '../../helpers/demo-app.js';
import { TEST_HOST, TEST_ORIGIN, testUsers, webLogin } from '../../helpers/web-login.js';

// The auth layer as the App wires it: the config's users (hashed with scrypt at start), the store's sessions and
// audit tables, and the demo's printed admin.

const apps: App[] = [];
afterEach(async () => {
  vi.restoreAllMocks();
  for (const a of apps.splice(0)) await a.stop();
});

describe('the App wires login to the configured users', () => {
  it('a configured user logs in with its password, gets its role, and its login is in the audit log', async () => {
    const app = await startSimApp({ extra: { users: testUsers() } });
    apps.push(app);
    const web = app.server();
    const refused = await web.inject({
      method: 'POST',
      url: '/api/login',
      headers: { origin: TEST_ORIGIN, host: TEST_HOST },
      payload: { user: 'admin', password: 'not-it' },
    });
    expect(refused.statusCode).toBe(401);
    const viewer = await webLogin(web, 'viewer');
    expect(viewer.me).toMatchObject({ user: 'viewer', role: 'viewer', demo: false });
    const admin = await webLogin(web, 'admin');
    const audit = (await web.inject({ url: '/api/audit', headers: admin.headers })).json<AuditResponse>();
    expect(audit.entries.map((e) => [e.action, e.user])).toEqual([
      ['login', 'admin'],
      ['login', 'viewer'],
      ['login-failed', null],
    ]);
    expect((await web.inject({ url: '/api/login/info' })).json()).toEqual({ demo: false, publicStatus: false });
  });
});

describe('the demo login', () => {
  it('is made only for the demo config on loopback', () => {
    expect(demoLoginFor(true, '127.0.0.1')?.user).toBe('admin');
    expect(demoLoginFor(true, '0.0.0.0')).toBeNull();
    expect(demoLoginFor(true, '192.0.2.5')).toBeNull();
    expect(demoLoginFor(false, '127.0.0.1')).toBeNull();
    expect(demoPassword()).toMatch(/^[a-z2-7]{16}$/);
    expect(demoPassword()).not.toBe(demoPassword());
  });

  it('prints admin and its password at start, shows them to a loopback login page, and they log in', async () => {
    const loaded = validateConfig(
      { ...demoConfig, store: { path: ':memory:' }, nut_server: { port: 0 } },
      'demo',
      process.cwd(),
      {},
    );
    const app = new App({ loaded: { ...loaded, isDemo: true }, log: createLogger({ level: 'silent' }) });
    apps.push(app);
    await app.start();
    const printed: string[] = [];
    vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
      printed.push(String(chunk));
      return true;
    });
    const url = await app.listen('127.0.0.1', 0);
    vi.restoreAllMocks();
    const line = printed.find((l) => l.startsWith('upsguard: demo login'));
    const m = /^upsguard: demo login admin \/ ([a-z2-7]{16}) at (http:\/\/127\.0\.0\.1:\d+)\n$/.exec(line ?? '');
    expect(m, line).not.toBeNull();
    expect(m?.[2]).toBe(url);
    const web = app.server();
    const info = (await web.inject({ url: '/api/login/info' })).json<LoginInfo>();
    expect(info).toEqual({ demo: true, publicStatus: false, demoUser: 'admin', demoPassword: m?.[1] });
    const remote = (await web.inject({ url: '/api/login/info', remoteAddress: '192.0.2.8' })).json<LoginInfo>();
    expect(remote).toEqual({ demo: true, publicStatus: false });
    const login = await webLogin(web, 'admin', m?.[1] ?? '');
    expect(login.me).toMatchObject({ user: 'admin', role: 'admin', demo: true });
  });
});
