// Pure parts of the SSH driver, and ssh outcomes a loopback sshd cannot produce on demand (a halting host dropping
// the connection, a hang): a fake ssh client stands in for those.
import { chmodSync, mkdirSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { sshDriverSchema } from '../../src/config/driver-schema.js';
import { ErrorCode } from '../../src/errors.js';
import { SshDriver } from '../../src/shutdown/drivers/ssh.js';
import { classifySshFailure, fingerprintOf, matchingKeyLines } from '../../src/shutdown/drivers/ssh/ssh-exec.js';
import { tempDir } from '../helpers/tmp.js';

// An ed25519 public key and its fingerprint as `ssh-keygen -lf` printed it.
const KEY = 'AAAAC3NzaC1lZDI1NTE5AAAAIAxlZH5mgFP3TtB6KWqQopo4E7fcBl6p767k7yIYFo0t';
const FP = 'SHA256:1rwHQS6Lve6JrDxKdToa91SqcJannnSTHzn6tpflhmQ';

describe('ssh driver: pinning and ssh words', () => {
  it('computes OpenSSH SHA256 fingerprints and keeps only keyscan lines that match the pin', () => {
    expect(fingerprintOf(KEY)).toBe(FP);
    const scan = `# 127.0.0.1:22 SSH-2.0-OpenSSH_9.2\n[127.0.0.1]:2222 ssh-ed25519 ${KEY}\n[127.0.0.1]:2222 ssh-rsa AAAAB3NzaC1yc2EAAAADAQABAAABAQ\n`;
    expect(matchingKeyLines(scan, FP)).toEqual([`[127.0.0.1]:2222 ssh-ed25519 ${KEY}`]);
    expect(matchingKeyLines(scan, FP.slice(7))).toHaveLength(1);
    expect(matchingKeyLines(scan, `SHA256:${'A'.repeat(43)}`)).toEqual([]);
  });

  it('turns ssh messages into typed errors', () => {
    const c = (stderr: string, code = 255) =>
      classifySshFailure('h', { code, stdout: '', stderr, timedOut: false }, 1000).code;
    expect(c('Host key verification failed.')).toBe(ErrorCode.DriverHostKey);
    expect(c('root@1.2.3.4: Permission denied (publickey).')).toBe(ErrorCode.DriverAuth);
    expect(c('ssh: connect to host 10.0.0.9 port 22: Connection timed out')).toBe(ErrorCode.DriverUnreachable);
    expect(c('denied', 126)).toBe(ErrorCode.DriverPermission);
    expect(c('sudo: a password is required', 1)).toBe(ErrorCode.DriverPermission);
  });
});

describe('ssh driver with a fake ssh client', () => {
  const dir = tempDir();
  let server: Server | undefined;
  afterEach(() => server?.close());
  const listen = async (): Promise<number> => {
    server = createServer((s) => s.destroy());
    await new Promise<void>((r) => server!.listen(0, '127.0.0.1', r));
    const a = server.address();
    return typeof a === 'object' && a ? a.port : 0;
  };
  const driver = (body: string, port: number): SshDriver => {
    mkdirSync(dir, { recursive: true }); // tempDir() removes it after each test
    const ssh = join(dir, 'ssh');
    writeFileSync(ssh, `#!/bin/sh\n${body}\n`);
    chmodSync(ssh, 0o755);
    const cfg = sshDriverSchema.parse({
      name: 'nas',
      kind: 'ssh',
      call_timeout_ms: 300,
      connect_timeout_s: 1,
      hosts: [{ name: 'n1', address: '127.0.0.1', port, key_file: 'k', known_hosts: 'kh' }],
    });
    return new SshDriver(cfg, { baseDir: dir, sshPath: ssh });
  };
  const t = { driver: 'nas', name: 'n1', kind: 'host' as const, tags: [], macs: [] };

  it('accepts a connection dropped by the halting host (exit 255) and reads "stopping" while it answers', async () => {
    const port = await listen();
    const drv = driver(`echo "Connection to 127.0.0.1 closed by remote host." >&2; exit 255`, port);
    await drv.shutdown(t);
    expect(await drv.powerState(t)).toBe('stopping');
    server?.close();
    server = undefined;
    expect(await drv.powerState(t)).toBe('off');
  });

  it('bounds a hanging ssh by call_timeout_ms while the host still answers', async () => {
    const port = await listen();
    const t0 = Date.now();
    const err = await driver('sleep 5', port)
      .shutdown(t)
      .catch((e: unknown) => e);
    expect(err).toMatchObject({ code: ErrorCode.DriverTimeout });
    expect(Date.now() - t0).toBeLessThan(2500);
  });

  it('passes the pinning options and never a shell', async () => {
    const port = await listen();
    const drv = driver(`printf '%s\\n' "$@" > "${dir}/args"`, port);
    await drv.shutdown(t);
    const { readFileSync } = await import('node:fs');
    const args = readFileSync(join(dir, 'args'), 'utf8').split('\n');
    for (const o of ['BatchMode=yes', 'StrictHostKeyChecking=yes', `UserKnownHostsFile=${join(dir, 'kh')}`])
      expect(args).toContain(o);
    expect(args.slice(-4, -1)).toEqual(['--', '127.0.0.1', 'sudo /sbin/poweroff']);
  });
});
