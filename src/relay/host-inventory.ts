import { usbId } from '../util/hex.js';
import type { AgentStore } from './agent-store.js';

/** A USB device on this host, as `upsguard devices` lists it (like lsusb, plus the relay's view). */
export interface HostUsbDevice {
  readonly bus: number;
  readonly deviceNumber: number;
  readonly portPath: string;
  readonly vendorId: number;
  readonly productId: number;
  readonly manufacturer: string | null;
  readonly product: string | null;
  readonly isHid: boolean;
  readonly claim: string;
}

/**
 * Lists the host's USB devices through libusb (the `usb` package, loaded only here) and names the HID ones from
 * hidraw. Strings come from node-hid where the kernel already read them; opening a device just for its name is
 * avoided, since that needs write access to it.
 */
export async function listHostUsbDevices(store: AgentStore | null, now: number): Promise<HostUsbDevice[]> {
  const usb = await import('usb');
  let hid: { vendorId: number; productId: number; manufacturer?: string; product?: string; path?: string }[] = [];
  try {
    hid = await (await import('node-hid')).devicesAsync();
  } catch {
    // Without libusb-1.0-0 node-hid cannot load; the list still shows what libusb sees.
  }
  const claims = new Map<string, string>();
  if (store) {
    for (const row of store.devices()) {
      const c = store.claim(row.name);
      const holder = c && c.leaseUntil > now ? ` by ${c.identity}` : '';
      if (row.portPath) claims.set(row.portPath, `${row.state}${holder}`);
    }
  }
  return usb
    .getDeviceList()
    .map((d) => {
      const portPath = `${d.busNumber}-${d.portNumbers.join('.')}`;
      const desc = d.deviceDescriptor;
      const isHid =
        desc.bDeviceClass === 3 ||
        (d.configDescriptor?.interfaces ?? []).some((alts) => alts.some((i) => i.bInterfaceClass === 3));
      const named = hid.find((h) => h.vendorId === desc.idVendor && h.productId === desc.idProduct);
      return {
        bus: d.busNumber,
        deviceNumber: d.deviceAddress,
        portPath,
        vendorId: desc.idVendor,
        productId: desc.idProduct,
        manufacturer: named?.manufacturer ?? null,
        product: named?.product ?? null,
        isHid,
        claim: claims.get(portPath) ?? (isHid ? 'not exported' : '-'),
      };
    })
    .sort((a, b) => a.bus - b.bus || a.deviceNumber - b.deviceNumber);
}

export function formatDeviceTable(rows: readonly HostUsbDevice[]): string[] {
  if (rows.length === 0) return ['no USB devices found on this host'];
  return rows.map(
    (r) =>
      `Bus ${String(r.bus).padStart(3, '0')} Device ${String(r.deviceNumber).padStart(3, '0')} Port ${r.portPath.padEnd(9)} ID ${usbId(r.vendorId, r.productId)} ${r.isHid ? 'HID' : '   '} ${[r.manufacturer, r.product].filter(Boolean).join(' ') || '-'}  [${r.claim}]`,
  );
}
