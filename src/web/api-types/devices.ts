// Type-only: GET /api/devices. The page imports these with `import type`.
import type { RelayStatus } from '../../ups/transport/relay-transport.js';

export type DeviceStateView = 'available' | 'attaching' | 'attached' | 'failed' | 'missing';

/** A device a relay agent exports, with its claim. */
export interface ExportedDeviceView {
  readonly name: string;
  readonly identity: string;
  /** Four hex digits, e.g. "051d". */
  readonly vendorId: string;
  readonly productId: string;
  readonly manufacturer: string | null;
  readonly product: string | null;
  readonly serial: string | null;
  readonly portPath: string | null;
  readonly state: DeviceStateView;
  /** PSK identity of the client holding the controller claim; null when nobody does. */
  readonly controller: string | null;
  /** ISO 8601. */
  readonly leaseUntil: string | null;
  readonly stateChangedAt: string;
}

/** A USB device on the agent's host, as `upsguard devices` lists it there. */
export interface HostUsbDeviceView {
  readonly bus: number;
  readonly deviceNumber: number;
  readonly portPath: string;
  readonly vendorId: string;
  readonly productId: string;
  readonly manufacturer: string | null;
  readonly product: string | null;
  readonly isHid: boolean;
  /** The relay's view: "attached by vm1", "not exported", "-". */
  readonly claim: string;
}

/** One relay-sourced UPS: its link and what its agent exports. */
export interface RelayDevicesView {
  readonly ups: string;
  readonly link: RelayStatus;
  readonly devices: readonly ExportedDeviceView[];
  readonly host: readonly HostUsbDeviceView[];
  /** Why the agent's lists could not be read (link down, timeout); null when they were. */
  readonly problem: string | null;
}

/** One UPS on this machine's own USB (passthrough or bare metal). */
export interface LocalUsbDeviceView {
  readonly ups: string;
  readonly location: string;
  readonly vendorId: string | null;
  readonly productId: string | null;
}

/** GET /api/devices: empty lists when there are none. */
export interface DevicesResponse {
  readonly relays: readonly RelayDevicesView[];
  readonly local: readonly LocalUsbDeviceView[];
}
