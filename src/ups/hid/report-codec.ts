/**
 * Bits to numbers and back, as NUT does it: GetValue's sign/mask/clamp, logical to physical, then the unit
 * exponent with NUT's base-7 rule for volts and watts/VA. Reports start with the ID byte when the descriptor
 * uses report IDs (the hidraw convention); a report that is too short is a typed error, never a crash.
 */
import { ErrorCode, HidReportError, UpsguardError } from '../../errors.js';
import { FieldFlag, type HidField, type ReportDescriptor, type ReportType } from './types.js';

/** NUT's unit table: units whose descriptors declare the exponent relative to g·cm² (volt, VA, W) get base 7. */
const UNIT_BASE_EXPONENT: ReadonlyMap<number, number> = new Map([
  [0x00000000, 0], // none / percent
  [0x00f0d121, 7], // volt
  [0x00100001, 0], // ampere
  [0x0000d121, 7], // VA and watt
  [0x00001001, 0], // second
  [0x00010001, 0], // kelvin
  [0x0000f001, 0], // hertz
  [0x00101001, 0], // ampere-second
]);

export function unitBaseExponent(unit: number): number {
  return UNIT_BASE_EXPONENT.get(unit >>> 0) ?? 0;
}

/** Power of ten applied to the physical value: UnitExp minus the unit's base. */
export function unitScaleExponent(field: HidField): number {
  return field.unitExponent - unitBaseExponent(field.unit);
}

function scaleBy10(x: number, exp: number): number {
  // Dividing by 10^n (not multiplying by 10^-n) keeps 1358 × 10^-2 at exactly 13.58.
  return exp >= 0 ? x * 10 ** exp : x / 10 ** -exp;
}

function idBytes(field: HidField): number {
  return field.reportId === 0 ? 0 : 1;
}

function checkReport(field: HidField, report: Uint8Array): void {
  const need = idBytes(field) + Math.ceil((field.offset + field.size) / 8);
  if (report.length < need) {
    throw new HidReportError(
      `report ${field.reportId} (${field.type}) has ${report.length} bytes; ${field.path} needs ${need}`,
      { reportId: field.reportId, type: field.type, path: field.path, needed: need, got: report.length },
    );
  }
  if (field.reportId !== 0 && report[0] !== field.reportId) {
    throw new HidReportError(`report starts with ID ${report[0] ?? -1}, expected ${field.reportId} for ${field.path}`, {
      reportId: field.reportId,
      got: report[0],
      path: field.path,
    });
  }
}

/** The field's bits as an unsigned integer (LSB first within bytes, bytes little-endian). */
function extractRaw(field: HidField, report: Uint8Array): number | bigint {
  const base = idBytes(field) * 8 + field.offset;
  if (field.size <= 32) {
    let v = 0;
    let bit = base;
    let weight = 1;
    for (let i = 0; i < field.size; i++, bit++, weight *= 2) {
      if (((report[bit >> 3] ?? 0) >> (bit & 7)) & 1) v += weight;
    }
    return v;
  }
  let v = 0n;
  let bit = base;
  for (let i = 0; i < field.size; i++, bit++) {
    if (((report[bit >> 3] ?? 0) >> (bit & 7)) & 1) v |= 1n << BigInt(i);
  }
  return v;
}

/** Bit length of x (NUT's hibit): 1 + index of the highest set bit, 0 for 0. */
function hibit(x: number): number {
  let r = 0;
  let v = x;
  while (v >= 1) {
    v = Math.floor(v / 2);
    r++;
  }
  return r;
}

/** NUT GetValue: keep the bits below the sign bit (plus the sign bit when LogMin < 0), sign-extend, clamp. */
export function maskLogical(field: HidField, raw: number | bigint): number {
  const { logicalMin: min, logicalMax: max } = field;
  const magMax = max >= 0 ? max : -(max + 1);
  const magMin = min >= 0 ? min : -(min + 1);
  const signBitPos = hibit(Math.max(magMax, magMin));
  const keepBits = signBitPos + (min < 0 ? 1 : 0);
  let value =
    typeof raw === 'number' && keepBits <= 52 ? raw % 2 ** keepBits : Number(BigInt(raw) % 2n ** BigInt(keepBits));
  if (min < 0 && value >= 2 ** signBitPos) value -= 2 ** keepBits;
  if (value < min) value = min;
  else if (value > max) value = max;
  return value;
}

