import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { repo } from './built-deb.js';

const UNITS = ['deploy/upsguard.service', 'deploy/upsguard-relay.service'].map((u) => join(repo, u));

/** The [Service] settings of a unit file, each key with every value it is given. */
function serviceSettings(file: string): Map<string, string[]> {
  const map = new Map<string, string[]>();
  let section = '';
  for (const raw of readFileSync(file, 'utf8').split('\n')) {
    const line = raw.trim();
    if (line.startsWith('[')) section = line;
    else if (section === '[Service]' && line !== '' && !line.startsWith('#')) {
      const at = line.indexOf('=');
      const key = line.slice(0, at);
      map.set(key, [...(map.get(key) ?? []), line.slice(at + 1)]);
    }
  }
  return map;
}

describe('systemd units', () => {
  it('pass systemd-analyze verify', () => {
    const r = spawnSync('systemd-analyze', ['verify', ...UNITS], { encoding: 'utf8', timeout: 60_000 });
    expect(r.error?.message ?? '', 'systemd-analyze must be installed (Debian package systemd)').toBe('');
    expect(r.stderr.trim()).toBe('');
    expect(r.status).toBe(0);
  });

  it('are notify services with a watchdog, reload by SIGHUP, restart on failure, and hardened to "OK" or better', () => {
    for (const unit of UNITS) {
      const s = serviceSettings(unit);
      const one = (k: string): string | undefined => s.get(k)?.at(-1);
      expect(one('Type'), unit).toBe('notify');
      expect(one('NotifyAccess'), unit).toBe('all');
      expect(Number(one('WatchdogSec')), unit).toBeGreaterThan(0);
      expect(one('ExecReload'), unit).toBe('/bin/kill -HUP $MAINPID');
      expect(one('Restart'), unit).toBe('on-failure');
      expect(one('User'), unit).toBe('upsguard');
      expect(one('ProtectSystem'), unit).toBe('strict');
      expect(one('CapabilityBoundingSet'), unit).toBe('');
      expect(one('DevicePolicy'), unit).toBe('closed');
      expect(s.get('DeviceAllow'), unit).toContain('char-hidraw rw');
      expect(one('RestrictAddressFamilies'), unit).toBe('AF_UNIX AF_INET AF_INET6 AF_NETLINK');
      expect(s.get('SystemCallFilter'), unit).toContain('@system-service');

      const r = spawnSync('systemd-analyze', ['security', '--offline=yes', '--no-pager', unit], {
        encoding: 'utf8',
        timeout: 60_000,
      });
      const m = /Overall exposure level for \S+: (\d+(?:\.\d+)?) (\S+)/.exec(r.stdout);
      expect(m, `${unit}: ${r.stdout.slice(-300)}${r.stderr}`).not.toBeNull();
      expect(Number(m![1]), unit).toBeLessThanOrEqual(4.9);
    }
  });
});
