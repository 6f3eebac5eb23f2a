import type { Listeners } from '../../util/listeners.js';

/**
 * The seam between the usbredir session (which speaks the wire protocol to QEMU's usb-redir) and a USB device it
 * exports: the simulated or HID-level UPS seen as a whole USB device (hid-usb-device.ts), or a real host device
 * through libusb (libusb-device.ts). The session never sees a UPS; the device never sees a usbredir packet.
 */

export type UsbSpeed = 'low' | 'full' | 'high' | 'super' | 'unknown';
export type UsbEndpointType = 'control' | 'isochronous' | 'bulk' | 'interrupt';

/** What usbredir's device_connect, interface_info and ep_info tell the guest. */
export interface UsbDeviceDescription {
  readonly speed: UsbSpeed;
  readonly deviceClass: number;
  readonly deviceSubclass: number;
  readonly deviceProtocol: number;
  readonly vendorId: number;
  readonly productId: number;
  /** bcdDevice. */
  readonly deviceVersionBcd: number;
  /** The interfaces of the active configuration (alt setting 0 unless changed). */
  readonly interfaces: readonly UsbInterfaceDescription[];
  /** Every endpoint but endpoint 0, by address (bit 7 set for IN). */
  readonly endpoints: readonly UsbEndpointDescription[];
}

export interface UsbInterfaceDescription {
  readonly number: number;
  readonly interfaceClass: number;
  readonly interfaceSubclass: number;
  readonly interfaceProtocol: number;
}

export interface UsbEndpointDescription {
  /** bEndpointAddress: bit 7 set for IN. */
  readonly address: number;
  readonly type: UsbEndpointType;
  /** bInterval as in the endpoint descriptor. */
  readonly interval: number;
  readonly interfaceNumber: number;
  readonly maxPacketSize: number;
}

/** The 8-byte SETUP packet of a control transfer. */
export interface UsbControlSetup {
  readonly requestType: number;
  readonly request: number;
  readonly value: number;
  readonly index: number;
  readonly length: number;
}

/** usbredir's status codes, by name (usbredirproto.h `usb_redir_status`). */
export type UsbTransferStatus = 'success' | 'cancelled' | 'inval' | 'ioerror' | 'stall' | 'timeout' | 'babble';

export type UsbTransferResult =
  | { readonly status: 'success'; readonly data: Uint8Array }
  | { readonly status: Exclude<UsbTransferStatus, 'success'>; readonly data?: Uint8Array };

export type UsbDeviceEvents = {
  /** The device came (back): the session sends device_connect with the description of now. */
  connect: [];
  /** The device went away (unplug): the session sends device_disconnect. */
  disconnect: [reason: string];
};

/**
 * A USB device as the usbredir usb-host side needs it. Every method answers within the device's own timeout; a call
 * while disconnected resolves with status `ioerror` rather than throwing.
 */
export interface UsbRedirDevice {
  /** The agent's name for it: the device table's key and the claim's. */
  readonly name: string;
  readonly events: Listeners<UsbDeviceEvents>;
  isConnected(): boolean;
  /** Valid while connected. */
  description(): UsbDeviceDescription;
  /** A control transfer on endpoint 0. For an OUT transfer `data` is what the host sends; for IN it is empty. */
  control(setup: UsbControlSetup, data: Uint8Array): Promise<UsbTransferResult>;
  setConfiguration(configuration: number): Promise<UsbTransferStatus>;
  getConfiguration(): number;
  setAltSetting(interfaceNumber: number, alt: number): Promise<UsbTransferStatus>;
  getAltSetting(interfaceNumber: number): number;
  /** One bulk transfer: OUT sends `data`, IN reads up to `length` bytes. */
  bulk(endpoint: number, data: Uint8Array, length: number): Promise<UsbTransferResult>;
  /** One interrupt OUT transfer. */
  interruptOut(endpoint: number, data: Uint8Array): Promise<UsbTransferStatus>;
  /**
   * Starts polling an interrupt IN endpoint: each packet the device sends is handed to `onPacket`. Returns the stop
   * function. At most one receiver per endpoint; starting again replaces it.
   */
  startInterruptIn(endpoint: number, onPacket: (result: UsbTransferResult) => void): () => void;
  /** A USB port reset, as the guest asks for it. */
  reset(): Promise<void>;
}
