import { once } from 'node:events';
import net from 'node:net';
import { Writable } from 'node:stream';
import { afterEach, describe, expect, it } from 'vitest';
import { createLogger } from '../../../src/log.js';
import { UsbRedirDecoder, encodeMessage } from '../../../src/relay/usbredir/codec.js';
import {
  PRE_HELLO_WIRE,
  negotiateWire,
  type UsbRedirMessage,
  type UsbRedirMessageOf,
  type UsbRedirTypeName,
  type WireOptions,
} from '../../../src/relay/usbredir/protocol.js';
import { HOST_CAPS, UsbRedirHostSession } from '../../../src/relay/usbredir/session.js';
import type {
  UsbControlSetup,
  UsbDeviceDescription,
  UsbDeviceEvents,
  UsbRedirDevice,
  UsbTransferResult,
  UsbTransferStatus,
} from '../../../src/relay/usbredir/usb-device.js';
import { Listeners } from '../../../src/util/listeners.js';
import { until } from '../../helpers/until.js';

const QEMU_CAPS = 0xff;
const DEVICE_DESCRIPTOR = new Uint8Array([18, 1, 0x10, 1, 0, 0, 0, 8, 0x63, 4, 0xff, 0xff, 0, 1, 1, 2, 3, 1]);
const SLOW_REQUEST = 0xfe;

/** A small USB device: one HID interface with interrupt IN 0x81 and OUT 0x02, bulk 0x83/0x04 on interface 1. */
class FakeDevice implements UsbRedirDevice {
  readonly name = 'fake-ups';
  readonly events = new Listeners<UsbDeviceEvents>();
  connected = true;
  configuration = 1;
  readonly alts = new Map<number, number>();
  readonly controlOut: { setup: UsbControlSetup; data: Uint8Array }[] = [];
  readonly interruptOuts: Uint8Array[] = [];
  readonly bulkOuts: Uint8Array[] = [];
  readonly receivers = new Map<number, (r: UsbTransferResult) => void>();
  slow: ((r: UsbTransferResult) => void) | null = null;
  resets = 0;

  isConnected(): boolean {
    return this.connected;
  }
  description(): UsbDeviceDescription {
    return {
      speed: 'full',
      deviceClass: 0,
      deviceSubclass: 0,
      deviceProtocol: 0,
      vendorId: 0x0463,
      productId: 0xffff,
      deviceVersionBcd: 0x0100,
      interfaces: [
        { number: 0, interfaceClass: 3, interfaceSubclass: 0, interfaceProtocol: 0 },
        { number: 1, interfaceClass: 0xff, interfaceSubclass: 0, interfaceProtocol: 0 },
      ],
      endpoints: [
        { address: 0x81, type: 'interrupt', interval: 10, interfaceNumber: 0, maxPacketSize: 8 },
        { address: 0x02, type: 'interrupt', interval: 10, interfaceNumber: 0, maxPacketSize: 8 },
        { address: 0x83, type: 'bulk', interval: 0, interfaceNumber: 1, maxPacketSize: 64 },
        { address: 0x04, type: 'bulk', interval: 0, interfaceNumber: 1, maxPacketSize: 64 },
      ],
    };
  }
  control(setup: UsbControlSetup, data: Uint8Array): Promise<UsbTransferResult> {
    if (!this.connected) return Promise.resolve({ status: 'ioerror' });
    if (setup.request === SLOW_REQUEST) return new Promise((resolve) => (this.slow = resolve));
    if (setup.requestType === 0x80 && setup.request === 6 && setup.value === 0x100) {
      return Promise.resolve({ status: 'success', data: DEVICE_DESCRIPTOR.subarray(0, setup.length) });
    }
    if ((setup.requestType & 0x80) === 0) {
      this.controlOut.push({ setup, data: data.slice() });
      return Promise.resolve({ status: 'success', data: new Uint8Array(0) });
    }
    return Promise.resolve({ status: 'stall' });
  }
  setConfiguration(configuration: number): Promise<UsbTransferStatus> {
    this.configuration = configuration;
    return Promise.resolve(configuration <= 1 ? 'success' : 'stall');
  }
  getConfiguration(): number {
    return this.configuration;
  }
  setAltSetting(interfaceNumber: number, alt: number): Promise<UsbTransferStatus> {
    if (alt !== 0) return Promise.resolve('stall');
    this.alts.set(interfaceNumber, alt);
    return Promise.resolve('success');
  }
  getAltSetting(interfaceNumber: number): number {
    return this.alts.get(interfaceNumber) ?? 0;
  }
  bulk(endpoint: number, data: Uint8Array, length: number): Promise<UsbTransferResult> {
    if (endpoint & 0x80) return Promise.resolve({ status: 'success', data: new Uint8Array(length + 5).fill(0xab) });
    this.bulkOuts.push(data.slice());
    return Promise.resolve({ status: 'success', data: new Uint8Array(0) });
  }
  interruptOut(_endpoint: number, data: Uint8Array): Promise<UsbTransferStatus> {
    this.interruptOuts.push(data.slice());
    return Promise.resolve('success');
  }
  startInterruptIn(endpoint: number, onPacket: (result: UsbTransferResult) => void): () => void {
    this.receivers.set(endpoint, onPacket);
    return () => this.receivers.delete(endpoint);
  }
  reset(): Promise<void> {
    this.resets++;
    return Promise.resolve();
  }
  unplug(): void {
    this.connected = false;
    this.events.emit('disconnect', 'unplugged');
  }
  plug(): void {
    this.connected = true;
    this.events.emit('connect');
  }
}

