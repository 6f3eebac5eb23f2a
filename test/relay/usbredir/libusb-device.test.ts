import { spawnSync } from 'node:child_process';
import { EventEmitter } from 'node:events';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';
import { createLogger } from '../../../src/log.js';
import {
  LibusbDevice,
  LibusbError,
  LibusbTransferStatus,
  describeFromDescriptors,
  matchesSelector,
  portPathOf,
  speedFromSysfs,
  statusOfLibusbError,
  type UsbModule,
} from '../../../src/relay/usbredir/libusb-device.js';
import type { UsbTransferResult } from '../../../src/relay/usbredir/usb-device.js';

const require = createRequire(import.meta.url);
const usbLoaded = (): boolean => Object.keys(require.cache).some((k) => k.includes('/node_modules/usb/'));
const log = createLogger({ level: 'silent' });

describe('libusb device: the parts that need no hardware', () => {
  it('does not load the usb package (nor its native module) until start()', () => {
    const device = new LibusbDevice({ name: 'dongle', selector: { portPath: '1-4' }, log, timeoutMs: 1000 });
    expect(device.isConnected()).toBe(false);
    expect(usbLoaded()).toBe(false);
    // Only type imports of 'usb' in the source, so nothing at module load can pull it in.
    const source = readFileSync(new URL('../../../src/relay/usbredir/libusb-device.ts', import.meta.url), 'utf8');
    const imports = source.match(/^import .* from 'usb';$/gm) ?? [];
    expect(imports.length).toBe(1);
    for (const line of imports) expect(line).toMatch(/^import type /);
  });

  it('the check above would see a loaded usb package (run in a child process, never in this one)', () => {
    const child = spawnSync(
      process.execPath,
      ['-e', "require('usb'); console.log(Object.keys(require.cache).some((k) => k.includes('/node_modules/usb/')))"],
      { cwd: process.cwd(), encoding: 'utf8', timeout: 20_000 },
    );
    expect(child.stdout.trim()).toBe('true');
  });

  it("uses libusb's own numbers for errors and transfer statuses (as libusb.h defines them)", () => {
    const header = readFileSync(require.resolve('usb/libusb/libusb/libusb.h'), 'utf8');
    const errors = /enum libusb_error \{([\s\S]*?)\};/.exec(header)![1]!;
    const named = (name: string): number => Number(new RegExp(`LIBUSB_ERROR_${name} = (-?\\d+)`).exec(errors)![1]);
    const snake = (k: string): string => k.replace(/([a-z])([A-Z])/g, '$1_$2').toUpperCase();
    for (const [k, v] of Object.entries(LibusbError)) expect(named(snake(k)), k).toBe(v);
    const statuses = /enum libusb_transfer_status \{([\s\S]*?)\};/.exec(header)![1]!;
    const order = [...statuses.matchAll(/LIBUSB_TRANSFER_([A-Z_]+)/g)].map((m) => m[1]);
    for (const [k, v] of Object.entries(LibusbTransferStatus)) expect(order.indexOf(snake(k)), k).toBe(v);
  });

  it.each([
    [LibusbError.Timeout, 'timeout'],
    [LibusbTransferStatus.TimedOut, 'timeout'],
    [LibusbError.Pipe, 'stall'],
    [LibusbTransferStatus.Stall, 'stall'],
    [LibusbError.Overflow, 'babble'],
    [LibusbTransferStatus.Overflow, 'babble'],
    [LibusbTransferStatus.Cancelled, 'cancelled'],
    [LibusbError.Interrupted, 'cancelled'],
    [LibusbError.InvalidParam, 'inval'],
    [LibusbError.NotSupported, 'inval'],
    [LibusbError.NotFound, 'inval'],
    [LibusbError.NoDevice, 'ioerror'],
    [LibusbTransferStatus.NoDevice, 'ioerror'],
    [LibusbError.Io, 'ioerror'],
    [LibusbTransferStatus.Error, 'ioerror'],
    [LibusbError.Busy, 'ioerror'],
    [LibusbError.Access, 'ioerror'],
    [LibusbError.Other, 'ioerror'],
    [undefined, 'ioerror'],
  ])('maps errno %s to %s', (errno, status) => {
    expect(statusOfLibusbError(Object.assign(new Error('libusb'), { errno }))).toBe(status);
  });

  it('maps anything else thrown to ioerror', () => {
    expect(statusOfLibusbError(null)).toBe('ioerror');
    expect(statusOfLibusbError('text')).toBe('ioerror');
  });

  it('reads the speed from sysfs text and selects by port path or VID:PID', () => {
    expect(['1.5', '12', '480', '5000\n', '10000', 'x', undefined].map(speedFromSysfs)).toEqual([
      'low',
      'full',
      'high',
      'super',
      'super',
      'unknown',
      'unknown',
    ]);
    const d = { busNumber: 1, portNumbers: [1, 4], deviceDescriptor: { idVendor: 0x0764, idProduct: 0x0501 } };
    expect(portPathOf(d)).toBe('1-1.4');
    const m = (s: Parameters<typeof matchesSelector>[1]) => matchesSelector(d as never, s);
    expect(m({ portPath: '1-1.4' })).toBe(true);
    expect(m({ portPath: '1-1' })).toBe(false);
    expect(m({ vendorId: 0x0764, productId: 0x0501 })).toBe(true);
    expect(m({ vendorId: 0x0764, productId: 0x0601 })).toBe(false);
  });

  it('describes a device from its descriptors: the active configuration, alt setting 0', () => {
    const description = describeFromDescriptors(cyberpowerDescriptor, cyberpowerConfig as never, 'full');
    expect(description).toEqual({
      speed: 'full',
      deviceClass: 0,
      deviceSubclass: 0,
      deviceProtocol: 0,
      vendorId: 0x0764,
      productId: 0x0501,
      deviceVersionBcd: 0x0200,
      interfaces: [{ number: 0, interfaceClass: 3, interfaceSubclass: 0, interfaceProtocol: 0 }],
      endpoints: [{ address: 0x81, type: 'interrupt', interval: 10, interfaceNumber: 0, maxPacketSize: 8 }],
    });
    expect(describeFromDescriptors(cyberpowerDescriptor, undefined, 'high').interfaces).toEqual([]);
  });
});

