/**
 * Variables a NUT client may set on a HID UPS (upsrw), as usbhid-ups marks them RW in its mapping tables: a value of
 * up to ten characters written to the variable's Feature field. Only fields the descriptor declares writable (not
 * Constant) count, so a client is never offered a setting the device would ignore.
 */
import { ErrorCode, UpsguardError } from '../../errors.js';
import type { ParsedField } from '../hid/report-descriptor.js';
import { isWritable, logicalToPhysical, unitScaleExponent } from '../hid/report-codec.js';
import type { CommandStep, WritableVariable } from './types.js';

export interface WritableSpec {
  readonly name: string;
  /** usbhid-ups's STRING length for the variable. */
  readonly length: number;
  /** NUT's ENUM values, where its table has them. */
  readonly enum?: readonly string[];
  /** Words NUT takes for the field (its yes_no_info: `yes` → 1, `no` → 0); then no number, ENUM or RANGE applies. */
  readonly words?: Readonly<Record<string, number>>;
}

/**
 * A variable usbhid-ups publishes with a fixed text as soon as the descriptor has `path` (its HU_FLAG_ABSENT
 * entries, outlet.desc "Main Outlet"): RW, but kept by the driver and never sent to the device.
 */
export interface DriverSideSpec {
  readonly name: string;
  readonly path: string;
  readonly value: string;
  readonly length: number;
}

/** The RW entries common to usbhid-ups's subdrivers (apc-hid, cps-hid, mge-hid, tripplite-hid, …). */
export const GENERIC_WRITABLE: readonly WritableSpec[] = [
  { name: 'battery.charge.low', length: 10 },
  { name: 'battery.charge.warning', length: 10 },
  { name: 'battery.runtime.low', length: 10 },
  { name: 'input.transfer.low', length: 10 },
  { name: 'input.transfer.high', length: 10 },
];

/** Driver-side settings usbhid-ups keeps itself (the delays its shutdown commands use), RW STRING:10. */
export const DRIVER_SIDE_WRITABLE = ['ups.delay.shutdown', 'ups.delay.start'] as const;

export interface ResolvedWritable extends WritableVariable {
  readonly field?: ParsedField;
  /** What the field can hold at all; checked on every write, published as RANGE only when it says something. */
  readonly limits?: { readonly min: number; readonly max: number };
  readonly words?: Readonly<Record<string, number>>;
}

/**
 * A descriptor range that is just the field's bit capacity (0..255 in 8 bits, APC's 0..0xfffffe in 24) tells a
 * client nothing; one narrower than that (CyberPower's 78..88 V transfer point) is the device's real limit.
 */
function meaningful(f: ParsedField): boolean {
  const span = f.logicalMax - f.logicalMin + 1;
  return span < 2 ** f.size - 1;
}

const physical = (f: ParsedField, logical: number): number =>
  Math.round(logicalToPhysical(f, logical) * 10 ** unitScaleExponent(f) * 1000) / 1000;

/** Resolves each spec to the first writable Feature field the model reads that variable from. */
export function resolveWritable(
  specs: readonly WritableSpec[],
  fieldsOf: (name: string) => readonly (ParsedField | undefined)[],
): ResolvedWritable[] {
  const out: ResolvedWritable[] = [];
  for (const spec of specs) {
    if (out.some((w) => w.name === spec.name)) continue;
    const field = fieldsOf(spec.name).find((f) => f !== undefined && f.type === 'feature' && isWritable(f));
    if (!field) continue;
    const lo = physical(field, field.logicalMin);
    const hi = physical(field, field.logicalMax);
    const limits = { min: Math.min(lo, hi), max: Math.max(lo, hi) };
    out.push({
      name: spec.name,
      length: spec.length,
      field,
      limits,
      ...(spec.words
        ? { words: spec.words }
        : spec.enum
          ? { enum: spec.enum }
          : meaningful(field)
            ? { range: limits }
            : {}),
    });
  }
  return out;
}

function invalid(message: string, name: string): UpsguardError {
  return new UpsguardError(ErrorCode.UpsCommandInvalid, message, { variable: name });
}

/** The one write that sets `value`; a value outside the ENUM or RANGE, or not a number, is refused by name. */
export function planSet(writable: readonly ResolvedWritable[], name: string, value: string): CommandStep[] {
  const w = writable.find((v) => v.name === name);
  if (!w) throw invalid(`${name} is not a writable variable of this UPS`, name);
  if (!w.field) throw invalid(`${name} is a driver-side setting, not written to the device`, name);
  if (value.length > w.length) throw invalid(`${name}: value longer than ${w.length} characters`, name);
  if (w.words) {
    // Exact words only, as usbhid-ups compares them (strcmp): `YES` is refused.
    const word = Object.hasOwn(w.words, value) ? w.words[value] : undefined;
    if (word === undefined) throw invalid(`${name}: value is not one of ${Object.keys(w.words).join(', ')}`, name);
    if (w.limits && (word < w.limits.min || word > w.limits.max))
      throw invalid(`${name}: ${value} (${word}) is outside what the device field holds`, name);
    return [{ kind: 'write', field: w.field, value: word }];
  }
  if (w.enum && !w.enum.includes(value)) throw invalid(`${name}: value is not one of ${w.enum.join(', ')}`, name);
  const n = Number(value);
  if (value.trim() === '' || !Number.isFinite(n)) throw invalid(`${name}: value is not a number`, name);
  const limits = w.range ?? w.limits;
  if (limits && (n < limits.min || n > limits.max))
    throw invalid(`${name}: value outside ${limits.min}..${limits.max}`, name);
  return [{ kind: 'write', field: w.field, value: n }];
}
