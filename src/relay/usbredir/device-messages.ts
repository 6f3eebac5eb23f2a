import {
  ENDPOINT_SLOTS,
  USBREDIR_EP_TYPE,
  USBREDIR_SPEED,
  USBREDIR_STATUS,
  endpointSlot,
  type EpInfoEntry,
  type UsbRedirMessage,
  type UsbRedirMessageOf,
} from './protocol.js';
import type { UsbDeviceDescription, UsbTransferStatus } from './usb-device.js';

/**
 * A UsbRedirDevice's description as the three messages that show it to the guest. Pure. QEMU checks the interface
 * info when device_connect arrives (it rejects a device without one), so the session sends these in the order
 * interface_info, ep_info, device_connect.
 */

/** Endpoint 0 is not in the description; its max packet size is what the speed allows for every device. */
function ep0MaxPacketSize(speed: UsbDeviceDescription['speed']): number {
  return speed === 'low' ? 8 : speed === 'super' ? 512 : 64;
}

export function interfaceInfoMessage(d: UsbDeviceDescription): UsbRedirMessageOf<'interfaceInfo'> {
  return {
    type: 'interfaceInfo',
    id: 0n,
    interfaces: d.interfaces.slice(0, 32).map((i) => ({
      number: i.number,
      interfaceClass: i.interfaceClass,
      interfaceSubclass: i.interfaceSubclass,
      interfaceProtocol: i.interfaceProtocol,
    })),
  };
}

export function epInfoMessage(d: UsbDeviceDescription): UsbRedirMessageOf<'epInfo'> {
  const invalid: EpInfoEntry = {
    type: USBREDIR_EP_TYPE.invalid,
    interval: 0,
    interfaceNumber: 0,
    maxPacketSize: 0,
    maxStreams: 0,
  };
  const slots: EpInfoEntry[] = Array.from({ length: ENDPOINT_SLOTS }, () => invalid);
  const ep0: EpInfoEntry = { ...invalid, type: USBREDIR_EP_TYPE.control, maxPacketSize: ep0MaxPacketSize(d.speed) };
  slots[endpointSlot(0x00)] = ep0;
  slots[endpointSlot(0x80)] = ep0;
  for (const e of d.endpoints) {
    slots[endpointSlot(e.address)] = {
      type: USBREDIR_EP_TYPE[e.type],
      interval: e.interval,
      interfaceNumber: e.interfaceNumber,
      maxPacketSize: e.maxPacketSize,
      maxStreams: 0,
    };
  }
  return { type: 'epInfo', id: 0n, endpoints: slots };
}

export function deviceConnectMessage(d: UsbDeviceDescription): UsbRedirMessageOf<'deviceConnect'> {
  return {
    type: 'deviceConnect',
    id: 0n,
    speed: USBREDIR_SPEED[d.speed],
    deviceClass: d.deviceClass,
    deviceSubclass: d.deviceSubclass,
    deviceProtocol: d.deviceProtocol,
    vendorId: d.vendorId,
    productId: d.productId,
    deviceVersionBcd: d.deviceVersionBcd,
  };
}

export function announceMessages(d: UsbDeviceDescription): UsbRedirMessage[] {
  return [interfaceInfoMessage(d), epInfoMessage(d), deviceConnectMessage(d)];
}

export function statusCode(status: UsbTransferStatus): number {
  return USBREDIR_STATUS[status];
}
