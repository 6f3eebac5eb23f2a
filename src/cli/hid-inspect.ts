/**
 * `upsguard hid inspect --descriptor FILE [--reports FILE] [--vid HEX --pid HEX] [--json]`: lay out a report
 * descriptor as NUT would, decode captured reports, and show the NUT variables. Exit 0 ok, 1 bad input, 2 bad args.
 */
import { describeReadFailure, FileTooLargeError, MAX_CONFIG_FILE_BYTES, readCappedFile } from '../config/read-file.js';
import { errorMessage, HidParseError } from '../errors.js';
import { readValue } from '../ups/hid/report-codec.js';
import type { HidField, ReportType } from '../ups/hid/types.js';
import { createUpsModel, type UpsModel } from '../ups/pdc/index.js';

export const HID_INSPECT_USAGE =
  'usage: upsguard hid inspect --descriptor FILE [--reports FILE] [--vid HEX --pid HEX] [--json]';

interface Args {
  descriptor: string;
  reports?: string;
  vid?: number;
  pid?: number;
  json: boolean;
}

class UsageError extends Error {}

/** Bad input in one of the command's files; printed as `upsguard: <file>: <reason>`. */
class InputError extends Error {
  constructor(
    readonly file: string,
    readonly reason: string,
  ) {
    super(`${file}: ${reason}`);
  }
}

/** An input file's text, read through the same size cap as config files (a descriptor is at most 64 KiB). */
function readInput(file: string): string {
  try {
    return readCappedFile(file, MAX_CONFIG_FILE_BYTES).toString('utf8');
  } catch (e) {
    if (e instanceof FileTooLargeError)
      throw new InputError(file, `larger than the ${MAX_CONFIG_FILE_BYTES} byte (1 MiB) cap`);
    throw new InputError(file, `cannot read: ${describeReadFailure(e)}`);
  }
}

/** Runs `parse` on a file's text; its errors become the file's. */
function fromFile<T>(file: string, parse: (text: string) => T): T {
  const text = readInput(file);
  try {
    return parse(text);
  } catch (e) {
    if (e instanceof HidParseError) throw new InputError(file, `malformed report descriptor: ${e.message}`);
    throw new InputError(file, errorMessage(e));
  }
}

function parseHexId(name: string, text: string | undefined): number {
  if (text === undefined || !/^(0x)?[0-9a-fA-F]{1,4}$/.test(text))
    throw new UsageError(`${name} needs a 1-4 digit hex id`);
  return Number.parseInt(text.replace(/^0x/, ''), 16);
}

function parseArgs(argv: readonly string[]): Args {
  const args = argv[0] === 'inspect' ? argv.slice(1) : argv;
  let descriptor: string | undefined;
  let reports: string | undefined;
  let vid: number | undefined;
  let pid: number | undefined;
  let json = false;
  for (let i = 0; i < args.length; i++) {
    const a = args[i];
    const value = (): string => {
      const v = args[++i];
      if (v === undefined || v.startsWith('--')) throw new UsageError(`${a ?? ''} needs a value`);
      return v;
    };
    switch (a) {
      case '--descriptor':
        descriptor = value();
        break;
      case '--reports':
        reports = value();
        break;
      case '--vid':
        vid = parseHexId('--vid', value());
        break;
      case '--pid':
        pid = parseHexId('--pid', value());
        break;
      case '--json':
        json = true;
        break;
      case undefined:
      default:
        throw new UsageError(`unknown argument ${a ?? ''}`);
    }
  }
  if (descriptor === undefined) throw new UsageError('--descriptor is required');
  if ((vid === undefined) !== (pid === undefined)) throw new UsageError('--vid and --pid go together');
  return {
    descriptor,
    json,
    ...(reports !== undefined ? { reports } : {}),
    ...(vid !== undefined && pid !== undefined ? { vid, pid } : {}),
  };
}

/** Hex bytes separated by white space; a bad token is reported by its position (`what` prefixes the message). */
export function parseHexBytes(text: string, what?: string): Uint8Array {
  const tokens = text.split(/\s+/).filter((t) => t !== '');
  return Uint8Array.from(
    tokens.map((t, i) => {
      if (!/^(0x)?[0-9a-fA-F]{1,2}$/.test(t)) {
        throw new Error(`${what === undefined ? '' : `${what}: `}token ${i} "${t}" is not a hex byte`);
      }
      return Number.parseInt(t.replace(/^0x/, ''), 16);
    }),
  );
}

