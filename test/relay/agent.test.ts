import { chmodSync } from 'node:fs';
import tls from 'node:tls';
import { afterEach, describe, expect, it } from 'vitest';
import { MessageType, RelayProtocolError, encodeFrame, FrameDecoder, type Frame } from '../../src/relay/protocol.js';
import { PSK_CIPHERS } from '../../src/relay/psk.js';
import { RelayLink } from '../../src/ups/transport/relay-link.js';
import { RelayTransport } from '../../src/ups/transport/relay-transport.js';
import {
  type RunningProcess,
  startAgent,
  upsguardProcess,
  writeKeys,
  freePort,
} from '../helpers/relay-agent-process.js';
import { tempDir } from '../helpers/tmp.js';
import { sleep, until } from '../helpers/until.js';

// Every test here runs the agent as its own process and talks to it over real TLS on loopback.
const procs: RunningProcess[] = [];
const closers: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of closers.splice(0)) await c();
  for (const p of procs.splice(0)) await p.stop();
});

async function agent(opts: Parameters<typeof startAgent>[0]) {
  const a = await startAgent(opts);
  procs.push(a.proc);
  return a;
}

function transport(
  port: number,
  identity: string,
  key: Buffer,
  extra: Partial<ConstructorParameters<typeof RelayTransport>[0]> = {},
) {
  const t = new RelayTransport({
    address: { host: '127.0.0.1', port, selector: '' },
    identity,
    key,
    mode: 'control',
    clientName: `test ${identity}`,
    heartbeatMs: 200,
    lostAfterMs: 3000,
    requestTimeoutMs: 2000,
    connectTimeoutMs: 2000,
    reconnectBaseMs: 100,
    reconnectMaxMs: 400,
    ...extra,
  });
  closers.push(() => t.close());
  return t;
}

async function link(port: number, identity: string, key: Buffer, localAddress?: string) {
  const pushes: Frame[] = [];
  let closedWith = '';
  const l = new RelayLink({
    host: '127.0.0.1',
    port,
    identity,
    key,
    connectTimeoutMs: 2000,
    requestTimeoutMs: 2000,
    localAddress,
    onPush: (f) => pushes.push(f),
    onClose: (r) => (closedWith = r),
  });
  await l.connect();
  await l.request(MessageType.Hello, { versions: [1], client: identity, capabilities: [] }, MessageType.Welcome);
  closers.push(() => l.close('test done'));
  return { l, pushes, closed: () => closedWith };
}

