// The libvirt driver's restore side against libvirt's test driver inside a real libvirtd (peers.md §3.2): `virsh
// start` (already active counted done), the autostart flag from `virsh dominfo`, host readiness from the URI
// answering and not answering once the daemon is gone. Plus the dominfo parser, fuzzed.
import fc from 'fast-check';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { libvirtDriverSchema } from '../../src/config/driver-schema.js';
import type { Target } from '../../src/shutdown/drivers/driver.js';
import { LibvirtDriver } from '../../src/shutdown/drivers/libvirt.js';
import { parseDominfoAutostart } from '../../src/shutdown/drivers/libvirt/virsh.js';
import { haveLibvirtd, startLibvirtd, type Libvirtd } from '../helpers/libvirtd.js';
import { describeWithPeers } from '../helpers/peers.js';

const d = describeWithPeers({ libvirtd: haveLibvirtd });

d('libvirt restore against libvirtd (test driver)', () => {
  let dir: string;
  let lv: Libvirtd;
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'upsguard-restore-libvirt-'));
    lv = await startLibvirtd(join(dir, 'lv'));
    await lv.addDomains('app', 1);
    await lv.addDomains('cold', 1, false);
  }, 40_000);
  afterAll(async () => {
    await lv.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  const driver = (uri = lv.uri): LibvirtDriver =>
    new LibvirtDriver(
      libvirtDriverSchema.parse({ name: 'kvm', kind: 'libvirt', uri, host: 'kvm1', call_timeout_ms: 10_000 }),
      { baseDir: dir },
    );
  const vm = (name: string): Target => ({ driver: 'kvm', name, kind: 'vm', host: 'kvm1', tags: [], macs: [] });
  const host: Target = { driver: 'kvm', name: 'kvm1', kind: 'host', tags: [], macs: [] };

  it('starts a shut-off domain with virsh start, and an already running one counts as done', async () => {
    const drv = driver();
    expect(await drv.powerState(vm('cold0'))).toBe('off');
    await drv.powerOn(vm('cold0'));
    expect(await drv.powerState(vm('cold0'))).toBe('on');
    await drv.powerOn(vm('cold0')); // "domain is already active": done, not an error
    expect(await drv.powerState(vm('cold0'))).toBe('on');
  });

  it('reads the autostart flag from virsh dominfo', async () => {
    const drv = driver();
    expect(await drv.autostart(vm('app0'))).toBe(false);
    await lv.virsh('autostart', 'app0');
    expect(await drv.autostart(vm('app0'))).toBe(true);
    await lv.virsh('autostart', '--disable', 'app0');
    expect(await drv.autostart(vm('app0'))).toBe(false);
  });

  it('a host is ready when its URI answers, and not ready (with the reason) when it does not', async () => {
    const up = await driver().hostReady(host);
    expect(up.ready).toBe(true);
    expect(up.message).toContain(`kvm1: ${lv.uri} answers`);
    const gone = await driver(`test+unix:///default?socket=${join(dir, 'no-such-sock')}`).hostReady(host);
    expect(gone.ready).toBe(false);
    expect(gone.message).toMatch(/^kvm1: /);
    expect(gone.message).toContain('no-such-sock');
  });
});

describe('virsh dominfo Autostart parsing', () => {
  const dominfo = (autostart: string): string =>
    `Id:             1\nName:           web\nUUID:           6695eb01-f6a4-8304-79aa-97f2502e193f\nOS Type:        hvm\n` +
    `State:          running\nPersistent:     yes\nAutostart:      ${autostart}\nManaged save:   no\n`;

  it('reads enable / disable, and nothing from output without the line', () => {
    expect(parseDominfoAutostart(dominfo('enable'))).toBe(true);
    expect(parseDominfoAutostart(dominfo('disable'))).toBe(false);
    expect(parseDominfoAutostart(dominfo('maybe'))).toBeUndefined();
    expect(parseDominfoAutostart('Name: web\nState: running\n')).toBeUndefined();
  });

  it('never throws, and answers only from an Autostart line', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 300 }), (s) => {
        const r = parseDominfoAutostart(s);
        if (r !== undefined) expect(/autostart:/i.test(s)).toBe(true);
      }),
      { numRuns: 500 },
    );
  });
});
