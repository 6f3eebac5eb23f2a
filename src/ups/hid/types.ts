/** Shared shapes of the HID layer: what a parsed report descriptor exposes to the rest of upsguard. */

export type ReportType = 'input' | 'output' | 'feature';

export interface HidField {
  /** NUT-style usage path, e.g. 'UPS.PowerSummary.RemainingCapacity'; unknown usages as 8 lowercase hex digits. */
  readonly path: string;
  /** page << 16 | id of the field's own usage. */
  readonly usage: number;
  readonly type: ReportType;
  /** 0 when the descriptor has no report IDs. */
  readonly reportId: number;
  /** Bit offset after the report-ID byte. */
  readonly offset: number;
  /** Bits. */
  readonly size: number;
  readonly logicalMin: number;
  readonly logicalMax: number;
  readonly physicalMin: number | null;
  readonly physicalMax: number | null;
  readonly unit: number;
  readonly unitExponent: number;
  /** Main-item data flags (bit0 constant, bit1 variable, ...). */
  readonly flags: number;
  /**
   * True when LogMax was re-read as unsigned because the signed reading fell below LogMin (NUT's fix for
   * firmware that writes 255 as `25 ff`). Vendor fixes key off it, so it travels with the field.
   */
  readonly logicalMaxAssumed?: boolean;
}

export interface ReportDescriptor {
  readonly bytes: Uint8Array;
  /** Descriptor order, padding/usage-0 excluded, as NUT lists them. */
  readonly fields: readonly HidField[];
  readonly usesReportIds: boolean;
  /** Hex SHA-256 of bytes (device identity check). */
  readonly sha256: string;
  /** Bytes on the wire including the ID byte; 0 if no such report. */
  reportLength(type: ReportType, reportId: number): number;
  reportIds(type: ReportType): number[];
  /** Case-insensitive path lookup, like NUT; without a type, Feature wins over Input over Output. */
  find(path: string, type?: ReportType): HidField | undefined;
}

/** Main-item flag bits (HID 1.11 §6.2.2.5). */
export const FieldFlag = {
  Constant: 0x01,
  Variable: 0x02,
  Relative: 0x04,
  Wrap: 0x08,
  NonLinear: 0x10,
  NoPreferred: 0x20,
  NullState: 0x40,
  Volatile: 0x80,
  BufferedBytes: 0x100,
} as const;

export const REPORT_TYPES: readonly ReportType[] = ['input', 'output', 'feature'];