export function readLogical(field: HidField, report: Uint8Array): number {
  checkReport(field, report);
  return maskLogical(field, extractRaw(field, report));
}

function hasPhysicalRange(field: HidField): boolean {
  const { physicalMin: pmin, physicalMax: pmax } = field;
  if (pmin === null || pmax === null || (pmin === 0 && pmax === 0)) return false;
  // NUT's "paranoia" rule: an inverted range means the descriptor is wrong, so use the logical value.
  return pmax > pmin && field.logicalMax > field.logicalMin;
}

export function logicalToPhysical(field: HidField, logical: number): number {
  if (!hasPhysicalRange(field)) return logical;
  const pmin = field.physicalMin ?? 0;
  const pmax = field.physicalMax ?? 0;
  const factor = (pmax - pmin) / (field.logicalMax - field.logicalMin);
  const physical = (logical - field.logicalMin) * factor + pmin;
  return Math.min(pmax, Math.max(pmin, physical));
}

function truncateNearInteger(x: number): number {
  const r = Math.round(x);
  return Math.abs(x - r) < 1e-9 ? r : Math.trunc(x);
}

export function physicalToLogical(field: HidField, physical: number): number {
  let logical: number;
  if (!hasPhysicalRange(field)) {
    logical = truncateNearInteger(physical);
  } else {
    const pmin = field.physicalMin ?? 0;
    const pmax = field.physicalMax ?? 0;
    const factor = (field.logicalMax - field.logicalMin) / (pmax - pmin);
    logical = truncateNearInteger((physical - pmin) * factor) + field.logicalMin;
  }
  return Math.min(field.logicalMax, Math.max(field.logicalMin, logical));
}

/** Physical value after units (what NUT's HIDGetDataValue returns). */
export function readValue(field: HidField, report: Uint8Array): number {
  return scaleBy10(logicalToPhysical(field, readLogical(field, report)), unitScaleExponent(field));
}

export function isWritable(field: HidField): boolean {
  return (field.flags & FieldFlag.Constant) === 0;
}

/**
 * Encode a physical value into the report without the writability check: for caches and simulators that
 * mirror what a device holds in read-only (Constant) fields. Devices are written through writeValue.
 */
export function setValue(field: HidField, report: Uint8Array, value: number): void {
  if (!Number.isFinite(value)) {
    throw new HidReportError(`cannot encode ${value} into ${field.path}`, { path: field.path });
  }
  checkReport(field, report);
  const logical = physicalToLogical(field, scaleBy10(value, -unitScaleExponent(field)));
  let bits = BigInt.asUintN(field.size, BigInt(logical));
  let bit = idBytes(field) * 8 + field.offset;
  for (let i = 0; i < field.size; i++, bit++, bits >>= 1n) {
    const byte = bit >> 3;
    const mask = 1 << (bit & 7);
    const current = report[byte] ?? 0;
    report[byte] = (bits & 1n) === 1n ? current | mask : current & ~mask;
  }
}

/** In-place inverse of readValue; the other fields of the report are left as they were. Constant fields refuse. */
export function writeValue(field: HidField, report: Uint8Array, value: number): void {
  if (!isWritable(field)) {
    throw new UpsguardError(ErrorCode.HidFieldNotWritable, `${field.path} is a constant field and cannot be written`, {
      path: field.path,
      reportId: field.reportId,
    });
  }
  setValue(field, report, value);
}

/** A zeroed report of the right length with its ID byte set; unknown reports are a typed error. */
export function emptyReport(descriptor: ReportDescriptor, type: ReportType, reportId: number): Uint8Array {
  const length = descriptor.reportLength(type, reportId);
  if (length === 0) {
    throw new HidReportError(`the descriptor has no ${type} report ${reportId}`, { type, reportId });
  }
  const report = new Uint8Array(length);
  if (descriptor.usesReportIds) report[0] = reportId;
  return report;
}
