// The Proxmox args fragment given to a real QEMU (7.2, TCG), as qemu-server passes `args` to it: the VM starts while
// the agent is away, connects when it returns, and with TLS-PSK completes the handshake with a Node TLS-PSK server
// (the relay agent's stack) and speaks usbredir. No Proxmox here: this proves the QEMU half of the Proxmox path.
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import tls from 'node:tls';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { proxmoxArgsFragment, splitArgs } from '../../src/relay/usbredir/proxmox-args.js';
import type { RedirEndpoint } from '../../src/relay/usbredir/redirdev.js';
import { describeWithPeers } from '../helpers/peers.js';
import { sleep } from '../helpers/until.js';

const d = describeWithPeers({ 'qemu-system-x86_64': existsSync('/usr/bin/qemu-system-x86_64') });

async function freePort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const port = (s.address() as { port: number }).port;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

function startQemu(fragment: string): ChildProcess {
  const args = [
    ...['-machine', 'pc', '-accel', 'tcg', '-nodefaults', '-display', 'none', '-m', '32', '-device', 'qemu-xhci'],
    ...splitArgs(fragment).map((t) => t.value),
  ];
  return spawn('/usr/bin/qemu-system-x86_64', args, { stdio: ['ignore', 'ignore', 'pipe'] });
}

async function stopQemu(q: ChildProcess): Promise<void> {
  if (q.exitCode !== null || q.signalCode !== null) return;
  const gone = new Promise<void>((r) => q.once('exit', () => r()));
  q.kill('SIGKILL');
  await Promise.race([gone, sleep(5000)]);
}

/** The first bytes the peer sends on the first connection `server` accepts. */
function firstBytes(server: Server, event: 'connection' | 'secureConnection'): Promise<Buffer> {
  return new Promise((resolve) =>
    server.once(event, (s: Socket) => {
      s.once('data', (b: Buffer) => {
        resolve(b);
        s.destroy();
      });
    }),
  );
}

/** `p`, or a failure naming `what` after `ms`. */
function within<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms waiting for ${what}`)), ms);
  });
  return Promise.race([p, late]).finally(() => clearTimeout(timer));
}

const expectUsbredirHello = (b: Buffer): void => {
  expect(b.readUInt32LE(0)).toBe(0); // usb_redir_hello
  expect(b.subarray(12, 76).toString('latin1')).toMatch(/^qemu usb-redir guest/);
};

d('the Proxmox args fragment in a real QEMU', () => {
  let dir: string;
  const running: ChildProcess[] = [];
  const servers: Server[] = [];
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'upsguard-qemu-args-'));
  });
  afterAll(async () => {
    for (const q of running) await stopQemu(q);
    for (const s of servers) s.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('starts while the agent is away, then connects when it listens', async () => {
    const port = await freePort();
    const endpoint: RedirEndpoint = { host: '127.0.0.1', port };
    const q = startQemu(proxmoxArgsFragment('ups1', endpoint, 1));
    running.push(q);
    let stderr = '';
    q.stderr!.on('data', (c: Buffer) => (stderr += c.toString()));
    await sleep(1500);
    // Without reconnect QEMU exits at once: "Failed to connect to '127.0.0.1:PORT': Connection refused".
    expect(q.exitCode, stderr).toBeNull();
    const server = createServer();
    servers.push(server);
    const hello = firstBytes(server, 'connection');
    await new Promise<void>((r) => server.listen(port, '127.0.0.1', r));
    expectUsbredirHello(await within(hello, 10_000, 'QEMU to connect'));
    await stopQemu(q);
  }, 30_000);

  it('connects over TLS-PSK (tls-creds-psk) to a Node TLS-PSK server and speaks usbredir inside it', async () => {
    const key = randomBytes(32);
    const pskDir = join(dir, 'psk');
    mkdirSync(pskDir);
    writeFileSync(join(pskDir, 'keys.psk'), `pve1:${key.toString('hex')}\n`, { mode: 0o600 });
    const identities: string[] = [];
    const server = tls.createServer({
      ciphers: 'PSK',
      maxVersion: 'TLSv1.2',
      pskCallback: (_socket, identity) => {
        identities.push(identity);
        return identity === 'pve1' ? key : null;
      },
    });
    servers.push(server);
    const hello = firstBytes(server, 'secureConnection');
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const port = (server.address() as { port: number }).port;
    const q = startQemu(
      proxmoxArgsFragment('ups1', { host: '127.0.0.1', port, tls: { kind: 'psk', dir: pskDir, identity: 'pve1' } }),
    );
    running.push(q);
    expectUsbredirHello(await within(hello, 15_000, 'QEMU over TLS-PSK'));
    expect(identities).toContain('pve1');
    await stopQemu(q);
  }, 30_000);
});
