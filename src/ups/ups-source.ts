import type { Listeners } from '../util/listeners.js';
import type { UpsCommand, UpsReading, WritableVariable } from './pdc/index.js';

/**
 * A reading as a source yields it. `complete: false` marks a decode that did not follow a full read of the device
 * (after a re-plug or a reset of the reader's cache): its status must never change the power state. Absent: complete.
 */
export interface SourceReading extends UpsReading {
  readonly complete?: boolean;
}

export type UpsSourceEvents = {
  /** A reading pushed by the device between polls (an interrupt report). */
  reading: [reading: SourceReading];
  /** Contact with the device (not with the UPS's mains) came or went. */
  connection: [connected: boolean, reason: string];
};

export interface UpsSourceInfo {
  readonly kind: 'usb' | 'sim' | 'relay' | 'nut';
  readonly location: string;
  readonly vendorId?: number;
  readonly productId?: number;
}

/**
 * Anything that yields UPS readings and accepts the few UPS commands: the HID reader over any transport, and (later)
 * the NUT client. The monitor owns the cadence; a source only knows how to read.
 */
export interface UpsSource {
  readonly events: Listeners<UpsSourceEvents>;
  start(): Promise<void>;
  stop(): Promise<void>;
  /** `quick`: status, charge, runtime, timers. `full`: everything. Rejects when the device cannot be read. */
  poll(kind: 'quick' | 'full'): Promise<SourceReading>;
  /** Commands to one device run one at a time, in the order given (one queue per device). */
  command(cmd: UpsCommand, opts?: { offDelay?: number; onDelay?: number }): Promise<void>;
  supportedCommands(): readonly UpsCommand[];
  /**
   * Whether this UPS's load-off waits for the off delay it is given (false for units whose only load-off cuts at
   * once, such as an APC Back-UPS CS's native shutdown.return); null while unknown.
   */
  loadOffHonoursDelay?(): boolean | null;
  /** Variables a NUT client may set (upsrw), ups.delay.* included; absent or empty when none. */
  writableVariables?(): readonly WritableVariable[];
  /** Writes a device-backed writable variable; rejects UPS_COMMAND_INVALID for a value the device cannot take. */
  setVariable?(name: string, value: string): Promise<void>;
  /** driver.* variables as the NUT driver for this device would publish them. */
  driverVariables?(): Readonly<Record<string, string>>;
  info(): UpsSourceInfo;
}
