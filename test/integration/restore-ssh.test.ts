// The SSH driver's restore side against a real OpenSSH sshd on 127.0.0.1 (peers.md §4): a host is ready when sshd
// answers and its check command runs, not ready (with the reason) when sshd is stopped; powerOn stays a typed
// "needs Wake-on-LAN or IPMI" error naming the host.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { sshDriverSchema } from '../../src/config/driver-schema.js';
import { ErrorCode, UpsguardError } from '../../src/errors.js';
import type { Target } from '../../src/shutdown/drivers/driver.js';
import { SshDriver } from '../../src/shutdown/drivers/ssh.js';
import { describeWithPeers } from '../helpers/peers.js';
import { haveSshd, startSshd, type Sshd } from '../helpers/sshd.js';

const d = describeWithPeers({ 'sshd as root': haveSshd });

d('ssh restore against sshd on 127.0.0.1', () => {
  let sshd: Sshd;
  let dir: string;
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'upsguard-restore-ssh-'));
    sshd = await startSshd(dir);
  }, 20_000);
  afterAll(async () => {
    await sshd.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  const driver = (): SshDriver =>
    new SshDriver(
      sshDriverSchema.parse({
        name: 'nas',
        kind: 'ssh',
        connect_timeout_s: 2,
        call_timeout_ms: 8000,
        hosts: [
          { name: 'nas1', address: '127.0.0.1', port: sshd.port, key_file: 'clientkey', known_hosts: 'known_hosts' },
        ],
      }),
      { baseDir: dir },
    );
  const target = async (drv: SshDriver): Promise<Target> => (await drv.discover())[0]!;

  it('powerOn is a typed error naming the host and what it needs', async () => {
    const drv = driver();
    const err = await drv.powerOn(await target(drv)).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(UpsguardError);
    expect((err as UpsguardError).code).toBe(ErrorCode.DriverUnsupported);
    expect((err as UpsguardError).message).toMatch(/nas\/nas1: .*needs Wake-on-LAN or IPMI/);
  });

  it('a host whose sshd answers and runs the check command is ready; its state is on again after a shutdown', async () => {
    const drv = driver();
    const t = await target(drv);
    await drv.shutdown(t); // the fake forced command records it and stays up
    expect(await drv.powerState(t)).toBe('stopping');
    const before = sshd.commands().length;
    const r = await drv.hostReady(t);
    expect(r).toEqual({ ready: true, message: 'nas/nas1: sshd answers, uptime ran' });
    // The check command, never anything the forced command would take for the halt.
    expect(sshd.commands().slice(before)).toEqual(['uptime']);
    expect(await drv.powerState(t)).toBe('on');
  });

  it('a host whose sshd is stopped is not ready, and the message says why', async () => {
    const drv = driver();
    const t = await target(drv);
    await sshd.stop();
    const r = await drv.hostReady(t);
    expect(r.ready).toBe(false);
    expect(r.message).toContain('nas/nas1 readiness');
    expect(r.message).toMatch(/refused|not answering|unreachable|timed out/i);
  });
});
