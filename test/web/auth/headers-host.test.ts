import { describe, expect, it } from 'vitest';
import { CONTENT_SECURITY_POLICY } from '../../../src/web/auth/security-headers.js';
import { allowedHostNames, hostAllowed, hostNameOf } from '../../../src/web/auth/host-check.js';
import { TEST_HOST, webLogin } from '../../helpers/web-login.js';
import { rig } from './rig.js';

describe('security headers', () => {
  it('every response carries them: the page, an API answer, a refusal; API answers are never cached', async () => {
    const { app } = await rig();
    const { headers } = await webLogin(app);
    const pageRes = await app.inject({ url: '/', headers: { host: TEST_HOST } });
    const api = await app.inject({ url: '/api/me', headers });
    const refused = await app.inject({ url: '/api/sessions', headers: { host: TEST_HOST } });
    const misdirected = await app.inject({ url: '/', headers: { host: 'evil.example' } });
    for (const [name, res] of Object.entries({ pageRes, api, refused, misdirected })) {
      expect(res.headers['content-security-policy'], name).toBe(
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; " +
          "font-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'",
      );
      expect(res.headers['x-content-type-options'], name).toBe('nosniff');
      expect(res.headers['referrer-policy'], name).toBe('no-referrer');
      expect(res.headers['x-frame-options'], name).toBe('DENY');
      expect(res.headers['cross-origin-opener-policy'], name).toBe('same-origin');
      expect(res.headers['cross-origin-resource-policy'], name).toBe('same-origin');
      // Plain HTTP here (the HTTPS case is in login.test.ts).
      expect(res.headers['strict-transport-security'], name).toBeUndefined();
    }
    expect(CONTENT_SECURITY_POLICY).not.toMatch(/unsafe/);
    expect(api.headers['cache-control']).toBe('no-store');
    expect(refused.headers['cache-control']).toBe('no-store');
    expect(pageRes.headers['cache-control']).not.toBe('no-store');
  });
});

describe('Host check', () => {
  const names = allowedHostNames({
    serverNames: ['ups.lan', 'UPSGUARD.example.'],
    listenHost: '10.0.0.5',
    machineName: 'box',
  });

  it('takes the configured names, the listen host, localhost, the loopback addresses and the machine name', () => {
    for (const h of [
      'localhost',
      'localhost:8080',
      '127.0.0.1:8443',
      '[::1]:8080',
      '[::1]',
      '10.0.0.5:8443',
      'ups.lan',
      'UPS.LAN:443',
      'upsguard.example',
      'upsguard.example.',
      'box',
      'box.local:8080',
    ]) {
      expect(hostAllowed(h, names), h).toBe(true);
    }
  });

  it('refuses any other name, a malformed Host and a missing one', () => {
    for (const h of [
      'evil.example',
      'evil.example:8080',
      'ups.lan.evil.example',
      '10.0.0.6',
      'localhost:abc',
      'localhost@evil.example',
      '[::1',
      '[::2]:80',
      '',
      undefined,
    ]) {
      expect(hostAllowed(h, names), String(h)).toBe(false);
    }
    expect(hostNameOf('[::1]:8080')).toBe('[::1]');
    expect(hostNameOf('Box.Local.:80')).toBe('box.local');
  });

  it('an unspecified listen address is not a name', () => {
    const any = allowedHostNames({ serverNames: [], listenHost: '0.0.0.0', machineName: 'box' });
    expect(any.has('0.0.0.0')).toBe(false);
    const v6 = allowedHostNames({ serverNames: [], listenHost: 'fd00::5', machineName: 'box' });
    expect(hostAllowed('[fd00::5]:8443', v6)).toBe(true);
  });

  it('the server answers 421 to a rebinding name, before login, and changes nothing', async () => {
    const { app, shutdown } = await rig({ serverNames: ['ups.lan'] });
    const { headers } = await webLogin(app, 'operator');
    const res = await app.inject({
      method: 'POST',
      url: '/api/plan/dry-run',
      headers: { ...headers, host: 'evil.example' },
    });
    expect(res.statusCode).toBe(421);
    expect(res.json()).toMatchObject({ error: 'MISDIRECTED' });
    expect((await app.inject({ url: '/', headers: { host: 'evil.example:8080' } })).statusCode).toBe(421);
    expect((await app.inject({ url: '/', headers: { host: 'ups.lan:8080' } })).statusCode).toBe(200);
    expect((await app.inject({ url: '/', headers: { host: 'appliance.local' } })).statusCode).toBe(200);
    expect(shutdown.started).toEqual([]);
  });
});
