// The SSH driver against a real OpenSSH sshd on 127.0.0.1 whose forced command records the command instead of
// powering off (peers.md §4).
import { afterAll, beforeAll, expect, it } from 'vitest';
import { sshDriverSchema } from '../../src/config/driver-schema.js';
import { ErrorCode, UpsguardError } from '../../src/errors.js';
import type { Target } from '../../src/shutdown/drivers/driver.js';
import { SshDriver } from '../../src/shutdown/drivers/ssh.js';
import { haveSshd, startSshd, type Sshd } from '../helpers/sshd.js';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describeWithPeers } from '../helpers/peers.js';

const d = describeWithPeers({ 'sshd as root': haveSshd });

d('ssh driver against sshd on 127.0.0.1', () => {
  let sshd: Sshd;
  let dir: string;
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'upsguard-sshd-'));
    sshd = await startSshd(dir);
  }, 20_000);
  afterAll(async () => {
    await sshd.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  const driver = (host: Record<string, unknown>): SshDriver =>
    new SshDriver(
      sshDriverSchema.parse({
        name: 'nas',
        kind: 'ssh',
        connect_timeout_s: 2,
        call_timeout_ms: 8000,
        hosts: [{ name: 'nas1', address: '127.0.0.1', port: sshd.port, key_file: 'clientkey', ...host }],
      }),
      { baseDir: dir },
    );
  const target = async (drv: SshDriver): Promise<Target> => (await drv.discover())[0]!;
  const rejection = async (p: Promise<unknown>): Promise<UpsguardError> => {
    const err = await p.then(
      () => new Error('expected a rejection'),
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(UpsguardError);
    return err as UpsguardError;
  };

  it('checks with the pinned fingerprint and records the configured command', async () => {
    const drv = driver({ host_key_sha256: sshd.hostKeySha256 });
    const t = await target(drv);
    expect(t).toMatchObject({ driver: 'nas', name: 'nas1', kind: 'host' });
    const [c] = await drv.check();
    expect(c).toMatchObject({ target: 'nas1', ok: true });
    expect(c?.message).toMatch(/^uptime: .*load average/);
    expect(await drv.powerState(t)).toBe('on');
    await drv.shutdown(t);
    expect(sshd.commands()).toEqual(['uptime', 'sudo /sbin/poweroff']);
    // sent but still answering: stopping, not off
    expect(await drv.powerState(t)).toBe('stopping');
  });

  it('uses a known_hosts file and a custom command; the host refusing a command is a permission error', async () => {
    const ok = driver({ known_hosts: 'known_hosts', command: 'shutdown -h now' });
    await ok.shutdown(await target(ok));
    expect(sshd.commands().at(-1)).toBe('shutdown -h now');
    const denied = driver({ known_hosts: 'known_hosts', command: 'rm -rf /' });
    const err = await rejection(denied.shutdown(await target(denied)));
    expect(err.code).toBe(ErrorCode.DriverPermission);
    expect(await denied.powerState(await target(denied))).toBe('on');
  });

  it('refuses a host whose key is not the pinned one, before sending anything', async () => {
    const before = sshd.commands().length;
    const byFile = driver({ known_hosts: 'wrong_known_hosts' });
    const e1 = await rejection(byFile.shutdown(await target(byFile)));
    expect(e1.code).toBe(ErrorCode.DriverHostKey);
    expect(e1.message).toMatch(/host key does not match/);
    const byPrint = driver({ host_key_sha256: `SHA256:${'A'.repeat(43)}` });
    const e2 = await rejection(byPrint.shutdown(await target(byPrint)));
    expect(e2.code).toBe(ErrorCode.DriverHostKey);
    expect(e2.message).toContain('pinned fingerprint');
    expect(sshd.commands().length).toBe(before);
  });

  it('reports a key the host does not accept as an authentication failure', async () => {
    const drv = driver({ key_file: 'strangerkey', known_hosts: 'known_hosts' });
    const [c] = await drv.check();
    expect(c?.ok).toBe(false);
    const err = await rejection(drv.shutdown(await target(drv)));
    expect(err.code).toBe(ErrorCode.DriverAuth);
  });

  it('cannot hard power-off, and confirms "off" once sshd stops answering', async () => {
    const drv = driver({ host_key_sha256: sshd.hostKeySha256 });
    const t = await target(drv);
    expect((await rejection(drv.powerOff(t))).code).toBe(ErrorCode.DriverUnsupported);
    await drv.shutdown(t);
    expect(await drv.powerState(t)).toBe('stopping');
    await sshd.stop();
    expect(await drv.powerState(t)).toBe('off');
    expect(drv.report(t)).toMatch(/stopped answering at/);
    // a host never told to stop that does not answer is not claimed to be off
    const other = driver({ host_key_sha256: sshd.hostKeySha256 });
    expect(await other.powerState(t)).toBe('unknown');
    expect((await rejection(other.shutdown(t))).code).toBe(ErrorCode.DriverUnreachable);
  });
});
