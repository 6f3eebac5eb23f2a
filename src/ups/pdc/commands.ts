/**
 * UPS commands as HID writes (reference §9): which ones a device supports, and the exact writes and waits.
 * Delays arrive in seconds; values are what writeValue() takes for the field (CyberPower's physical range
 * already scales minutes to seconds, so those stay seconds, rounded up to whole minutes).
 */
import { ErrorCode, UpsguardError } from '../../errors.js';
import type { ParsedReportDescriptor } from '../hid/report-descriptor.js';
import { isWritable, logicalToPhysical } from '../hid/report-codec.js';
import type { HidField } from '../hid/types.js';
import type { CommandContext, VendorProfile } from './quirks/profile.js';
import { UPS_COMMANDS, type CommandStep, type UpsCommand } from './types.js';
import {
  BEEPER_PATHS,
  REBOOT_DELAY_PATHS,
  SHUTDOWN_DELAY_PATHS,
  STARTUP_DELAY_PATHS,
  TEST_PATHS,
  TL_WATCHDOG_PATHS,
} from './variable-map.js';

/** NUT waits this long between the two delay writes: some Tripp Lite units drop commands that come too fast. */
export const COMMAND_GAP_MS = 125;
const AUTO_RESTART_PATH = 'UPS.PowerConverter.Input.[1].AutomaticRestart';
/** AudibleAlarmControl values; beeper.on/off are NUT's older names for enable/mute. */
const BEEPER_VALUES = {
  'beeper.disable': 1,
  'beeper.enable': 2,
  'beeper.mute': 3,
  'beeper.on': 2,
  'beeper.off': 3,
} as const;
/** The PDC Test usage: 1 quick, 2 deep (until low battery), 3 abort. */
const TEST_VALUES = { 'test.battery.start.quick': 1, 'test.battery.start.deep': 2, 'test.battery.stop': 3 } as const;
/** NUT's outlet.N is the HID collection Outlet.[N+1]; a 0 written to its delay switches it at once (mge-hid). */
const OUTLET_SWITCHES = {
  'outlet.1.load.off': 'UPS.OutletSystem.Outlet.[2].DelayBeforeShutdown',
  'outlet.1.load.on': 'UPS.OutletSystem.Outlet.[2].DelayBeforeStartup',
  'outlet.2.load.off': 'UPS.OutletSystem.Outlet.[3].DelayBeforeShutdown',
  'outlet.2.load.on': 'UPS.OutletSystem.Outlet.[3].DelayBeforeStartup',
} as const;
type OutletCommand = keyof typeof OUTLET_SWITCHES;
/** tripplite-hid's reset.watchdog: the seconds the watchdog is set back to. */
const WATCHDOG_RESET_S = 60;
/** usbhid-ups restarts the load this many seconds after shutdown.reboot cuts it. */
const REBOOT_DELAY_S = 10;

function writable(desc: ParsedReportDescriptor, paths: readonly string[]): HidField | undefined {
  for (const p of paths) {
    const f = desc.find(p, 'feature');
    if (f && isWritable(f)) return f;
  }
  return undefined;
}

export interface CommandFields {
  shutdown?: HidField;
  startup?: HidField;
  nativeReturn?: HidField;
  reboot?: HidField;
  test?: HidField;
  beeper?: HidField;
  autoRestart?: HidField;
  watchdog?: HidField;
  outlets: Partial<Record<OutletCommand, HidField>>;
}

export function commandFields(desc: ParsedReportDescriptor, profile: VendorProfile): CommandFields {
  return {
    shutdown: writable(desc, [...SHUTDOWN_DELAY_PATHS, ...(profile.delayPaths?.shutdown ?? [])]),
    startup: writable(desc, [...STARTUP_DELAY_PATHS, ...(profile.delayPaths?.startup ?? [])]),
    nativeReturn: writable(desc, profile.nativeReturnPaths ?? []),
    reboot: writable(desc, REBOOT_DELAY_PATHS),
    test: writable(desc, TEST_PATHS),
    beeper: writable(desc, BEEPER_PATHS),
    autoRestart: writable(desc, [AUTO_RESTART_PATH]),
    watchdog: profile.name === 'tripplite' ? writable(desc, TL_WATCHDOG_PATHS) : undefined,
    outlets: Object.fromEntries(
      Object.entries(OUTLET_SWITCHES).flatMap(([cmd, path]) => {
        const f = writable(desc, [path]);
        return f ? [[cmd, f]] : [];
      }),
    ),
  };
}

export function supportedCommands(fields: CommandFields, profile: VendorProfile, ctx: CommandContext): UpsCommand[] {
  if (profile.supportedCommands) return [...profile.supportedCommands(ctx)];
  const { shutdown, startup, test, beeper } = fields;
  const has: Record<UpsCommand, boolean> = {
    'shutdown.return': (shutdown !== undefined && startup !== undefined) || fields.nativeReturn !== undefined,
    'load.off.delay': shutdown !== undefined,
    'shutdown.stayoff': shutdown !== undefined && startup !== undefined,
    'shutdown.stop': shutdown !== undefined,
    'shutdown.reboot': fields.reboot !== undefined,
    'load.off': shutdown !== undefined,
    'load.on': startup !== undefined,
    'load.on.delay': startup !== undefined,
    'test.battery.start.quick': test !== undefined,
    'test.battery.start.deep': test !== undefined,
    'test.battery.stop': test !== undefined,
    'beeper.disable': beeper !== undefined,
    'beeper.enable': beeper !== undefined,
    'beeper.mute': beeper !== undefined,
    'beeper.on': beeper !== undefined,
    'beeper.off': beeper !== undefined,
    'reset.watchdog': fields.watchdog !== undefined,
    'outlet.1.load.off': fields.outlets['outlet.1.load.off'] !== undefined,
    'outlet.1.load.on': fields.outlets['outlet.1.load.on'] !== undefined,
    'outlet.2.load.off': fields.outlets['outlet.2.load.off'] !== undefined,
    'outlet.2.load.on': fields.outlets['outlet.2.load.on'] !== undefined,
  };
  return UPS_COMMANDS.filter((c) => has[c]);
}

