// The libvirt driver against libvirt's test driver inside a real libvirtd on a unix socket (peers.md §3.2), and the
// same daemon through test+ssh:// to a real sshd on 127.0.0.1 (§3.3), as production's qemu+ssh:// works.
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { libvirtDriverSchema } from '../../src/config/driver-schema.js';
import { ErrorCode, UpsguardError } from '../../src/errors.js';
import type { Target } from '../../src/shutdown/drivers/driver.js';
import { LibvirtDriver } from '../../src/shutdown/drivers/libvirt.js';
import { haveLibvirtd, startLibvirtd, type Libvirtd } from '../helpers/libvirtd.js';
import { haveSshd, startSshd, type Sshd } from '../helpers/sshd.js';
import { describeWithPeers } from '../helpers/peers.js';

const d = describeWithPeers({
  libvirtd: haveLibvirtd,
  'sshd as root': haveSshd,
  'nc (netcat-openbsd)': existsSync('/bin/nc'),
});

const rejection = async (p: Promise<unknown>): Promise<UpsguardError> => {
  const err = await p.then(
    () => new Error('expected a rejection'),
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(UpsguardError);
  return err as UpsguardError;
};

d('libvirt driver against libvirtd (test driver)', () => {
  let dir: string;
  let lv: Libvirtd;
  let sshd: Sshd;
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'upsguard-libvirt-'));
    [lv, sshd] = await Promise.all([startLibvirtd(join(dir, 'lv')), startSshd(dir)]);
    await lv.addDomains('web', 2);
    await lv.addDomains('cold', 1, false);
  }, 40_000);
  afterAll(async () => {
    await Promise.all([lv.stop(), sshd.stop()]);
    rmSync(dir, { recursive: true, force: true });
  });

  const driver = (over: Record<string, unknown> = {}): LibvirtDriver =>
    new LibvirtDriver(
      libvirtDriverSchema.parse({
        name: 'kvm',
        kind: 'libvirt',
        uri: lv.uri,
        host: 'kvm1',
        call_timeout_ms: 10_000,
        ...over,
      }),
      { baseDir: dir },
    );
  const vm = (name: string): Target => ({ driver: 'kvm', name, kind: 'vm', host: 'kvm1', tags: [], macs: [] });

  it('discovers every domain with its MACs and host, and reads states with reasons in one call', async () => {
    const drv = driver();
    const targets = await drv.discover();
    expect(targets.map((t) => t.name).sort()).toEqual(['cold0', 'test', 'web0', 'web1']);
    expect(targets.find((t) => t.name === 'web1')).toMatchObject({
      kind: 'vm',
      host: 'kvm1',
      macs: ['52:54:00:00:00:01'],
      tags: ['libvirt'],
    });
    // list, interfaces (one batch), states (one batch), and one agent ping that finds the test driver has no agent
    // channel (so no domain is tagged tools/no-tools), whatever the number of domains.
    expect(drv.virsh.calls).toBe(4);
    const states = await drv.states();
    expect(states.get('cold0')).toEqual({ state: 'off', text: 'shut off (unknown)' });
    expect(states.get('web0')?.state).toBe('on');
    const [c] = await drv.check();
    expect(c).toMatchObject({ ok: true, message: expect.stringMatching(/4 domains, 3 running/) as unknown });
  });

  it('shuts a domain down gracefully, starts it, destroys it; state kept by the daemon', async () => {
    const drv = driver();
    expect(await drv.powerState(vm('web0'))).toBe('on');
    await drv.shutdown(vm('web0'));
    expect((await lv.virsh('domstate', 'web0', '--reason')).trim()).toBe('shut off (shutdown)');
    expect(await drv.powerState(vm('web0'))).toBe('off');
    await drv.shutdown(vm('web0')); // already off: accepted, not an error
    await drv.powerOn(vm('web0'));
    await drv.powerOn(vm('web0'));
    expect(await drv.powerState(vm('web0'))).toBe('on');
    await drv.powerOff(vm('web0'));
    expect((await lv.virsh('domstate', 'web0', '--reason')).trim()).toBe('shut off (destroyed)');
    expect(lv.events().join('\n')).toMatch(
      /domain 'web0': Stopped Shutdown[\s\S]*Started Booted[\s\S]*Stopped Destroyed/,
    );
  });

  it('names a missing domain and an unreachable daemon with typed errors', async () => {
    const drv = driver();
    const e = await rejection(drv.shutdown(vm('nope')));
    expect(e.code).toBe(ErrorCode.DriverNotFound);
    expect(e.message).toContain('kvm/nope graceful shutdown: no such domain');
    expect((await rejection(drv.powerState(vm('nope')))).code).toBe(ErrorCode.DriverNotFound);
    const gone = driver({ uri: `test+unix:///default?socket=${join(dir, 'no-such-sock')}` });
    expect((await rejection(gone.discover())).code).toBe(ErrorCode.DriverUnreachable);
    const [c] = await gone.check();
    expect(c?.ok).toBe(false);
  });

  const sshUri = (): string => `test+ssh://root@127.0.0.1:${sshd.port}/default?socket=${lv.socket}&proxy=netcat`;

  it('does the same through test+ssh:// with the key and a pinned known_hosts', async () => {
    const drv = driver({ uri: sshUri(), ssh_key_file: 'virshkey', ssh_known_hosts: 'known_hosts' });
    const names = (await drv.discover()).map((t) => t.name);
    expect(names).toContain('web1');
    await drv.shutdown(vm('web1'));
    expect((await lv.virsh('domstate', 'web1', '--reason')).trim()).toBe('shut off (shutdown)');
    expect(await drv.powerState(vm('web1'))).toBe('off');
    await drv.powerOn(vm('web1'));
    await drv.powerOff(vm('web1'));
    expect((await lv.virsh('domstate', 'web1', '--reason')).trim()).toBe('shut off (destroyed)');
    expect((await rejection(drv.powerOff(vm('nope')))).code).toBe(ErrorCode.DriverNotFound);
  }, 20_000);

  it('refuses a changed host key and a wrong key over test+ssh://', async () => {
    const wrongHost = driver({ uri: sshUri(), ssh_key_file: 'virshkey', ssh_known_hosts: 'wrong_known_hosts' });
    expect((await rejection(wrongHost.discover())).code).toBe(ErrorCode.DriverHostKey);
    const wrongKey = driver({ uri: sshUri(), ssh_key_file: 'strangerkey', ssh_known_hosts: 'known_hosts' });
    expect((await rejection(wrongKey.discover())).code).toBe(ErrorCode.DriverAuth);
  }, 20_000);
});
