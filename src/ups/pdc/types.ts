/** The contract the rest of upsguard codes against for the Power Device Class model. */
import type { HidField, ReportDescriptor, ReportType } from '../hid/types.js';

export interface DeviceInfo {
  vendorId: number;
  productId: number;
  manufacturer?: string;
  product?: string;
  serial?: string;
}

export interface ReportSource {
  get(type: ReportType, reportId: number): Uint8Array | undefined;
}

/** USB string descriptors by index. */
export type StringLookup = (index: number) => string | undefined;

/** Values formatted as NUT prints them; status tokens in NUT order. */
export interface UpsReading {
  variables: Record<string, string>;
  status: string[];
}

/** Instant commands as usbhid-ups names them; a device offers those whose HID fields its descriptor has. */
export const UPS_COMMANDS = [
  'shutdown.return',
  'load.off.delay',
  'shutdown.stayoff',
  'shutdown.stop',
  'shutdown.reboot',
  'load.off',
  'load.on',
  'load.on.delay',
  'test.battery.start.quick',
  'test.battery.start.deep',
  'test.battery.stop',
  'beeper.disable',
  'beeper.enable',
  'beeper.mute',
  'beeper.on',
  'beeper.off',
  // tripplite-hid: restarts the unit's watchdog (60 s).
  'reset.watchdog',
  // mge-hid's outlet-group switches (PowerShare): NUT's outlet.N is the HID Outlet.[N+1], Outlet.[1] being the main.
  'outlet.1.load.off',
  'outlet.1.load.on',
  'outlet.2.load.off',
  'outlet.2.load.on',
] as const;

export type UpsCommand = (typeof UPS_COMMANDS)[number];

/**
 * A variable a NUT client may SET (upsrw), as usbhid-ups publishes it: `STRING:<length>` with an optional ENUM or
 * RANGE. `field` is the HID field written, absent for driver-side settings (ups.delay.*).
 */
export interface WritableVariable {
  readonly name: string;
  readonly length: number;
  readonly enum?: readonly string[];
  readonly range?: { readonly min: number; readonly max: number };
  /**
   * Kept by the driver, never written to the device (usbhid-ups's HU_FLAG_ABSENT entries such as outlet.desc): a SET
   * changes only the value served.
   */
  readonly driverSide?: boolean;
}

export type CommandStep = { kind: 'write'; field: HidField; value: number } | { kind: 'wait'; ms: number };

export interface ReportRef {
  type: ReportType;
  reportId: number;
}

/** How to read "online and discharging" (NUT's onlinedischarge_* options); default 'online' is NUT's. */
export type OnlineDischarge = 'online' | 'onbattery' | 'calibration';

export interface ModelOptions {
  onlineDischarge?: OnlineDischarge;
}

export interface UpsModel {
  /** After the vendor's descriptor fixes. */
  readonly descriptor: ReportDescriptor;
  /** Quirk family, 'generic' when none. */
  readonly vendor: string;
  /** Reports holding status bits, charge, runtime, timers (re-read every 2 s). */
  readonly quickReports: readonly ReportRef[];
  /** Every feature report the mapping reads (full read every 30 s). */
  readonly fullReports: readonly ReportRef[];
  /** Supported by this device. */
  readonly commands: readonly UpsCommand[];
  fieldFor(variable: string): HidField | undefined;
  decode(reports: ReportSource, strings?: StringLookup): UpsReading;
  /** Variables a client may set on this device (NUT's RW), ups.delay.* included. */
  readonly writable: readonly WritableVariable[];
  /** The usbhid-ups subdriver this device would get, as NUT's driver.version.data names it. */
  readonly subdriver: string;
  /** The HID writes that set a device-backed writable variable; throws UPS_COMMAND_INVALID for a bad value. */
  planSet(name: string, value: string): CommandStep[];
  /** Delays in seconds; each write value is what writeValue() takes for that field. */
  planCommand(cmd: UpsCommand, opts?: { offDelay?: number; onDelay?: number }): CommandStep[];
}