// A CyberPower CP1500 AVR as node-usb describes it (lsusb -v in NUT issue #574), and a second vendor interface so
// the claim and driver bookkeeping has something to get wrong.
const cyberpowerDescriptor = {
  bDeviceClass: 0,
  bDeviceSubClass: 0,
  bDeviceProtocol: 0,
  idVendor: 0x0764,
  idProduct: 0x0501,
  bcdDevice: 0x0200,
  iSerialNumber: 2,
};
const cyberpowerConfig = {
  bConfigurationValue: 1,
  interfaces: [
    [
      {
        bInterfaceNumber: 0,
        bInterfaceClass: 3,
        bInterfaceSubClass: 0,
        bInterfaceProtocol: 0,
        endpoints: [{ bEndpointAddress: 0x81, bmAttributes: 3, bInterval: 10, wMaxPacketSize: 8 }],
      },
    ],
  ],
};

/**
 * A stand-in for node-usb's Device, Interface and InEndpoint. There is no USB hardware here, so the open/claim/
 * detach/reattach bookkeeping can only be checked against one; it records every call in order.
 */
function fakeUsb(opts: { serial?: string; kernelDriver?: boolean[] } = {}) {
  const calls: string[] = [];
  class FakeInEndpoint extends EventEmitter {
    direction = 'in' as const;
    address = 0x81;
    timeout = 0;
    pollActive = false;
    descriptor = { wMaxPacketSize: 8 };
    startPoll(n: number, size: number) {
      calls.push(`poll ${n}x${size}`);
      this.pollActive = true;
    }
    stopPoll() {
      calls.push('stop poll');
      this.pollActive = false;
    }
  }
  class FakeInterface {
    endpoints: FakeInEndpoint[];
    constructor(
      readonly interfaceNumber: number,
      private driver: boolean,
    ) {
      this.endpoints = interfaceNumber === 0 ? [new FakeInEndpoint()] : [];
    }
    isKernelDriverActive() {
      return this.driver;
    }
    detachKernelDriver() {
      calls.push(`detach ${this.interfaceNumber}`);
      this.driver = false;
    }
    attachKernelDriver() {
      calls.push(`attach ${this.interfaceNumber}`);
      this.driver = true;
    }
    claim() {
      calls.push(`claim ${this.interfaceNumber}`);
    }
    release(_close: boolean, cb: (err?: unknown) => void) {
      calls.push(`release ${this.interfaceNumber}`);
      setImmediate(cb);
    }
    setAltSetting(alt: number, cb: (err?: unknown) => void) {
      calls.push(`alt ${this.interfaceNumber}=${alt}`);
      cb(alt === 0 ? undefined : Object.assign(new Error('pipe'), { errno: LibusbError.Pipe }));
    }
    endpoint(addr: number) {
      return this.endpoints.find((e) => e.address === addr);
    }
  }
  const drivers = opts.kernelDriver ?? [true, false];
  const device = {
    busNumber: 1,
    portNumbers: [4],
    deviceDescriptor: cyberpowerDescriptor,
    configDescriptor: cyberpowerConfig,
    interfaces: drivers.map((d, i) => new FakeInterface(i, d)),
    timeout: 0,
    nextControl: { err: undefined as unknown, data: Buffer.from([0x12, 0x01]) },
    open() {
      calls.push('open');
    },
    close() {
      calls.push('close');
    },
    getStringDescriptor(i: number, cb: (err?: unknown, s?: string) => void) {
      cb(undefined, i === 2 ? (opts.serial ?? 'CTHGV2000000') : undefined);
    },
    controlTransfer(
      rt: number,
      req: number,
      v: number,
      i: number,
      dl: number | Buffer,
      cb: (e: unknown, b?: Buffer) => void,
    ) {
      calls.push(`control ${rt.toString(16)}:${req}:${v}:${i}:${typeof dl === 'number' ? dl : dl.toString('hex')}`);
      const next = device.nextControl;
      setImmediate(() => cb(next.err, next.err ? undefined : next.data));
      return device;
    },
    setConfiguration(n: number, cb: (err?: unknown) => void) {
      calls.push(`configure ${n}`);
      cb();
    },
    reset(cb: (err?: unknown) => void) {
      calls.push('reset');
      cb();
    },
  };
  const bus = new EventEmitter();
  const module = { usb: bus, getDeviceList: () => [device] } as unknown as UsbModule;
  return { calls, device, bus, module };
}

