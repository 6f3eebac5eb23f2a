import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import tls from 'node:tls';
import { afterEach, describe, expect, it } from 'vitest';
import { createLogger } from '../../../src/log.js';
import { RelayAgent } from '../../../src/relay/agent.js';
import { AgentStore } from '../../../src/relay/agent-store.js';
import { ExportedDevice } from '../../../src/relay/exported-device.js';
import { PSK_CIPHERS } from '../../../src/relay/psk.js';
import { HidUsbDevice } from '../../../src/relay/usbredir/hid-usb-device.js';
import { UsbRedirListener } from '../../../src/relay/usbredir/usbredir-listener.js';
import { encodeMessage } from '../../../src/relay/usbredir/codec.js';
import { PRE_HELLO_WIRE, capsMask } from '../../../src/relay/usbredir/protocol.js';
import { parseScenario } from '../../../src/ups/sim/scenario.js';
import { SimulatedUps, findRecordedDevice } from '../../../src/ups/sim/simulated-ups.js';
import { SimTransport } from '../../../src/ups/transport/sim-transport.js';
import { ManualClock } from '../../../src/util/clock.js';
import { until } from '../../helpers/until.js';

const closers: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of closers.splice(0).reverse()) await c();
});

const KEY_A = randomBytes(32);
const KEY_B = randomBytes(32);
const LEASE_MS = 3000;

/** The real agent parts: SimulatedUps → SimTransport → ExportedDevice → RelayAgent + HidUsbDevice → the listener. */
async function rig(opts: { insecure?: boolean } = {}) {
  const dir = mkdtempSync(join(tmpdir(), 'upsguard-usbredir-'));
  closers.push(() => rmSync(dir, { recursive: true, force: true }));
  const log = createLogger({ level: 'silent' });
  const keys = new Map([
    ['vm-a', KEY_A],
    ['vm-b', KEY_B],
  ]);
  const store = new AgentStore(join(dir, 'relay.db'));
  closers.push(() => store.close());
  const sim = new SimulatedUps({
    device: findRecordedDevice('eaton-3s-700'),
    scenario: parseScenario('0 mains on'),
    timeScale: 1,
    clock: new ManualClock(),
  });
  const exported = new ExportedDevice({
    name: 'ups',
    transport: new SimTransport(sim),
    log,
    now: () => Date.now(),
    featureCacheMs: 0,
    ringSize: 64,
  });
  const agent = new RelayAgent({
    host: '127.0.0.1',
    port: 0,
    keys,
    insecure: false,
    devices: [exported],
    store,
    log,
    now: () => Date.now(),
    leaseMs: LEASE_MS,
    idleTimeoutMs: 30_000,
    handshakeTimeoutMs: 2000,
  });
  await agent.start();
  closers.push(() => agent.stop());
  await until('the exported device to open', () => exported.isConnected(), 3000);
  const usb = new HidUsbDevice({ device: exported, log });
  await usb.start();
  closers.push(() => usb.stop());
  const listener = new UsbRedirListener({
    host: '127.0.0.1',
    port: 0,
    keys: opts.insecure ? null : keys,
    insecure: opts.insecure ?? false,
    device: usb,
    store,
    log,
    now: () => Date.now(),
    leaseMs: LEASE_MS,
    handshakeTimeoutMs: 2000,
    changed: () => agent.changed(),
  });
  agent.addControllerSource((name) => (name === 'ups' ? listener.connectedConsumers() : []));
  const addr = await listener.start();
  closers.push(() => listener.stop());
  const row = () => agent.inventory().find((r) => r.name === 'ups')!;
  return { addr, store, agent, row, dir };
}

/** A TLS-PSK client; resolves with the socket once the handshake is done, rejects when it fails. */
function pskClient(port: number, identity: string, key: Buffer): Promise<tls.TLSSocket> {
  return new Promise((resolve, reject) => {
    const s = tls.connect({
      host: '127.0.0.1',
      port,
      minVersion: 'TLSv1.3',
      ciphers: PSK_CIPHERS,
      checkServerIdentity: () => undefined,
      pskCallback: () => ({ identity, psk: key }),
    });
    s.once('secureConnect', () => resolve(s));
    s.once('error', reject);
    s.once('close', () => reject(new Error('closed before the handshake')));
    closers.push(() => void s.destroy());
  });
}

