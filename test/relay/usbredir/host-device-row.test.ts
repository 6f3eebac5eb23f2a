import { describe, expect, it } from 'vitest';
import { hostDeviceRow } from '../../../src/relay/usbredir/host-device-row.js';
import type { UsbDeviceDescription } from '../../../src/relay/usbredir/usb-device.js';

const description = { vendorId: 0x0529, productId: 0x0001 } as UsbDeviceDescription;
const device = (connected: boolean, port: string | null = '1-1.4') =>
  ({ isConnected: () => connected, description: () => description, portPath: () => port }) as never;
const base = { name: 'dongle', selector: { vendorId: 0x0529, productId: 0x0001 }, now: 1000 } as const;

describe('the device-table row of a host device exported through usbredir', () => {
  it('has the states the UPS rows have: missing, available, attached, attaching', () => {
    expect(hostDeviceRow({ ...base, device: device(false, null), holder: null, holderConnected: false }).state).toBe(
      'missing',
    );
    expect(hostDeviceRow({ ...base, device: device(true), holder: null, holderConnected: false }).state).toBe(
      'available',
    );
    const attached = hostDeviceRow({ ...base, device: device(true), holder: 'nut-vm', holderConnected: true });
    expect(attached).toMatchObject({ state: 'attached', consumer: 'nut-vm', portPath: '1-1.4', bus: 1 });
    expect(hostDeviceRow({ ...base, device: device(true), holder: 'nut-vm', holderConnected: false }).state).toBe(
      'attaching',
    );
  });

  it('keeps the owner’s name for it while it is away: VID:PID, or the port it was named by', () => {
    const away = hostDeviceRow({ ...base, device: device(false, null), holder: 'nut-vm', holderConnected: false });
    expect(away).toMatchObject({ vendorId: 0x0529, productId: 0x0001, portPath: null, consumer: 'nut-vm' });
    const byPort = hostDeviceRow({
      ...{ name: 'p4', selector: { portPath: '2-3' }, now: 1 },
      ...{ device: device(false, null), holder: null, holderConnected: false },
    });
    expect(byPort).toMatchObject({ identity: 'port:2-3', portPath: '2-3', bus: 2, state: 'missing' });
  });
});