function invalid(message: string, details: Record<string, unknown>): UpsguardError {
  return new UpsguardError(ErrorCode.UpsCommandInvalid, message, details);
}

function checkDelay(name: string, seconds: number): void {
  if (!Number.isFinite(seconds) || seconds < 0 || !Number.isInteger(seconds)) {
    throw invalid(`${name} must be a whole number of seconds >= 0, got ${seconds}`, { [name]: seconds });
  }
}

/** Seconds as the device takes them; minute-counting devices get whole minutes, rounded up so power stays on longer. */
export function deviceDelay(field: HidField, seconds: number, minutes: boolean): number {
  if (seconds < 0 || !minutes) return seconds;
  const wholeMinutes = Math.ceil(seconds / 60);
  const step = logicalToPhysical(field, field.logicalMin + 1) - logicalToPhysical(field, field.logicalMin);
  // CyberPower declares a ×60 physical range; then writeValue converts seconds itself.
  return Math.abs(step - 60) < 1e-6 ? wholeMinutes * 60 : wholeMinutes;
}

function effectiveSeconds(seconds: number, minutes: boolean): number {
  return minutes ? Math.ceil(seconds / 60) * 60 : seconds;
}

export function planGeneric(
  cmd: UpsCommand,
  fields: CommandFields,
  profile: VendorProfile,
  ctx: CommandContext,
): CommandStep[] {
  const unsupported = (): never => {
    throw new UpsguardError(ErrorCode.UpsCommandUnsupported, `${cmd} is not supported by this UPS`, {
      cmd,
      vendor: profile.name,
    });
  };
  const minutes = profile.delayMinutes === true;
  const write = (field: HidField, value: number): CommandStep => ({ kind: 'write', field, value });
  switch (cmd) {
    case 'shutdown.return': {
      checkDelay('offDelay', ctx.offDelay);
      checkDelay('onDelay', ctx.onDelay);
      const { shutdown, startup } = fields;
      if (!shutdown || !startup) {
        if (fields.nativeReturn) return [write(fields.nativeReturn, 1)];
        return unsupported();
      }
      const off = effectiveSeconds(ctx.offDelay, minutes);
      const on = effectiveSeconds(ctx.onDelay, minutes);
      // The load must be cut before it is due back on, or the UPS restores power to halted hosts.
      if (off >= on) {
        throw invalid(`offDelay (${off} s) must be lower than onDelay (${on} s)`, { offDelay: off, onDelay: on });
      }
      const steps: CommandStep[] = [];
      if (fields.autoRestart) steps.push(write(fields.autoRestart, 1));
      steps.push(write(startup, deviceDelay(startup, ctx.onDelay, minutes)));
      steps.push({ kind: 'wait', ms: COMMAND_GAP_MS });
      steps.push(write(shutdown, deviceDelay(shutdown, ctx.offDelay, minutes)));
      return steps;
    }
    case 'shutdown.stayoff': {
      checkDelay('offDelay', ctx.offDelay);
      const { shutdown, startup } = fields;
      if (!shutdown || !startup) return unsupported();
      const steps: CommandStep[] = [];
      if (fields.autoRestart) steps.push(write(fields.autoRestart, 0));
      steps.push(write(startup, -1));
      steps.push({ kind: 'wait', ms: COMMAND_GAP_MS });
      steps.push(write(shutdown, deviceDelay(shutdown, ctx.offDelay, minutes)));
      return steps;
    }
    case 'load.off.delay': {
      checkDelay('offDelay', ctx.offDelay);
      const f = fields.shutdown ?? unsupported();
      return [write(f, deviceDelay(f, ctx.offDelay, minutes))];
    }
    case 'shutdown.stop':
      return [write(fields.shutdown ?? unsupported(), -1)];
    case 'shutdown.reboot':
      return [write(fields.reboot ?? unsupported(), REBOOT_DELAY_S)];
    case 'load.off':
      return [write(fields.shutdown ?? unsupported(), 0)];
    case 'load.on':
      return [write(fields.startup ?? unsupported(), 0)];
    case 'load.on.delay': {
      checkDelay('onDelay', ctx.onDelay);
      const f = fields.startup ?? unsupported();
      return [write(f, deviceDelay(f, ctx.onDelay, minutes))];
    }
    case 'test.battery.start.quick':
    case 'test.battery.start.deep':
    case 'test.battery.stop':
      return [write(fields.test ?? unsupported(), TEST_VALUES[cmd])];
    case 'beeper.disable':
    case 'beeper.enable':
    case 'beeper.mute':
    case 'beeper.on':
    case 'beeper.off':
      return [write(fields.beeper ?? unsupported(), BEEPER_VALUES[cmd])];
    case 'reset.watchdog':
      return [write(fields.watchdog ?? unsupported(), WATCHDOG_RESET_S)];
    case 'outlet.1.load.off':
    case 'outlet.1.load.on':
    case 'outlet.2.load.off':
    case 'outlet.2.load.on':
      return [write(fields.outlets[cmd] ?? unsupported(), 0)];
  }
}
