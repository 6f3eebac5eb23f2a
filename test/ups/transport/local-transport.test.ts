import { describe, expect, it } from 'vitest';
import { ErrorCode, UpsguardError } from '../../../src/errors.js';
import type { HidBackend, HidDeviceEntry, HidHandle } from '../../../src/ups/transport/hid-backend.js';
import { identityKey, isMeaningfulSerial } from '../../../src/ups/transport/device-identity.js';
import { LocalTransport } from '../../../src/ups/transport/local-transport.js';
import { portPathFromSysfs } from '../../../src/ups/transport/node-hid-backend.js';
import { ManualClock } from '../../../src/util/clock.js';

/**
 * The hidraw layer as the kernel presents it: devices come and go, paths change on re-plug, reads can fail. No USB
 * hardware is attached here, so this is the one stand-in in the suite, for the native layer only.
 */
class HostBus implements HidBackend {
  devices: (HidDeviceEntry & { port: string; descriptor: Uint8Array })[] = [];
  opened: string[] = [];
  failReads = false;
  private handles: { path: string; data?: (r: Uint8Array) => void; error?: (e: Error) => void }[] = [];

  list(): Promise<HidDeviceEntry[]> {
    return Promise.resolve(this.devices);
  }
  open(path: string): Promise<HidHandle> {
    const dev = this.devices.find((d) => d.path === path);
    if (!dev) return Promise.reject(new Error('ENOENT'));
    this.opened.push(path);
    const h: (typeof this.handles)[number] = { path };
    this.handles.push(h);
    const handle: HidHandle = {
      getFeatureReport: (id, len) =>
        this.failReads
          ? Promise.reject(new Error('EIO'))
          : Promise.resolve(Uint8Array.from({ length: len }, (_, i) => (i === 0 ? id : 7))),
      sendFeatureReport: (d) => Promise.resolve(d.length),
      onData: (fn) => {
        h.data = fn;
      },
      onError: (fn) => {
        h.error = fn;
      },
      close: () => Promise.resolve(),
    };
    return Promise.resolve(handle);
  }
  reportDescriptor(path: string): Promise<Uint8Array> {
    return Promise.resolve(this.devices.find((d) => d.path === path)!.descriptor);
  }
  portPath(path: string): Promise<string | undefined> {
    return Promise.resolve(this.devices.find((d) => d.path === path)?.port);
  }
  getString(_port: string, index: number): Promise<string | undefined> {
    return Promise.resolve(index === 1 ? 'Back-UPS 500' : undefined);
  }
  unplug(path: string): void {
    this.devices = this.devices.filter((d) => d.path !== path);
    for (const h of this.handles) if (h.path === path) h.error?.(new Error('could not read from HID device'));
  }
  push(path: string, report: Uint8Array): void {
    for (const h of this.handles) if (h.path === path) h.data?.(report);
  }
}

const apc = (path: string, port: string, serial = 'AB0427123456', descriptor = Uint8Array.of(5, 0x84, 9, 4)) => ({
  vendorId: 0x051d,
  productId: 0x0002,
  path,
  port,
  serial,
  usagePage: 0x84,
  interfaceNumber: 0,
  descriptor,
});

function transport(bus: HostBus, selector = {}) {
  const clock = new ManualClock(0);
  const t = new LocalTransport({
    selector,
    backend: bus,
    clock,
    ioTimeoutMs: 1000,
    reconnectBaseMs: 1000,
    reconnectMaxMs: 8000,
    random: () => 1,
  });
  const states: string[] = [];
  t.events.on('connection', (s, reason) => states.push(`${s}: ${reason}`));
  return { t, clock, states };
}

const settle = () => new Promise((r) => setImmediate(r));

describe('device identity', () => {
  it('uses a meaningful serial, else the port path', () => {
    expect(isMeaningfulSerial('AB0427123456')).toBe(true);
    for (const s of [undefined, '', '000000000', '   ', '************']) expect(isMeaningfulSerial(s)).toBe(false);
    expect(isMeaningfulSerial('AB1', 2)).toBe(false);
    expect(identityKey({ vendorId: 0x51d, productId: 2, serial: 'AB0427123456', portPath: '1-1.4' })).toBe(
      '051d:0002/serial:AB0427123456',
    );
    expect(identityKey({ vendorId: 0x463, productId: 0xffff, serial: '000000000', portPath: '1-1.4' })).toBe(
      '0463:ffff/port:1-1.4',
    );
  });

  it('finds the port path in a hidraw sysfs path', () => {
    expect(portPathFromSysfs('/sys/devices/pci0000:00/0000:00:14.0/usb1/1-1/1-1.4/1-1.4:1.0/0003:051D:0002.0005')).toBe(
      '1-1.4',
    );
    expect(portPathFromSysfs('/sys/devices/virtual/misc/uhid/0003:051D:0002.0001')).toBeUndefined();
  });
});

