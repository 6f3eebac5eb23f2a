/** What a vendor family adds to the generic Power Device Class model: data first, small functions where needed. */
import type { ParsedReportDescriptor } from '../../hid/report-descriptor.js';
import type { UsageNameTable } from '../../hid/usage-tables.js';
import type { StatusSpec } from '../status.js';
import type { CommandStep, DeviceInfo, StringLookup, UpsCommand } from '../types.js';
import type { VariableSpec } from '../variable-map.js';
import type { DriverSideSpec, WritableSpec } from '../writable.js';

export interface CommandContext {
  readonly descriptor: ParsedReportDescriptor;
  readonly offDelay: number;
  readonly onDelay: number;
}

export interface IdentityContext {
  readonly device: DeviceInfo;
  /** String-descriptor text behind an index field of the descriptor, when reports and strings are at hand. */
  readonly indexString: (path: string) => string | undefined;
}

export interface VendorProfile {
  readonly name: string;
  readonly matches: (device: DeviceInfo, descriptor: ParsedReportDescriptor) => boolean;
  readonly usageNames: UsageNameTable;
  /** Descriptor corrections (NUT's fix_report_desc), applied before anything reads a field. */
  readonly fixDescriptor?: (descriptor: ParsedReportDescriptor, device: DeviceInfo) => ParsedReportDescriptor;
  /** Vendor entries placed before the generic ones; a factory so stateful conversions live per model. */
  readonly variables?: () => readonly VariableSpec[];
  /** Extra boolean sources, processed after the generic ones. */
  readonly status?: readonly StatusSpec[];
  /** Default ups.delay.shutdown / ups.delay.start in seconds (NUT: 20/30, CyberPower 60/120). */
  readonly delays: { readonly off: number; readonly on: number };
  /** The device counts delays in whole minutes. */
  readonly delayMinutes?: boolean;
  /** Extra delay-field paths (APC Back-UPS ES keeps them in its own collection). */
  readonly delayPaths?: { readonly shutdown: readonly string[]; readonly startup: readonly string[] };
  /** Single-write shutdown.return used when the delay pair is missing (APC Back-UPS CS: write 1). */
  readonly nativeReturnPaths?: readonly string[];
  /** Fallback manufacturer name when the device gives none (NUT's format_mfr). */
  readonly defaultMfr?: string;
  /** ups.model and extra identity variables from the product string. */
  readonly identity?: (ctx: IdentityContext) => Record<string, string>;
  /** RW variables this family adds before the generic ones (NUT's ENUMs, say). */
  readonly writable?: readonly WritableSpec[];
  /** Fixed RW texts published when the descriptor has their path (usbhid-ups's server-side variables). */
  readonly driverSide?: readonly DriverSideSpec[];
  /** usbhid-ups's subdriver name and version (NUT 2.8.0), published as driver.version.data. */
  readonly subdriver?: string;
  /** A vendor-specific plan, or undefined to use the generic one. */
  readonly planCommand?: (cmd: UpsCommand, ctx: CommandContext) => CommandStep[] | undefined;
  readonly supportedCommands?: (ctx: CommandContext) => readonly UpsCommand[];
}

export type { StringLookup };