describe('libusb device: open, claim, give back (against a stand-in for node-usb)', () => {
  async function started(opts?: Parameters<typeof fakeUsb>[0], serial?: string) {
    const fake = fakeUsb(opts);
    const d = new LibusbDevice({
      name: 'ups',
      selector: serial ? { vendorId: 0x0764, productId: 0x0501, serial } : { portPath: '1-4' },
      log,
      timeoutMs: 1500,
      loadUsb: () => Promise.resolve(fake.module),
    });
    const events: string[] = [];
    d.events.on('connect', () => events.push('connect'));
    d.events.on('disconnect', (r) => events.push(`disconnect: ${r}`));
    await d.start();
    return { ...fake, d, events };
  }
  const tick = () => new Promise((r) => setImmediate(r));

  it('detaches the kernel driver where one is bound, claims every interface, and gives both back on stop', async () => {
    const { d, calls, events } = await started();
    expect(events).toEqual(['connect']);
    expect(calls).toEqual(['open', 'detach 0', 'claim 0', 'claim 1']);
    expect(d.description().vendorId).toBe(0x0764);
    await d.stop();
    expect(calls.slice(4)).toEqual(['release 0', 'attach 0', 'release 1', 'close']);
    expect(d.isConnected()).toBe(false);
  });

  it('runs control transfers with the timeout, maps their errors, and routes SET_CONFIGURATION through libusb', async () => {
    const { d, calls, device } = await started();
    const got = await d.control(
      { requestType: 0x80, request: 6, value: 0x0100, index: 0, length: 18 },
      new Uint8Array(0),
    );
    expect(got).toEqual({ status: 'success', data: Uint8Array.of(0x12, 0x01) });
    expect(device.timeout).toBe(1500);
    await d.control(
      { requestType: 0x21, request: 9, value: 0x0315, index: 0, length: 3 },
      Uint8Array.of(0x15, 0x3c, 0),
    );
    expect(calls).toContain('control 21:9:789:0:153c00');
    device.nextControl = {
      err: Object.assign(new Error('stall'), { errno: LibusbTransferStatus.Stall }),
      data: Buffer.alloc(0),
    };
    expect(
      (await d.control({ requestType: 0xa1, request: 1, value: 0x0301, index: 0, length: 8 }, new Uint8Array(0)))
        .status,
    ).toBe('stall');
    device.nextControl = {
      err: Object.assign(new Error('t'), { errno: LibusbTransferStatus.TimedOut }),
      data: Buffer.alloc(0),
    };
    expect(
      (await d.control({ requestType: 0xa1, request: 1, value: 0x0301, index: 0, length: 8 }, new Uint8Array(0)))
        .status,
    ).toBe('timeout');
    calls.length = 0;
    expect(
      (await d.control({ requestType: 0x00, request: 9, value: 1, index: 0, length: 0 }, new Uint8Array(0))).status,
    ).toBe('success');
    expect(calls).toEqual(['release 0', 'release 1', 'configure 1', 'claim 0', 'claim 1']);
    expect(await d.setAltSetting(0, 0)).toBe('success');
    expect(await d.setAltSetting(0, 1)).toBe('stall');
    expect(await d.setAltSetting(7, 0)).toBe('inval');
    await d.stop();
  });

  it('polls an interrupt IN endpoint and stops polling when told', async () => {
    const { d, calls, device } = await started();
    const got: UsbTransferResult[] = [];
    const stop = d.startInterruptIn(0x81, (r) => got.push(r));
    expect(calls).toContain('poll 3x8');
    device.interfaces[0]!.endpoints[0]!.emit('data', Buffer.from([0x08, 0x64]));
    device.interfaces[0]!.endpoints[0]!.emit(
      'error',
      Object.assign(new Error('s'), { errno: LibusbTransferStatus.Stall }),
    );
    expect(got).toEqual([{ status: 'success', data: Uint8Array.of(0x08, 0x64) }, { status: 'stall' }]);
    stop();
    expect(calls).toContain('stop poll');
    device.interfaces[0]!.endpoints[0]!.emit('data', Buffer.from([0x08, 0x00]));
    expect(got).toHaveLength(2);
    const other = await new Promise<UsbTransferResult>((r) => d.startInterruptIn(0x83, r));
    expect(other.status).toBe('inval');
    await d.stop();
  });

  it('turns a hot unplug into disconnect (nothing to reattach) and a re-plug into connect', async () => {
    const { d, calls, events, bus, device } = await started();
    bus.emit('detach', device);
    expect(events).toEqual(['connect', 'disconnect: device unplugged']);
    expect(d.isConnected()).toBe(false);
    expect(
      (await d.control({ requestType: 0x80, request: 0, value: 0, index: 0, length: 2 }, new Uint8Array(0))).status,
    ).toBe('ioerror');
    await tick();
    await tick();
    expect(calls.filter((c) => c.startsWith('attach'))).toEqual([]);
    bus.emit('attach', device);
    await tick();
    expect(events.at(-1)).toBe('connect');
    expect(d.isConnected()).toBe(true);
    await d.stop();
  });

  it('a transfer failing with NO_DEVICE also ends the export', async () => {
    const { d, events, device } = await started();
    device.nextControl = {
      err: Object.assign(new Error('gone'), { errno: LibusbTransferStatus.NoDevice }),
      data: Buffer.alloc(0),
    };
    expect(
      (await d.control({ requestType: 0x80, request: 0, value: 0, index: 0, length: 2 }, new Uint8Array(0))).status,
    ).toBe('ioerror');
    expect(events).toEqual(['connect', 'disconnect: device unplugged']);
  });

  it('leaves a device alone when the named serial does not match', async () => {
    const { d, calls, events } = await started({ serial: 'OTHER' }, 'CTHGV2000000');
    expect(events).toEqual([]);
    expect(d.isConnected()).toBe(false);
    expect(calls).toEqual(['open', 'close']);
    await d.stop();
  });
});
