import type { DeviceRow } from '../agent-store.js';
import type { UsbRedirDevice } from './usb-device.js';

export interface HostDeviceRowInput {
  readonly name: string;
  readonly device: UsbRedirDevice & { portPath(): string | null };
  /** How the owner named it: what identifies it while it is away. */
  readonly selector: { readonly portPath: string } | { readonly vendorId: number; readonly productId: number };
  /** The live claim's holder, if any, and whether that holder has a usbredir session now. */
  readonly holder: string | null;
  readonly holderConnected: boolean;
  readonly now: number;
}

/**
 * The device-table row of a host device exported whole through usbredir (libusb), with the same states as the UPS's:
 * missing while it is not on the bus, available with no claim, attached while its claim holder's session runs,
 * attaching while the claim outlives a connection (a VM migrating or restarting).
 */
export function hostDeviceRow(i: HostDeviceRowInput): DeviceRow {
  const connected = i.device.isConnected();
  const d = connected ? i.device.description() : null;
  const vendorId = d?.vendorId ?? ('vendorId' in i.selector ? i.selector.vendorId : 0);
  const productId = d?.productId ?? ('productId' in i.selector ? i.selector.productId : 0);
  const portPath = i.device.portPath() ?? ('portPath' in i.selector ? i.selector.portPath : null);
  const state = !connected ? 'missing' : i.holder === null ? 'available' : i.holderConnected ? 'attached' : 'attaching';
  return {
    name: i.name,
    identity: 'portPath' in i.selector ? `port:${i.selector.portPath}` : `usb:${vendorId}:${productId}`,
    vendorId,
    productId,
    bus: portPath ? Number(portPath.split('-')[0]) || null : null,
    deviceNumber: null,
    portPath,
    consumer: i.holder,
    state,
    stateChangedAt: i.now,
  };
}
