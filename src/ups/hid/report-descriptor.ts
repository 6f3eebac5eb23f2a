/** The parsed descriptor object: fields plus per-(ID, type) report lengths and NUT-style path lookup. */
import { createHash } from 'node:crypto';
import type { HidField, ReportDescriptor, ReportType } from './types.js';
import { UsageNames } from './usage-tables.js';

/** A field as the parser produced it, with the numeric path NUT compares on. */
export interface ParsedField extends HidField {
  readonly nodes: readonly number[];
}

const TYPE_ORDER: readonly ReportType[] = ['feature', 'input', 'output'];

function reportKey(type: ReportType, reportId: number): string {
  return `${type}:${reportId}`;
}

export class ParsedReportDescriptor implements ReportDescriptor {
  readonly bytes: Uint8Array;
  readonly fields: readonly ParsedField[];
  readonly usesReportIds: boolean;
  readonly names: UsageNames;
  private readonly bitLengths: ReadonlyMap<string, number>;
  private cachedSha: string | undefined;
  private readonly byPath = new Map<string, ParsedField[]>();

  constructor(
    bytes: Uint8Array,
    fields: readonly ParsedField[],
    usesReportIds: boolean,
    bitLengths: ReadonlyMap<string, number>,
    names: UsageNames,
  ) {
    this.bytes = bytes;
    this.fields = fields;
    this.usesReportIds = usesReportIds;
    this.bitLengths = bitLengths;
    this.names = names;
    for (const f of fields) {
      const key = f.nodes.join('.');
      const list = this.byPath.get(key);
      if (list) list.push(f);
      else this.byPath.set(key, [f]);
    }
  }

  get sha256(): string {
    this.cachedSha ??= createHash('sha256').update(this.bytes).digest('hex');
    return this.cachedSha;
  }

  reportLength(type: ReportType, reportId: number): number {
    const bits = this.bitLengths.get(reportKey(type, reportId));
    if (bits === undefined) return 0;
    return (this.usesReportIds ? 1 : 0) + Math.ceil(bits / 8);
  }

  reportIds(type: ReportType): number[] {
    const ids: number[] = [];
    for (const key of this.bitLengths.keys()) {
      const [t, id] = key.split(':');
      if (t === type) ids.push(Number(id));
    }
    return ids.sort((a, b) => a - b);
  }

  find(path: string, type?: ReportType): ParsedField | undefined {
    const nodes = this.names.parsePath(path);
    if (!nodes || nodes.length === 0) return undefined;
    const list = this.byPath.get(nodes.join('.'));
    if (!list) return undefined;
    for (const t of type ? [type] : TYPE_ORDER) {
      const hit = list.find((f) => f.type === t);
      if (hit) return hit;
    }
    return undefined;
  }

  /** First field in a report carrying a usage: NUT's FindObject_with_ID_Node, which vendor fixes use. */
  findByIdAndUsage(reportId: number, usage: number, type: ReportType = 'feature'): ParsedField | undefined {
    return this.fields.find((f) => f.reportId === reportId && f.usage === usage >>> 0 && f.type === type);
  }

  /** A copy with some fields changed (vendor descriptor fixes); bytes and layout stay the same. */
  withFields(map: (field: ParsedField) => ParsedField): ParsedReportDescriptor {
    return new ParsedReportDescriptor(
      this.bytes,
      this.fields.map(map),
      this.usesReportIds,
      this.bitLengths,
      this.names,
    );
  }
}

export { reportKey };
