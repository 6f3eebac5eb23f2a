import type { UpsSnapshot } from '../events.js';
import type { UpsCommand } from '../pdc/index.js';
import { COMMAND_DESCRIPTIONS, VARIABLE_DESCRIPTIONS } from './descriptions.js';
import type { NutErrorCode } from './protocol.js';

/** A UPS the server publishes: what the monitor knows of it, and the one way to send it a command. */
export interface NutServedUps {
  readonly name: string;
  readonly description?: string | undefined;
  snapshot(): UpsSnapshot;
  supportedCommands(): readonly UpsCommand[];
  command(cmd: UpsCommand, opts: { offDelay?: number; onDelay?: number }): Promise<void>;
}

/** Driver-side delays the user may set with upsrw, as usbhid-ups publishes them (RW, STRING:10). */
export const RW_DELAYS = ['ups.delay.shutdown', 'ups.delay.start'] as const;
const RW_LENGTH = 10;

export function describeVariable(name: string): string {
  // upsd looks indexed names (outlet.1.status) up without their index (outlet.status).
  return (
    VARIABLE_DESCRIPTIONS[name] ?? VARIABLE_DESCRIPTIONS[name.replace(/\.\d+\./, '.')] ?? 'Description unavailable'
  );
}

export function describeCommand(name: string): string {
  return COMMAND_DESCRIPTIONS[name] ?? 'Description unavailable';
}

/** NUT's answer while the data cannot be served: never a guess at the UPS's state. */
export function availability(s: UpsSnapshot): NutErrorCode | null {
  if (s.comms === 'lost') return 'DATA-STALE';
  if (s.lastContactAt === 0 || s.comms === 'unknown') return 'DRIVER-NOT-CONNECTED';
  return null;
}

/**
 * The variables of one UPS as upsd would list them: the monitor's reading, ups.status with the FSD latch in front,
 * and any delay set over the protocol in place of the device's.
 */
export function variablesOf(
  s: UpsSnapshot,
  fsd: boolean,
  delays: Readonly<Record<string, string>>,
): Map<string, string> {
  const vars: Record<string, string> = { ...s.variables };
  const status = s.status.join(' ');
  if (status !== '') vars['ups.status'] = status;
  if (fsd) vars['ups.status'] = vars['ups.status'] ? `FSD ${vars['ups.status']}` : 'FSD';
  for (const [k, v] of Object.entries(delays)) if (k in vars) vars[k] = v;
  return new Map(
    Object.keys(vars)
      .sort()
      .map((k) => [k, vars[k]!]),
  );
}

export function isWritable(name: string, vars: ReadonlyMap<string, string>): boolean {
  return (RW_DELAYS as readonly string[]).includes(name) && vars.has(name);
}

export function typeOf(name: string, vars: ReadonlyMap<string, string>): string {
  if (isWritable(name, vars)) return `RW STRING:${RW_LENGTH}`;
  const value = vars.get(name) ?? '';
  return /^-?\d+(\.\d+)?$/.test(value) ? 'NUMBER' : `STRING:${Math.max(32, value.length)}`;
}

/** Validates a SET VAR value for a writable delay: NUT's TOO-LONG, then INVALID-VALUE. */
export function checkDelayValue(value: string): NutErrorCode | null {
  if (value.length > RW_LENGTH) return 'TOO-LONG';
  if (!/^\d+$/.test(value) || Number(value) > 86_400) return 'INVALID-VALUE';
  return null;
}