/** The usb-guest end, as QEMU's usb-redir would drive it: our own codec, decoding as if from a host. */
class FakeGuest {
  readonly received: UsbRedirMessage[] = [];
  readonly decoder: UsbRedirDecoder;
  wire: WireOptions = PRE_HELLO_WIRE;
  private seen = 0;
  /** `resumed`: a migrated QEMU, whose parser state (our caps) came with the migration. */
  constructor(
    readonly socket: net.Socket,
    resumed = false,
  ) {
    this.decoder = new UsbRedirDecoder({
      peer: 'host',
      ourCaps: QEMU_CAPS,
      ...(resumed ? { resumePeerCaps: HOST_CAPS } : {}),
    });
    if (resumed) this.wire = negotiateWire(QEMU_CAPS, HOST_CAPS);
    socket.on('data', (chunk: Buffer) => this.received.push(...this.decoder.push(chunk)));
  }
  send(m: UsbRedirMessage): void {
    this.socket.write(encodeMessage(m, this.wire));
  }
  hello(caps = QEMU_CAPS): void {
    this.send({ type: 'hello', id: 0n, version: 'qemu usb-redir guest 7.2.0', caps: [caps] });
    this.wire = negotiateWire(caps, HOST_CAPS);
  }
  /** The next message of this type after the ones already taken. */
  async next<T extends UsbRedirTypeName>(type: T, timeoutMs = 3000): Promise<UsbRedirMessageOf<T>> {
    return until(
      `a ${type} from the session`,
      () => {
        const i = this.received.findIndex((m, at) => at >= this.seen && m.type === type);
        if (i === -1) return undefined;
        this.seen = i + 1;
        return this.received[i] as UsbRedirMessageOf<T>;
      },
      timeoutMs,
      5,
    );
  }
  typesSince(start: number): UsbRedirTypeName[] {
    return this.received.slice(start).map((m) => m.type);
  }
}

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function setup(options: { hello?: boolean; helloTimeoutMs?: number } = {}) {
  const server = net.createServer();
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const port = (server.address() as net.AddressInfo).port;
  const accepted = once(server, 'connection') as Promise<[net.Socket]>;
  const client = net.connect(port, '127.0.0.1');
  await once(client, 'connect');
  const [serverSide] = await accepted;
  const lines: { level: number; msg: string; reason?: string; err?: string }[] = [];
  const destination = new Writable({
    write(chunk: Buffer, _enc, done) {
      for (const line of chunk.toString().split('\n').filter(Boolean)) lines.push(JSON.parse(line) as never);
      done();
    },
  });
  const log = createLogger({ level: 'debug', destination });
  const device = new FakeDevice();
  const session = new UsbRedirHostSession({
    log,
    device,
    stream: serverSide,
    name: 'test-vm',
    helloTimeoutMs: options.helloTimeoutMs ?? 5000,
  });
  const closed: string[] = [];
  session.events.on('closed', (r) => closed.push(r));
  const guest = new FakeGuest(client);
  cleanups.push(() => {
    session.close('test over');
    client.destroy();
    serverSide.destroy();
    server.close();
  });
  session.start();
  if (options.hello !== false) {
    guest.hello();
    await guest.next('deviceConnect');
  }
  return { session, device, guest, lines, closed, client };
}

