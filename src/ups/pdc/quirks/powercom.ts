/**
 * PowerCOM (0d9f): delays in their own encodings. Start delay: minutes, byte-swapped in a 16-bit word.
 * Shutdown delay: low byte minutes, high byte seconds, plus 0x4000 "restart when AC returns" or 0x8000 "stay off".
 */
import { ErrorCode, UpsguardError } from '../../../errors.js';
import { POWERCOM_USAGES } from '../../hid/vendor-usages.js';
import type { CommandStep, UpsCommand } from '../types.js';
import type { VariableSpec } from '../variable-map.js';
import type { CommandContext, VendorProfile } from './profile.js';

export function powercomStartupSeconds(raw: number): number {
  const i = raw & 0xffff;
  return 60 * (((i & 0xff) << 8) + (i >> 8));
}

export function powercomShutdownSeconds(raw: number): number {
  const i = raw & 0xffff;
  return 60 * (i & 0xff) + (i >> 8);
}

/** NUT powercom_shutdown_nuf / powercom_stayoff_nuf; a zero delay would mean "maximum", so it becomes 1 s. */
export function powercomShutdownCommand(seconds: number, restart: boolean): number {
  const s = Math.max(1, Math.trunc(seconds)) & 0xffff;
  return ((((s % 60) << 8) + Math.trunc(s / 60)) | (restart ? 0x4000 : 0x8000)) & 0xffff;
}

const SHUTDOWN_PATHS = ['UPS.PowerSummary.DelayBeforeShutdown', 'UPS.PowerSummary.PCMDelayBeforeShutdown'];

function shutdownField(ctx: CommandContext): ReturnType<CommandContext['descriptor']['find']> {
  for (const p of SHUTDOWN_PATHS) {
    const f = ctx.descriptor.find(p, 'feature');
    if (f) return f;
  }
  return undefined;
}

const variables = (): VariableSpec[] => [
  {
    name: 'ups.timer.start',
    path: 'UPS.PowerSummary.DelayBeforeStartup',
    format: (v) => String(powercomStartupSeconds(v)),
    raw: true,
  },
  ...SHUTDOWN_PATHS.map((path): VariableSpec => ({
    name: 'ups.timer.shutdown',
    path,
    format: (v) => String(powercomShutdownSeconds(v)),
    quick: true,
    raw: true,
  })),
  {
    name: 'ups.beeper.status',
    path: 'UPS.PowerSummary.AudibleAlarmControl',
    format: (v) => BEEPER[Math.trunc(v)],
    raw: true,
  },
];

const BEEPER: Readonly<Record<number, string>> = { 1: 'enabled', 2: 'disabled' };

export const powercomProfile: VendorProfile = {
  name: 'powercom',
  subdriver: 'PowerCOM HID 0.7',
  matches: (d) => d.vendorId === 0x0d9f,
  usageNames: POWERCOM_USAGES,
  variables,
  delays: { off: 20, on: 60 },
  defaultMfr: 'PowerCOM',
  supportedCommands: (ctx) => {
    const cmds: UpsCommand[] = [];
    if (shutdownField(ctx)) cmds.push('shutdown.return', 'shutdown.stayoff');
    if (ctx.descriptor.find('UPS.Battery.Test', 'feature')) cmds.push('test.battery.start.quick');
    if (ctx.descriptor.find('UPS.PowerSummary.AudibleAlarmControl', 'feature'))
      cmds.push('beeper.enable', 'beeper.disable');
    return cmds;
  },
  planCommand: (cmd, ctx): CommandStep[] | undefined => {
    const unsupported = (): never => {
      throw new UpsguardError(ErrorCode.UpsCommandUnsupported, `${cmd} is not supported by this PowerCOM unit`, {
        cmd,
      });
    };
    switch (cmd) {
      case 'shutdown.return':
      case 'shutdown.stayoff': {
        const field = shutdownField(ctx) ?? unsupported();
        return [{ kind: 'write', field, value: powercomShutdownCommand(ctx.offDelay, cmd === 'shutdown.return') }];
      }
      case 'beeper.enable':
      case 'beeper.disable': {
        const field = ctx.descriptor.find('UPS.PowerSummary.AudibleAlarmControl', 'feature') ?? unsupported();
        return [{ kind: 'write', field, value: cmd === 'beeper.enable' ? 1 : 0 }];
      }
      case 'test.battery.start.quick':
        return undefined;
      default:
        // The delay registers of the generic plans are not this family's.
        return unsupported();
    }
  },
};
