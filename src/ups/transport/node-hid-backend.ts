import { readFile, realpath } from 'node:fs/promises';
import { basename } from 'node:path';
import type { HidBackend, HidDeviceEntry, HidHandle } from './hid-backend.js';

type NodeHid = typeof import('node-hid');
type Usb = typeof import('usb');

let nodeHid: Promise<NodeHid> | undefined;
let usbLib: Promise<Usb> | undefined;

/** node-hid needs Debian's libusb-1.0-0 at load time; loading it lazily keeps that off every other path. */
function loadNodeHid(): Promise<NodeHid> {
  nodeHid ??= import('node-hid');
  return nodeHid;
}

function loadUsb(): Promise<Usb> {
  usbLib ??= import('usb');
  return usbLib;
}

function sysfsDevice(hidrawPath: string): string {
  return `/sys/class/hidraw/${basename(hidrawPath)}/device`;
}

/** `/sys/devices/.../usb1/1-1/1-1.4/1-1.4:1.0/0003:051D:0002.0005` -> `1-1.4` */
export function portPathFromSysfs(resolved: string): string | undefined {
  const parts = resolved.split('/');
  const iface = parts.findIndex((p) => /^\d+-[\d.]+:\d+\.\d+$/.test(p));
  return iface > 0 ? parts[iface - 1] : undefined;
}

class NodeHidHandle implements HidHandle {
  constructor(private readonly dev: import('node-hid').HIDAsync) {}

  async getFeatureReport(reportId: number, length: number): Promise<Uint8Array> {
    return new Uint8Array(await this.dev.getFeatureReport(reportId, length));
  }

  sendFeatureReport(data: Uint8Array): Promise<number> {
    return this.dev.sendFeatureReport(Buffer.from(data));
  }

  onData(fn: (report: Uint8Array) => void): void {
    this.dev.on('data', (buf: Buffer) => {
      fn(new Uint8Array(buf));
    });
  }

  onError(fn: (err: Error) => void): void {
    this.dev.on('error', (err: unknown) => {
      fn(err instanceof Error ? err : new Error(String(err)));
    });
  }

  close(): Promise<void> {
    return this.dev.close();
  }
}

export const nodeHidBackend: HidBackend = {
  async list(): Promise<HidDeviceEntry[]> {
    const hid = await loadNodeHid();
    const devices = await hid.devicesAsync();
    return devices
      .filter((d): d is typeof d & { path: string } => typeof d.path === 'string')
      .map((d) => ({
        vendorId: d.vendorId,
        productId: d.productId,
        path: d.path,
        serial: d.serialNumber,
        manufacturer: d.manufacturer,
        product: d.product,
        usagePage: d.usagePage,
        interfaceNumber: d.interface,
      }));
  },

  async open(path: string): Promise<HidHandle> {
    const hid = await loadNodeHid();
    return new NodeHidHandle(await hid.HIDAsync.open(path));
  },

  async reportDescriptor(path: string): Promise<Uint8Array> {
    return new Uint8Array(await readFile(`${sysfsDevice(path)}/report_descriptor`));
  },

  async portPath(path: string): Promise<string | undefined> {
    try {
      return portPathFromSysfs(await realpath(sysfsDevice(path)));
    } catch {
      return undefined;
    }
  },

  async getString(portPath: string, index: number): Promise<string | undefined> {
    const [bus, ports] = portPath.split('-');
    if (bus === undefined || ports === undefined) return undefined;
    const usb = await loadUsb();
    const wanted = ports.split('.').map(Number);
    const dev = usb
      .getDeviceList()
      .find(
        (d) =>
          d.busNumber === Number(bus) &&
          d.portNumbers.length === wanted.length &&
          d.portNumbers.every((p, i) => p === wanted[i]),
      );
    if (!dev) return undefined;
    // Standard GET_DESCRIPTOR requests go to the device, not the interface the kernel's usbhid owns.
    dev.open(false);
    try {
      return await new Promise<string | undefined>((resolve) => {
        dev.getStringDescriptor(index, (err, value) => {
          resolve(err ? undefined : value);
        });
      });
    } finally {
      dev.close();
    }
  },
};