describe('UsbRedirHostSession', () => {
  it('says hello with its caps and shows the device as interface_info, ep_info, device_connect', async () => {
    const { guest, session } = await setup({ hello: false });
    const hello = await guest.next('hello');
    expect(hello.caps[0]).toBe(HOST_CAPS);
    expect(hello.version).toMatch(/upsguard/);
    guest.hello();
    const connect = await guest.next('deviceConnect');
    expect(guest.typesSince(0)).toEqual(['hello', 'interfaceInfo', 'epInfo', 'deviceConnect']);
    expect(connect).toMatchObject({ speed: 1, vendorId: 0x0463, productId: 0xffff, deviceVersionBcd: 0x0100 });
    expect(session.peer).toEqual({ version: 'qemu usb-redir guest 7.2.0', caps: QEMU_CAPS });
    expect(guest.decoder.wireOptions.ids64).toBe(true);
    const info = guest.received[1] as UsbRedirMessageOf<'interfaceInfo'>;
    expect(info.interfaces.map((i) => i.interfaceClass)).toEqual([3, 0xff]);
    const ep = guest.received[2] as UsbRedirMessageOf<'epInfo'>;
    // Slots: OUT n at n, IN n at 16 + n; ep0 both ways is control.
    expect(ep.endpoints[0]!.type).toBe(0);
    expect(ep.endpoints[16]!.type).toBe(0);
    expect(ep.endpoints[17]).toEqual({ type: 3, interval: 10, interfaceNumber: 0, maxPacketSize: 8, maxStreams: 0 });
    expect(ep.endpoints[2]!.type).toBe(3);
    expect(ep.endpoints[19]!.type).toBe(2);
    expect(ep.endpoints[5]!.type).toBe(255);
    expect(session.isAlive()).toBe(true);
  });

  it('answers control IN and OUT with the same id, status and data', async () => {
    const { guest, device } = await setup();
    const id = 0x1_2345_6789n; // beyond 32 bits: the 64-bit ids are in force
    guest.send({
      type: 'controlPacket',
      id,
      endpoint: 0x80,
      request: 6,
      requestType: 0x80,
      status: 0,
      value: 0x100,
      index: 0,
      length: 18,
      data: new Uint8Array(0),
    });
    const answer = await guest.next('controlPacket');
    expect(answer).toMatchObject({ id, status: 0, length: 18, request: 6, requestType: 0x80 });
    expect([...answer.data]).toEqual([...DEVICE_DESCRIPTOR]);

    guest.send({
      type: 'controlPacket',
      id: 7n,
      endpoint: 0x00,
      request: 9,
      requestType: 0x21,
      status: 0,
      value: 0x0315,
      index: 0,
      length: 2,
      data: new Uint8Array([0x15, 0x01]),
    });
    const out = await guest.next('controlPacket');
    expect(out).toMatchObject({ id: 7n, status: 0, length: 2 });
    expect(out.data.length).toBe(0);
    expect(device.controlOut).toHaveLength(1);
    expect([...device.controlOut[0]!.data]).toEqual([0x15, 0x01]);
    expect(device.controlOut[0]!.setup).toEqual({ requestType: 0x21, request: 9, value: 0x0315, index: 0, length: 2 });

    guest.send({ ...out, id: 8n, requestType: 0xa1, endpoint: 0x80, request: 1, data: new Uint8Array(0) });
    expect(await guest.next('controlPacket')).toMatchObject({ id: 8n, status: 4, length: 0 });
  });

  it('starts interrupt receiving, forwards each report, and stops', async () => {
    const { guest, device } = await setup();
    guest.send({ type: 'startInterruptReceiving', id: 0n, endpoint: 0x81 });
    expect(await guest.next('interruptReceivingStatus')).toMatchObject({ status: 0, endpoint: 0x81 });
    const push = device.receivers.get(0x81)!;
    push({ status: 'success', data: new Uint8Array([0x0c, 0x64]) });
    push({ status: 'success', data: new Uint8Array([0x0c, 0x63]) });
    const first = await guest.next('interruptPacket');
    const second = await guest.next('interruptPacket');
    expect([first.endpoint, first.status, [...first.data]]).toEqual([0x81, 0, [0x0c, 0x64]]);
    expect([...second.data]).toEqual([0x0c, 0x63]);
    expect(second.id).not.toBe(first.id);

    guest.send({ type: 'stopInterruptReceiving', id: 0n, endpoint: 0x81 });
    expect(await guest.next('interruptReceivingStatus')).toMatchObject({ status: 0, endpoint: 0x81 });
    expect(device.receivers.has(0x81)).toBe(false);

    guest.send({ type: 'startInterruptReceiving', id: 0n, endpoint: 0x83 });
    expect(await guest.next('interruptReceivingStatus')).toMatchObject({ status: 2, endpoint: 0x83 });
  });

  it('passes interrupt OUT and bulk packets to the device', async () => {
    const { guest, device } = await setup();
    guest.send({
      type: 'interruptPacket',
      id: 11n,
      endpoint: 0x02,
      status: 0,
      length: 3,
      data: new Uint8Array([1, 2, 3]),
    });
    expect(await guest.next('interruptPacket')).toMatchObject({ id: 11n, endpoint: 0x02, status: 0, length: 3 });
    expect([...device.interruptOuts[0]!]).toEqual([1, 2, 3]);

    guest.send({
      type: 'bulkPacket',
      id: 12n,
      endpoint: 0x04,
      status: 0,
      length: 2,
      streamId: 0,
      data: new Uint8Array([9, 9]),
    });
    expect(await guest.next('bulkPacket')).toMatchObject({ id: 12n, status: 0, length: 2 });
    expect(device.bulkOuts).toHaveLength(1);
    guest.send({
      type: 'bulkPacket',
      id: 13n,
      endpoint: 0x83,
      status: 0,
      length: 64,
      streamId: 0,
      data: new Uint8Array(0),
    });
    const bulkIn = await guest.next('bulkPacket');
    // The device returned more than asked: the answer is cut to the request's length.
    expect([bulkIn.id, bulkIn.status, bulkIn.length, bulkIn.data.length]).toEqual([13n, 0, 64, 64]);
    guest.send({
      type: 'bulkPacket',
      id: 14n,
      endpoint: 0x85,
      status: 0,
      length: 8,
      streamId: 0,
      data: new Uint8Array(0),
    });
    expect(await guest.next('bulkPacket')).toMatchObject({ id: 14n, status: 2 });
  });

  it('handles configuration and alt settings, re-sending interface and endpoint info', async () => {
    const { guest } = await setup();
    guest.send({ type: 'getConfiguration', id: 20n });
    expect(await guest.next('configurationStatus')).toMatchObject({ id: 20n, status: 0, configuration: 1 });
    const before = guest.received.length;
    guest.send({ type: 'setConfiguration', id: 21n, configuration: 1 });
    expect(await guest.next('configurationStatus')).toMatchObject({ id: 21n, status: 0, configuration: 1 });
    expect(guest.typesSince(before)).toEqual(['interfaceInfo', 'epInfo', 'configurationStatus']);
    guest.send({ type: 'setAltSetting', id: 22n, interfaceNumber: 0, alt: 1 });
    expect(await guest.next('altSettingStatus')).toMatchObject({ id: 22n, status: 4, interfaceNumber: 0, alt: 0 });
    guest.send({ type: 'getAltSetting', id: 23n, interfaceNumber: 7 });
    expect(await guest.next('altSettingStatus')).toMatchObject({ id: 23n, status: 2, alt: 255 });
  });

  it('sends device_disconnect on unplug and shows the device again only after the ack', async () => {
    const { guest, device, session } = await setup();
    guest.send({ type: 'startInterruptReceiving', id: 0n, endpoint: 0x81 });
    await guest.next('interruptReceivingStatus');
    device.unplug();
    await guest.next('deviceDisconnect');
    expect(device.receivers.size).toBe(0);
    expect(session.deviceShown).toBe(false);
    const mark = guest.received.length;
    device.plug();
    await new Promise((r) => setTimeout(r, 100));
    expect(guest.typesSince(mark)).toEqual([]); // the guest has not acknowledged the disconnect yet
    guest.send({ type: 'deviceDisconnectAck', id: 0n });
    await guest.next('deviceConnect');
    expect(guest.typesSince(mark)).toEqual(['interfaceInfo', 'epInfo', 'deviceConnect']);
    expect(session.deviceShown).toBe(true);
  });

  it('answers a cancelled transfer once, as cancelled, and drops the late device answer', async () => {
    const { guest, device } = await setup();
    guest.send({
      type: 'controlPacket',
      id: 30n,
      endpoint: 0x80,
      request: SLOW_REQUEST,
      requestType: 0xc0,
      status: 0,
      value: 0,
      index: 0,
      length: 4,
      data: new Uint8Array(0),
    });
    await until('the slow request at the device', () => device.slow);
    guest.send({ type: 'cancelDataPacket', id: 30n });
    expect(await guest.next('controlPacket')).toMatchObject({ id: 30n, status: 1, length: 0 });
    device.slow!({ status: 'success', data: new Uint8Array([1, 2, 3, 4]) });
    guest.send({ type: 'getConfiguration', id: 31n });
    await guest.next('configurationStatus');
    expect(guest.received.filter((m) => m.type === 'controlPacket')).toHaveLength(1);
  });

  it('answers a transfer pending at unplug as cancelled before the disconnect', async () => {
    const { guest, device } = await setup();
    guest.send({
      type: 'controlPacket',
      id: 40n,
      endpoint: 0x80,
      request: SLOW_REQUEST,
      requestType: 0xc0,
      status: 0,
      value: 0,
      index: 0,
      length: 4,
      data: new Uint8Array(0),
    });
    await until('the slow request at the device', () => device.slow);
    const mark = guest.received.length;
    device.unplug();
    await guest.next('deviceDisconnect');
    expect(guest.typesSince(mark)).toEqual(['controlPacket', 'deviceDisconnect']);
    expect(guest.received[mark]).toMatchObject({ id: 40n, status: 1 });
  });

  it('refuses isochronous and bulk streams cleanly and stays up', async () => {
    const { guest, session, lines } = await setup();
    guest.send({ type: 'startIsoStream', id: 0n, endpoint: 0x83, pktsPerUrb: 8, noUrbs: 4 });
    expect(await guest.next('isoStreamStatus')).toMatchObject({ status: 4, endpoint: 0x83 });
    guest.send({ type: 'allocBulkStreams', id: 0n, endpoints: 0x80000, noStreams: 4 });
    expect(await guest.next('bulkStreamsStatus')).toMatchObject({ status: 2, endpoints: 0x80000, noStreams: 4 });
    guest.send({ type: 'getConfiguration', id: 50n });
    await guest.next('configurationStatus');
    expect(session.isAlive()).toBe(true);
    expect(lines.some((l) => /isochronous .* refused/.test(l.msg))).toBe(true);
  });

  it('closes with one warning when the peer sends garbage', async () => {
    const { client, session, closed, lines } = await setup();
    const ended = once(client, 'close');
    client.write(Buffer.from('GET / HTTP/1.1\r\nHost: x\r\n\r\n'));
    await until('the session to close', () => closed.length > 0);
    expect(closed[0]).toMatch(/^protocol error: unknown usbredir message type 542393671/);
    expect(session.isAlive()).toBe(false);
    const warnings = lines.filter((l) => l.level === 40);
    expect(warnings).toHaveLength(1);
    expect(warnings[0]!.err).toMatch(/unknown usbredir message type/);
    await ended;
  });

  it('closes when no hello comes in time', async () => {
    const { closed } = await setup({ hello: false, helloTimeoutMs: 200 });
    await until('the hello timeout', () => closed.length > 0, 3000);
    expect(closed).toEqual(['no usbredir hello from the peer within 200 ms']);
  });

  it('resumes a migrated peer without hello and keeps interrupt receiving', async () => {
    const first = await setup();
    first.guest.send({ type: 'startInterruptReceiving', id: 0n, endpoint: 0x81 });
    await first.guest.next('interruptReceivingStatus');
    const state = first.session.state();
    expect(state).toEqual({ peerCaps: QEMU_CAPS, interruptEndpoints: [0x81] });

    const server = net.createServer();
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    const accepted = once(server, 'connection') as Promise<[net.Socket]>;
    const client = net.connect((server.address() as net.AddressInfo).port, '127.0.0.1');
    const [serverSide] = await accepted;
    const device = new FakeDevice();
    const resumed = new UsbRedirHostSession({
      log: createLogger({ level: 'silent' }),
      device,
      stream: serverSide,
      name: 'migrated-vm',
      resume: state,
    });
    cleanups.push(() => {
      resumed.close();
      client.destroy();
      server.close();
    });
    const guest = new FakeGuest(client, true);
    resumed.start();
    expect(resumed.phase).toBe('ready');
    device.receivers.get(0x81)!({ status: 'success', data: new Uint8Array([1, 2]) });
    const report = await guest.next('interruptPacket');
    expect([...report.data]).toEqual([1, 2]);
    expect(guest.received[0]!.type).toBe('interruptPacket'); // no hello, no device_connect
  });
});
