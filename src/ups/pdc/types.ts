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

export type UpsCommand =
  | 'shutdown.return'
  | 'load.off.delay'
  | 'shutdown.stayoff'
  | 'shutdown.stop'
  | 'test.battery.start.quick'
  | 'beeper.disable'
  | 'beeper.enable'
  | 'beeper.mute';

export const UPS_COMMANDS: readonly UpsCommand[] = [
  'shutdown.return',
  'load.off.delay',
  'shutdown.stayoff',
  'shutdown.stop',
  'test.battery.start.quick',
  'beeper.disable',
  'beeper.enable',
  'beeper.mute',
];

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
  /** Delays in seconds; each write value is what writeValue() takes for that field. */
  planCommand(cmd: UpsCommand, opts?: { offDelay?: number; onDelay?: number }): CommandStep[];
}