/** `feature HEX..` / `input HEX..` lines; blank and # lines ignored; a later report with the same ID and type wins. */
export function parseReportsFile(text: string, usesReportIds: boolean): Map<string, Uint8Array> {
  const reports = new Map<string, Uint8Array>();
  text.split('\n').forEach((raw, index) => {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) return;
    const m = /^(feature|input|output)\s+(.+)$/.exec(line);
    if (!m?.[1] || m[2] === undefined) throw new Error(`line ${index + 1}: expected "feature|input HEXBYTES"`);
    const bytes = parseHexBytes(m[2], `line ${index + 1}`);
    const id = bytes[0];
    if (id === undefined) throw new Error(`line ${index + 1}: no bytes`);
    reports.set(`${m[1]}:${usesReportIds ? id : 0}`, usesReportIds ? bytes : bytes.slice(1));
  });
  return reports;
}

interface Row {
  field: HidField;
  value: number | undefined;
}

function rows(model: UpsModel, reports: ReadonlyMap<string, Uint8Array>): Row[] {
  return model.descriptor.fields.map((field) => {
    const report = reports.get(`${field.type}:${field.reportId}`);
    let value: number | undefined;
    if (report) {
      try {
        value = readValue(field, report);
      } catch {
        value = undefined;
      }
    }
    return { field, value };
  });
}

function table(list: readonly Row[]): string[] {
  const header = [
    'PATH',
    'TYPE',
    'ID',
    'OFFSET',
    'SIZE',
    'LOGMIN',
    'LOGMAX',
    'PHYMIN',
    'PHYMAX',
    'UNIT',
    'EXP',
    'VALUE',
  ];
  const cells = list.map(({ field: f, value }) => [
    f.path,
    f.type,
    `0x${f.reportId.toString(16).padStart(2, '0')}`,
    String(f.offset),
    String(f.size),
    String(f.logicalMin),
    String(f.logicalMax),
    f.physicalMin === null ? '-' : String(f.physicalMin),
    f.physicalMax === null ? '-' : String(f.physicalMax),
    `0x${f.unit.toString(16)}`,
    String(f.unitExponent),
    value === undefined ? '' : String(value),
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...cells.map((c) => (c[i] ?? '').length)));
  return [header, ...cells].map((c) =>
    c
      .map((cell, i) => cell.padEnd(widths[i] ?? 0))
      .join('  ')
      .trimEnd(),
  );
}

// eslint-disable-next-line @typescript-eslint/require-await -- the command interface is async; reading is synchronous and capped
export async function runHidInspect(
  args: string[],
  out: (line: string) => void,
  err: (line: string) => void,
): Promise<number> {
  let parsed: Args;
  try {
    parsed = parseArgs(args);
  } catch (e) {
    err(errorMessage(e));
    err(HID_INSPECT_USAGE);
    return 2;
  }
  try {
    const { bytes, model } = fromFile(parsed.descriptor, (text) => {
      const b = parseHexBytes(text);
      return { bytes: b, model: createUpsModel(b, { vendorId: parsed.vid ?? 0, productId: parsed.pid ?? 0 }) };
    });
    const reportsFile = parsed.reports;
    const reports =
      reportsFile === undefined
        ? new Map<string, Uint8Array>()
        : fromFile(reportsFile, (text) => parseReportsFile(text, model.descriptor.usesReportIds));
    const { variables } = model.decode({ get: (t: ReportType, id: number) => reports.get(`${t}:${id}`) });
    const list = rows(model, reports);
    if (parsed.json) {
      const fields = list.map(({ field: f, value }) => ({
        path: f.path,
        type: f.type,
        reportId: f.reportId,
        offset: f.offset,
        size: f.size,
        logicalMin: f.logicalMin,
        logicalMax: f.logicalMax,
        physicalMin: f.physicalMin,
        physicalMax: f.physicalMax,
        unit: f.unit,
        unitExponent: f.unitExponent,
        ...(value === undefined ? {} : { value }),
      }));
      out(JSON.stringify({ fields, variables }));
      return 0;
    }
    out(
      `descriptor: ${bytes.length} bytes, ${list.length} fields, vendor ${model.vendor}, sha256 ${model.descriptor.sha256}`,
    );
    for (const line of table(list)) out(line);
    out('');
    out('variables:');
    for (const name of Object.keys(variables).sort()) out(`  ${name}: ${variables[name] ?? ''}`);
    return 0;
  } catch (e) {
    err(`upsguard: ${errorMessage(e)}`);
    return 1;
  }
}