describe('relay agent (separate process, TLS 1.3 PSK on loopback)', () => {
  it('serves the UPS: descriptor, feature reads and an input stream, to a client with the right key', async () => {
    const dir = tempDir();
    const keys = writeKeys(dir, ['vm1']);
    const { port } = await agent({
      dir,
      keysFile: keys.file,
      scenario: '0 mains on\n1 mains off\n2 mains on\n3 loop',
      timeScale: 2,
    });
    const t = transport(port, 'vm1', keys.keys.vm1!);
    const inputs: number[] = [];
    t.events.on('input', (r) => inputs.push(r[0]!));
    await t.open();
    expect(t.isConnected()).toBe(true);
    expect((await t.reportDescriptor()).length).toBe(374);
    expect(Array.from(await t.getFeatureReport(0x0c, 6))).toEqual([
      0x0c,
      100,
      0,
      0,
      expect.any(Number),
      expect.any(Number),
    ]);
    expect(await t.getString(3)).toBe('American Power Conversion');
    await until('an input report 0x13', () => inputs.includes(0x13), 5000);
    const s = t.status();
    expect(s).toMatchObject({ link: 'connected', device: 'attached', controller: true });
    expect(s.agentHost).toBeTruthy();
    await until('a measured round trip', () => t.status().rttMs !== null, 5000);
    expect(t.status().rttMs).toBeGreaterThan(0);
  });

  it('fails a wrong key in the TLS handshake, before any message', async () => {
    const dir = tempDir();
    const keys = writeKeys(dir, ['vm1']);
    const { port, proc } = await agent({ dir, keysFile: keys.file });
    const wrong = Buffer.alloc(32, 7);
    const err = await link(port, 'vm1', wrong).catch((e: unknown) => e);
    expect(String(err)).toMatch(/TLS handshake refused by the agent: wrong pre-shared key or unknown identity/);
    const unknown = await link(port, 'stranger', keys.keys.vm1!).catch((e: unknown) => e);
    expect(String(unknown)).toMatch(/TLS handshake refused/);
    await proc.waitFor(/relay handshake refused/);
    expect(proc.out()).not.toMatch(/relay client connected/);
  });

  it('one controller at a time: a second is refused naming who holds it; observers are unlimited', async () => {
    const dir = tempDir();
    const keys = writeKeys(dir, ['vm1', 'vm2', 'nas']);
    const { port } = await agent({ dir, keysFile: keys.file });
    const a = await link(port, 'vm1', keys.keys.vm1!);
    await a.l.request(MessageType.Open, { selector: '', mode: 'control' }, MessageType.Opened);
    const b = await link(port, 'vm2', keys.keys.vm2!);
    const busy = await b.l
      .request(MessageType.Open, { selector: '', mode: 'control' }, MessageType.Opened)
      .catch((e: unknown) => e);
    expect(busy).toBeInstanceOf(RelayProtocolError);
    expect((busy as RelayProtocolError).relayCode).toBe('CLAIM_BUSY');
    expect((busy as Error).message).toMatch(
      /ups is controlled by vm1 \(lease until .*\); .*upsguard relay release ups/,
    );
    const o1 = await b.l.request(MessageType.Open, { selector: '', mode: 'observe' }, MessageType.Opened);
    const n = await link(port, 'nas', keys.keys.nas!);
    const o2 = await n.l.request(MessageType.Open, { selector: '051d:0002', mode: 'observe' }, MessageType.Opened);
    expect(o1.device.controller).toBe('vm1');
    expect(o2.device.state).toBe('attached');
    // An observer may read but never write.
    await b.l.request(MessageType.GetFeature, { handle: o1.handle, reportId: 0x0c, length: 6 }, MessageType.Report);
    const denied = await b.l
      .request(MessageType.SetFeature, { handle: o1.handle, bytes: '4001' }, MessageType.Ok)
      .catch((e: unknown) => e);
    expect((denied as RelayProtocolError).relayCode).toBe('NOT_CONTROLLER');
  });

  it('a controller may write only allow-listed reports (delays, test, beeper)', async () => {
    const dir = tempDir();
    const keys = writeKeys(dir, ['vm1']);
    const { port, proc } = await agent({ dir, keysFile: keys.file });
    const a = await link(port, 'vm1', keys.keys.vm1!);
    const o = await a.l.request(MessageType.Open, { selector: 'ups', mode: 'control' }, MessageType.Opened);
    const denied = await a.l
      .request(MessageType.SetFeature, { handle: o.handle, bytes: '0c0a0000140a' }, MessageType.Ok)
      .catch((e: unknown) => e);
    expect((denied as RelayProtocolError).relayCode).toBe('WRITE_DENIED');
    expect((denied as Error).message).toMatch(/feature report 12 of ups is not writable through the relay/);
    // APC Back-UPS: APCDelayBeforeReboot (report 0x40) is the native shutdown.return.
    await a.l.request(MessageType.SetFeature, { handle: o.handle, bytes: '4014' }, MessageType.Ok);
    await proc.waitFor(/"msg":"relay write"/);
  });

  it('the same identity gets its claim back from another source address; another identity does not', async () => {
    const dir = tempDir();
    const keys = writeKeys(dir, ['vm1', 'vm2']);
    const { port, proc: agentProc } = await agent({ dir, keysFile: keys.file });
    const first = await link(port, 'vm1', keys.keys.vm1!, '127.0.0.1');
    await first.l.request(MessageType.Open, { selector: '', mode: 'control' }, MessageType.Opened);
    first.l.close('migrating');
    const other = await link(port, 'vm2', keys.keys.vm2!);
    const busy = await other.l
      .request(MessageType.Open, { selector: '', mode: 'control' }, MessageType.Opened)
      .catch((e: unknown) => e);
    expect((busy as RelayProtocolError).relayCode).toBe('CLAIM_BUSY');
    const moved = await link(port, 'vm1', keys.keys.vm1!, '127.0.0.2');
    const reopened = await moved.l.request(MessageType.Open, { selector: '', mode: 'control' }, MessageType.Opened);
    expect(reopened.device.controller).toBe('vm1');
    await agentProc.waitFor(/"identity":"vm1","client":"vm1","remote":"127\.0\.0\.2"/);
  });

  it('a lease that ran out lets another controller in, and the old one is then refused', async () => {
    const dir = tempDir();
    const keys = writeKeys(dir, ['vm1', 'vm2']);
    const { port } = await agent({ dir, keysFile: keys.file, leaseS: 1 });
    const a = await link(port, 'vm1', keys.keys.vm1!);
    await a.l.request(MessageType.Open, { selector: '', mode: 'control' }, MessageType.Opened);
    a.l.close('gone');
    const b = await link(port, 'vm2', keys.keys.vm2!);
    // Refused (CLAIM_BUSY) while vm1's lease still runs; granted once it has run out.
    const opened = await until(
      "vm1's lease to run out",
      () =>
        b.l.request(MessageType.Open, { selector: '', mode: 'control' }, MessageType.Opened).catch((e: unknown) => {
          if ((e as RelayProtocolError).relayCode !== 'CLAIM_BUSY') throw e;
          return undefined;
        }),
      5000,
      50,
    );
    expect(opened.device.controller).toBe('vm2');
    const back = await link(port, 'vm1', keys.keys.vm1!);
    const refused = await back.l
      .request(MessageType.Open, { selector: '', mode: 'control' }, MessageType.Opened)
      .catch((e: unknown) => e);
    expect((refused as Error).message).toMatch(/controlled by vm2/);
  });

  it('upsguard relay release frees a claim by force', async () => {
    const dir = tempDir();
    const keys = writeKeys(dir, ['vm1', 'vm2']);
    const { port } = await agent({ dir, keysFile: keys.file });
    const a = await link(port, 'vm1', keys.keys.vm1!);
    await a.l.request(MessageType.Open, { selector: '', mode: 'control' }, MessageType.Opened);
    a.l.close('gone');
    const rel = upsguardProcess(['relay', 'release', 'ups', '--db', `${dir}/relay.db`]);
    expect(await rel.exit).toBe(0);
    expect(rel.out()).toMatch(/ups: released the claim held by vm1/);
    const b = await link(port, 'vm2', keys.keys.vm2!);
    await b.l.request(MessageType.Open, { selector: '', mode: 'control' }, MessageType.Opened);
  });

  it('answers garbage and oversized frames with a clear error, closes only that connection, keeps serving others', async () => {
    const dir = tempDir();
    const keys = writeKeys(dir, ['vm1', 'vm2']);
    const { port } = await agent({ dir, keysFile: keys.file });
    const healthy = await link(port, 'vm2', keys.keys.vm2!);
    const h = await healthy.l.request(MessageType.Open, { selector: '', mode: 'observe' }, MessageType.Opened);
    for (const [bytes, message] of [
      [Buffer.from('GET / HTTP/1.1\r\n\r\n'), /frame length \d+ exceeds the maximum of 65536 bytes/],
      [Buffer.from([0, 0, 0, 6, 99, 0, 0, 0, 1, 0x7b]), /unknown message type 99/],
      [encodeFrame(MessageType.Hello, 1, { versions: [1], client: 'x', capabilities: [] }).subarray(0, 9), null],
    ] as const) {
      const sock = tls.connect({
        host: '127.0.0.1',
        port,
        minVersion: 'TLSv1.3',
        ciphers: PSK_CIPHERS,
        checkServerIdentity: () => undefined,
        pskCallback: () => ({ identity: 'vm1', psk: keys.keys.vm1! }),
      });
      await new Promise<void>((r) => sock.once('secureConnect', r));
      const frames: Frame[] = [];
      const decoder = new FrameDecoder();
      sock.on('data', (c: Buffer) => frames.push(...decoder.push(c)));
      const closed = new Promise<void>((r) => sock.on('close', () => r()));
      sock.write(bytes);
      if (message === null) {
        // A truncated frame is simply incomplete: nothing is answered until more arrives. That nothing comes can only
        // be shown over a bounded time; the complete bad frames above are answered well within it.
        await sleep(200);
        expect(frames).toEqual([]);
        sock.destroy();
        continue;
      }
      await closed;
      expect(frames.map((f) => f.type)).toEqual([MessageType.Error]);
      const payload = frames[0]!.payload as { code: string; message: string };
      expect(payload.code).toBe('BAD_FRAME');
      expect(payload.message).toMatch(message);
    }
    const r = await healthy.l.request(
      MessageType.GetFeature,
      { handle: h.handle, reportId: 0x13, length: 2 },
      MessageType.Report,
    );
    expect(r.bytes).toMatch(/^13/);
  });

  it('requests before Hello, unknown handles and unknown devices get their own clear errors', async () => {
    const dir = tempDir();
    const keys = writeKeys(dir, ['vm1']);
    const { port } = await agent({ dir, keysFile: keys.file });
    const l = new RelayLink({
      host: '127.0.0.1',
      port,
      identity: 'vm1',
      key: keys.keys.vm1!,
      connectTimeoutMs: 2000,
      requestTimeoutMs: 2000,
      onPush: () => undefined,
      onClose: () => undefined,
    });
    closers.push(() => l.close('done'));
    await l.connect();
    await expect(l.request(MessageType.ListDevices, {}, MessageType.Devices)).rejects.toThrow(
      /expected Hello first, got ListDevices/,
    );
    await l
      .request(MessageType.Hello, { versions: [9], client: 'x', capabilities: [] }, MessageType.Welcome)
      .catch((e: unknown) => {
        expect((e as RelayProtocolError).relayCode).toBe('UNSUPPORTED_VERSION');
      });
    await l.request(MessageType.Hello, { versions: [1], client: 'x', capabilities: [] }, MessageType.Welcome);
    await expect(
      l.request(MessageType.GetFeature, { handle: 9, reportId: 1, length: 2 }, MessageType.Report),
    ).rejects.toThrow(/no open handle 9/);
    await expect(
      l.request(MessageType.Open, { selector: 'serial:NOPE', mode: 'observe' }, MessageType.Opened),
    ).rejects.toThrow(/no exported device matches "serial:NOPE"/);
    const list = await l.request(MessageType.ListDevices, {}, MessageType.Devices);
    expect(list.devices).toMatchObject([
      { name: 'ups', vendorId: 0x051d, productId: 0x0002, state: 'available', portPath: 'sim' },
    ]);
  });

  it('a re-plug at the agent: the claim and the stream survive, and detached differs from unreachable', async () => {
    const dir = tempDir();
    const keys = writeKeys(dir, ['vm1']);
    const { port } = await agent({
      dir,
      keysFile: keys.file,
      scenario: '0 mains on\n2 mains off\n3 unplug\n4 replug\n5 mains on\n6 mains off\n7 mains on\n8 loop',
      timeScale: 2,
    });
    const t = transport(port, 'vm1', keys.keys.vm1!);
    const seen: string[] = [];
    t.events.on('connection', (state, reason) => seen.push(`${state}: ${reason}`));
    const acPresent: number[] = [];
    t.events.on('input', (r) => {
      if (r[0] === 0x13) acPresent.push(r[1]!);
    });
    await t.open();
    await until('the detach', () => seen.some((s) => s.startsWith('disconnected: UPS detached at the agent')), 8000);
    expect(t.status()).toMatchObject({ link: 'connected', device: 'detached' });
    await expect(t.getFeatureReport(0x0c, 6)).rejects.toThrow(/UPS detached at the agent/);
    await until('the replug', () => t.isConnected(), 5000);
    expect(seen.at(-1)).toMatch(/^connected: UPS replugged at the agent/);
    const before = acPresent.length;
    await until('two more AC-present reports', () => acPresent.length >= before + 2, 8000);
    expect((await t.getFeatureReport(0x13, 2))[0]).toBe(0x13);
    expect(t.status()).toMatchObject({ link: 'connected', device: 'attached', controller: true });
  });

  it('refuses to start with a key file others can read, and plain TCP off loopback', async () => {
    const dir = tempDir();
    const keys = writeKeys(dir, ['vm1']);
    chmodSync(keys.file, 0o640);
    const p = upsguardProcess([
      'relay',
      '--listen',
      `127.0.0.1:${await freePort()}`,
      '--psk-file',
      keys.file,
      '--db',
      `${dir}/r.db`,
      '--simulate',
      'apc-back-ups-cs-500',
    ]);
    expect(await p.exit).toBe(1);
    expect(p.err()).toMatch(/PSK file .* is readable by others \(mode 640\); run: chmod 600/);
    const q = upsguardProcess([
      'relay',
      '--listen',
      '0.0.0.0:0',
      '--insecure',
      '--db',
      `${dir}/r.db`,
      '--simulate',
      'apc-back-ups-cs-500',
    ]);
    expect(await q.exit).toBe(1);
    expect(q.err()).toMatch(/--insecure is allowed only on a loopback address, not 0\.0\.0\.0/);
    const r = upsguardProcess([
      'relay',
      '--listen',
      '127.0.0.1:0',
      '--db',
      `${dir}/r.db`,
      '--simulate',
      'apc-back-ups-cs-500',
    ]);
    expect(await r.exit).toBe(1);
    expect(r.err()).toMatch(/needs a PSK file \(--psk-file\) unless --insecure/);
  });
});