describe('local transport', () => {
  it('treats a missing UPS as a state and keeps looking with backoff until it appears', async () => {
    const bus = new HostBus();
    const { t, clock, states } = transport(bus);
    await t.open();
    expect(t.isConnected()).toBe(false);
    expect(t.lastProblem()).toMatch(/no UPS matching any UPS/);
    await expect(t.getFeatureReport(12, 6)).rejects.toMatchObject({ code: ErrorCode.TransportClosed });
    bus.devices.push(apc('/dev/hidraw0', '1-1.4'));
    clock.advance(1000);
    await settle();
    expect(t.isConnected()).toBe(true);
    expect(states).toEqual(['connected: opened /dev/hidraw0']);
    expect(t.info()).toMatchObject({ vendorId: 0x051d, portPath: '1-1.4', serial: 'AB0427123456' });
    expect(await t.getString(1)).toBe('Back-UPS 500');
    await t.close();
  });

  it('selects by VID:PID, serial or port path, and refuses to guess between two matches', async () => {
    const bus = new HostBus();
    bus.devices.push(apc('/dev/hidraw0', '1-1.4', 'AAA111'), apc('/dev/hidraw1', '1-1.5', 'BBB222'));
    const any = transport(bus);
    await any.t.open();
    expect(any.t.isConnected()).toBe(false);
    expect(any.t.lastProblem()).toMatch(/2 devices match any UPS; select one by serial or path: 1-1.4, 1-1.5/);
    await any.t.close();
    const bySerial = transport(bus, { serial: 'BBB222' });
    await bySerial.t.open();
    expect(bySerial.t.info().location).toBe('/dev/hidraw1');
    await bySerial.t.close();
    const byPort = transport(bus, { path: '1-1.4' });
    await byPort.t.open();
    expect(byPort.t.info().location).toBe('/dev/hidraw0');
    await byPort.t.close();
  });

  it('recognises the same UPS after a re-plug under a new device node, and passes input reports on', async () => {
    const bus = new HostBus();
    bus.devices.push(apc('/dev/hidraw0', '1-1.4'));
    const { t, clock, states } = transport(bus);
    await t.open();
    const inputs: number[] = [];
    t.events.on('input', (r) => inputs.push(r[0]!));
    bus.push('/dev/hidraw0', Uint8Array.of(0x13, 1));
    bus.unplug('/dev/hidraw0');
    await settle();
    expect(t.isConnected()).toBe(false);
    // Another UPS on another port must not be taken for ours.
    bus.devices.push(apc('/dev/hidraw1', '1-2', 'OTHER999'));
    clock.advance(1000);
    await settle();
    expect(t.isConnected()).toBe(false);
    bus.devices.push(apc('/dev/hidraw2', '1-1.4'));
    clock.advance(2000);
    await settle();
    expect(t.isConnected()).toBe(true);
    expect(t.info().location).toBe('/dev/hidraw2');
    bus.push('/dev/hidraw2', Uint8Array.of(0x14, 0, 0));
    expect(inputs).toEqual([0x13, 0x14]);
    expect(states).toEqual([
      'connected: opened /dev/hidraw0',
      'disconnected: device error: could not read from HID device',
      'connected: opened /dev/hidraw2',
    ]);
    await t.sendFeatureReport(Uint8Array.of(0x15, 1, 0));
    await t.close();
  });

  it('refuses writes when the same identity comes back with a different report descriptor', async () => {
    const bus = new HostBus();
    bus.devices.push(apc('/dev/hidraw0', '1-1.4'));
    const { t, clock, states } = transport(bus);
    await t.open();
    bus.unplug('/dev/hidraw0');
    await settle();
    bus.devices.push(apc('/dev/hidraw3', '1-1.4', 'AB0427123456', Uint8Array.of(5, 0x84, 9, 4, 0xc0)));
    clock.advance(1000);
    await settle();
    expect(states.at(-1)).toBe('connected: reconnected, but the report descriptor changed: writes refused');
    await expect(t.getFeatureReport(1, 2)).resolves.toHaveLength(2);
    const err = await t.sendFeatureReport(Uint8Array.of(0x15, 1, 0)).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(UpsguardError);
    expect((err as UpsguardError).code).toBe(ErrorCode.DeviceIdentityMismatch);
    await t.close();
  });

  it('turns a failing read into a typed error, drops the device and reconnects', async () => {
    const bus = new HostBus();
    bus.devices.push(apc('/dev/hidraw0', '1-1.4'));
    const { t, clock } = transport(bus);
    await t.open();
    bus.failReads = true;
    await expect(t.getFeatureReport(12, 6)).rejects.toMatchObject({
      code: ErrorCode.TransportIo,
      message: /GET_REPORT feature 12 failed: EIO/,
    });
    await settle();
    expect(t.isConnected()).toBe(false);
    bus.failReads = false;
    clock.advance(1000);
    await settle();
    expect(t.isConnected()).toBe(true);
    await t.close();
  });
});