/** The first bytes the agent sends: a usbredir hello (type 0) — or null when it closes the connection instead. */
function firstBytesOrClose(s: net.Socket): Promise<Buffer | null> {
  return new Promise((resolve) => {
    s.once('data', (d: Buffer) => resolve(d));
    s.once('close', () => resolve(null));
  });
}

/** What QEMU's usb-redir sends first on a fresh connection. */
const guestHello = (): Uint8Array =>
  encodeMessage(
    {
      type: 'hello',
      id: 0n,
      version: 'test guest',
      caps: [capsMask(['connectDeviceVersion', 'ids64', 'epInfoMaxPacketSize'])],
    },
    PRE_HELLO_WIRE,
  );

describe('UsbRedirListener', () => {
  it('refuses a TLS client with a wrong key and takes no claim', async () => {
    const r = await rig();
    await expect(pskClient(r.addr.port, 'vm-a', KEY_B)).rejects.toThrow();
    expect(r.store.claim('ups')).toBeUndefined();
  });

  it('gives the PSK identity the claim, shows it attached, and refuses a second consumer', async () => {
    const r = await rig();
    const a = await pskClient(r.addr.port, 'vm-a', KEY_A);
    const hello = await firstBytesOrClose(a);
    expect(hello).not.toBeNull();
    expect(hello!.readUInt32LE(0)).toBe(0); // usb_redir_hello
    expect(r.store.claim('ups')?.identity).toBe('vm-a');
    await until('the table to show vm-a attached', () => r.row().state === 'attached' && r.row().controller === 'vm-a');
    const b = await pskClient(r.addr.port, 'vm-b', KEY_B);
    expect(await firstBytesOrClose(b)).toBeNull();
    expect(r.store.claim('ups')?.identity).toBe('vm-a');
  });

  it('keeps the claim across a reconnect within the lease (a migrated QEMU), and frees it after', async () => {
    const r = await rig();
    const a = await pskClient(r.addr.port, 'vm-a', KEY_A);
    await firstBytesOrClose(a);
    a.destroy();
    await until('the table to show the consumer gone', () => r.row().state === 'attaching');
    // Within the lease another VM is refused; the same identity, from a new connection, gets the device back.
    const b = await pskClient(r.addr.port, 'vm-b', KEY_B);
    expect(await firstBytesOrClose(b)).toBeNull();
    const again = await pskClient(r.addr.port, 'vm-a', KEY_A);
    expect(await firstBytesOrClose(again)).not.toBeNull();
    await until('vm-a attached again', () => r.row().state === 'attached' && r.row().controller === 'vm-a');
    again.destroy();
    await until('the lease to run out', () => r.row().controller === null, LEASE_MS + 3000, 100);
    const late = await pskClient(r.addr.port, 'vm-b', KEY_B);
    expect(await firstBytesOrClose(late)).not.toBeNull();
    expect(r.store.claim('ups')?.identity).toBe('vm-b');
  }, 15_000);

  it('takes a silent second connection of the same consumer for a live-migration destination: no hello to it', async () => {
    const r = await rig();
    const source = await pskClient(r.addr.port, 'vm-a', KEY_A);
    expect(await firstBytesOrClose(source)).not.toBeNull();
    source.write(guestHello());
    await until('the source session to be up', () => r.row().state === 'attached');
    const destination = await pskClient(r.addr.port, 'vm-a', KEY_A);
    let toDestination = 0;
    destination.on('data', (d: Buffer) => (toDestination += d.length));
    let sourceClosed = false;
    source.once('close', () => (sourceClosed = true));
    // The migration stream carries QEMU's parser state: a hello now would be read as a packet with 64-bit ids.
    await new Promise((res) => setTimeout(res, 1500));
    expect(toDestination).toBe(0);
    expect(sourceClosed).toBe(false);
    source.destroy();
    await until('the destination to be the one consumer', () => r.row().state === 'attached', 3000);
    expect(r.store.claim('ups')?.identity).toBe('vm-a');
  }, 15_000);

  it('takes a second connection that sends a hello for the same VM started afresh: the old one is closed', async () => {
    const r = await rig();
    const old = await pskClient(r.addr.port, 'vm-a', KEY_A);
    expect(await firstBytesOrClose(old)).not.toBeNull();
    old.write(guestHello());
    await until('the first session to be up', () => r.row().state === 'attached');
    const oldClosed = new Promise<void>((res) => old.once('close', () => res()));
    const fresh = await pskClient(r.addr.port, 'vm-a', KEY_A);
    fresh.write(guestHello());
    const hello = await firstBytesOrClose(fresh);
    expect(hello?.readUInt32LE(0)).toBe(0);
    await oldClosed;
    expect(r.store.claim('ups')?.identity).toBe('vm-a');
  }, 15_000);

  it('refuses plain TCP on a non-loopback address unless it is a named management address', () => {
    const base = {
      port: 0,
      keys: null,
      insecure: true,
      device: {} as never,
      store: {} as never,
      log: createLogger({ level: 'silent' }),
      now: () => 0,
      leaseMs: 1000,
      handshakeTimeoutMs: 1000,
    };
    expect(() => new UsbRedirListener({ ...base, host: '0.0.0.0' })).toThrow(/loopback or a named management/);
    expect(() => new UsbRedirListener({ ...base, host: '192.0.2.7' })).toThrow(/not 192\.0\.2\.7/);
    expect(
      () => new UsbRedirListener({ ...base, host: '192.0.2.7', managementAddresses: ['192.0.2.7'] }),
    ).not.toThrow();
    expect(() => new UsbRedirListener({ ...base, host: '127.0.0.1' })).not.toThrow();
    expect(() => new UsbRedirListener({ ...base, host: '127.0.0.1', insecure: false })).toThrow(/PSK/);
  });

  it('plain mode names the consumer usbredir:<address>', async () => {
    const r = await rig({ insecure: true });
    const s = net.connect(r.addr.port, '127.0.0.1');
    closers.push(() => void s.destroy());
    expect(await firstBytesOrClose(s)).not.toBeNull();
    expect(r.store.claim('ups')?.identity).toBe('usbredir:127.0.0.1');
  });

  it('real peer: QEMU usb-redir over tls-creds-psk attaches and the table shows it attached to its identity', async () => {
    const r = await rig();
    writeFileSync(join(r.dir, 'keys.psk'), `vm-a:${KEY_A.toString('hex')}\n`, { mode: 0o600 });
    const qemu: ChildProcess = spawn(
      'qemu-system-x86_64',
      [
        ...['-machine', 'q35', '-accel', 'tcg', '-nodefaults', '-display', 'none', '-m', '64'],
        ...['-object', `tls-creds-psk,id=t,endpoint=client,dir=${r.dir},username=vm-a`],
        ...['-device', 'qemu-xhci,id=xhci'],
        ...['-chardev', `socket,id=ur,host=127.0.0.1,port=${r.addr.port},tls-creds=t`],
        ...['-device', 'usb-redir,chardev=ur,bus=xhci.0'],
      ],
      { stdio: ['ignore', 'ignore', 'pipe'] },
    );
    let stderr = '';
    qemu.stderr!.on('data', (c: Buffer) => (stderr += c.toString()));
    const exited = new Promise<void>((res) => qemu.once('exit', () => res()));
    closers.push(async () => {
      qemu.kill('SIGKILL');
      await exited;
    });
    await until(
      `the table to show vm-a attached (qemu: ${stderr})`,
      () => r.row().state === 'attached' && r.row().controller === 'vm-a',
      15_000,
      100,
    );
  }, 25_000);
});
