import type { Listeners } from '../../util/listeners.js';

/** What identifies a HID device on its host; `portPath` is the Linux bus id such as `1-1.4`. */
export interface HidDeviceInfo {
  readonly vendorId: number;
  readonly productId: number;
  readonly manufacturer?: string;
  readonly product?: string;
  readonly serial?: string;
  readonly portPath?: string;
  /** Where the transport reaches it: a hidraw node, `sim:NAME`, `relay://…`. */
  readonly location: string;
}

export type ConnectionState = 'connected' | 'disconnected';

export type HidTransportEvents = {
  /** An input report from the interrupt pipe, ID byte first; `at` is when the device sent it, where known (relay). */
  input: [report: Uint8Array, at?: number];
  /** The device went away or came back (after a re-plug the same identity was recognised). */
  connection: [state: ConnectionState, reason: string];
};

/**
 * The one seam between upsguard and a UPS's USB HID interface: local (node-hid), relay (TLS to an agent) or sim.
 * Every call has a timeout in the implementation; a missing device is a normal state reported through `connection`,
 * and calls made meanwhile reject with a TransportClosed error.
 */
export interface HidTransport {
  readonly kind: 'local' | 'relay' | 'sim';
  readonly events: Listeners<HidTransportEvents>;
  open(): Promise<void>;
  close(): Promise<void>;
  isConnected(): boolean;
  info(): HidDeviceInfo;
  reportDescriptor(): Promise<Uint8Array>;
  /** Returns the report with its ID byte first (hidraw convention), `length` includes that byte. */
  getFeatureReport(reportId: number, length: number): Promise<Uint8Array>;
  /** `data` starts with the report ID byte. */
  sendFeatureReport(data: Uint8Array): Promise<void>;
  /** A USB string descriptor by index, or undefined when the device has none or it cannot be read. */
  getString(index: number): Promise<string | undefined>;
  /** Why the device is not connected (empty when it is, or unknown), for errors and the status page. */
  lastProblem?(): string;
}
