import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import tls from 'node:tls';
import { afterEach, describe, expect, it } from 'vitest';
import { PSK_CIPHERS } from '../../../src/relay/psk.js';

/**
 * Does QEMU 7.2's chardev TLS (GnuTLS, `tls-creds-psk`) complete a TLS 1.3 PSK handshake with Node's server as the
 * agent configures it? The QMP greeting read through the tunnel proves it. keys.psk is GnuTLS's `username:hexkey`.
 */
const closers: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of closers.splice(0).reverse()) await c();
});

interface Outcome {
  identity?: string;
  protocol?: string | null;
  cipher?: string;
  greeting?: string;
  error?: string;
}

async function handshake(serverKey: Buffer, clientKey: Buffer): Promise<Outcome> {
  const dir = mkdtempSync(join(tmpdir(), 'upsguard-qemu-psk-'));
  closers.push(() => rmSync(dir, { recursive: true, force: true }));
  writeFileSync(join(dir, 'keys.psk'), `vm-a:${clientKey.toString('hex')}\n`, { mode: 0o600 });
  const outcome: Outcome = {};
  let done!: () => void;
  const finished = new Promise<void>((r) => (done = r));
  const server = tls.createServer(
    {
      minVersion: 'TLSv1.3',
      ciphers: PSK_CIPHERS,
      pskCallback: (_s, identity) => {
        outcome.identity = identity;
        return identity === 'vm-a' ? serverKey : null;
      },
    },
    (s) => {
      outcome.protocol = s.getProtocol();
      outcome.cipher = s.getCipher().standardName;
      s.once('data', (d: Buffer) => {
        outcome.greeting = d.toString();
        done();
      });
    },
  );
  server.on('tlsClientError', (err) => {
    outcome.error = err.message;
    done();
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  closers.push(() => new Promise<void>((r) => server.close(() => r())));
  const port = (server.address() as { port: number }).port;
  const qemu: ChildProcess = spawn(
    'qemu-system-x86_64',
    [
      ...['-machine', 'none', '-nodefaults', '-display', 'none'],
      ...['-object', `tls-creds-psk,id=t,endpoint=client,dir=${dir},username=vm-a`],
      ...['-chardev', `socket,id=c,host=127.0.0.1,port=${port},tls-creds=t`],
      ...['-mon', 'chardev=c,mode=control'],
    ],
    { stdio: 'ignore' },
  );
  const exited = new Promise<void>((r) => qemu.once('exit', () => r()));
  closers.push(async () => {
    qemu.kill('SIGKILL');
    await exited;
  });
  const timer = setTimeout(() => {
    outcome.error ??= 'no handshake within 10 s';
    done();
  }, 10_000);
  await finished;
  clearTimeout(timer);
  return outcome;
}

describe('QEMU tls-creds-psk against the agent’s Node TLS 1.3 PSK server', () => {
  it('completes TLS 1.3 with the username as the PSK identity and carries QMP', async () => {
    const key = randomBytes(32);
    const o = await handshake(key, key);
    expect(o.error).toBeUndefined();
    expect(o.identity).toBe('vm-a');
    expect(o.protocol).toBe('TLSv1.3');
    expect(PSK_CIPHERS.split(':')).toContain(o.cipher);
    expect(o.greeting).toMatch(/^\{"QMP"/);
  }, 15_000);

  it('fails the handshake when the keys differ', async () => {
    const o = await handshake(randomBytes(32), randomBytes(32));
    expect(o.greeting).toBeUndefined();
    expect(o.error).toMatch(/binder does not verify/);
  }, 15_000);
});
