/** Readers for the NUT fixtures (`test/fixtures/hid`, copied from ../shared/fixtures): descriptors, layouts, values, upsc output. */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ReportType } from '../../../src/ups/hid/types.js';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
export const fixturesDir = path.resolve(repoRoot, 'test/fixtures');
export const hidDir = path.join(fixturesDir, 'hid');

export const DEVICES = {
  apc: { file: 'apc-back-ups-cs-500', vendorId: 0x051d, productId: 0x0002 },
  cyberpower: { file: 'cyberpower-cp1500pfclcd', vendorId: 0x0764, productId: 0x0501 },
  eaton: { file: 'eaton-3s-700', vendorId: 0x0463, productId: 0xffff },
} as const;
export type DeviceKey = keyof typeof DEVICES;

export function hexToBytes(text: string): Uint8Array {
  const tokens = text
    .trim()
    .split(/\s+/)
    .filter((t) => t !== '');
  return Uint8Array.from(tokens.map((t) => Number.parseInt(t, 16)));
}

export function readText(device: DeviceKey, ext: string): string {
  return readFileSync(path.join(hidDir, `${DEVICES[device].file}.${ext}`), 'utf8');
}

export function descriptorBytes(device: DeviceKey): Uint8Array {
  return hexToBytes(readText(device, 'hex'));
}

export interface LayoutLine {
  path: string;
  type: ReportType;
  reportId: number;
  offset: number;
  size: number;
  logMin: number;
  logMax: number;
  phyMin: number | null;
  phyMax: number | null;
  unit: number;
  unitExp: number;
  attr: number;
}

const LAYOUT_RE =
  /^Path: (\S+), Type: (\w+), ReportID: 0x([0-9a-f]+), Offset: (\d+), Size: (\d+)\s+# LogMin=(-?\d+) LogMax=(-?\d+) PhyMin=(-?\d+|-) PhyMax=(-?\d+|-) Unit=0x([0-9a-f]+) UnitExp=(-?\d+) Attr=0x([0-9a-f]+)$/;

export function layout(device: DeviceKey): LayoutLine[] {
  const out: LayoutLine[] = [];
  for (const line of readText(device, 'layout.txt').split('\n')) {
    if (!line.startsWith('Path:')) continue;
    const m = LAYOUT_RE.exec(line.trim());
    if (!m) throw new Error(`unparsed layout line: ${line}`);
    const g = m.slice(1) as [string, ...string[]];
    const num = (s: string | undefined): number => Number(s);
    out.push({
      path: g[0],
      type: (g[1] ?? '').toLowerCase() as ReportType,
      reportId: Number.parseInt(g[2] ?? '', 16),
      offset: num(g[3]),
      size: num(g[4]),
      logMin: num(g[5]),
      logMax: num(g[6]),
      phyMin: g[7] === '-' ? null : num(g[7]),
      phyMax: g[8] === '-' ? null : num(g[8]),
      unit: Number.parseInt(g[9] ?? '', 16),
      unitExp: num(g[10]),
      attr: Number.parseInt(g[11] ?? '', 16),
    });
  }
  return out;
}

export interface ValueLine {
  path: string;
  type: ReportType;
  reportId: number;
  offset: number;
  size: number;
  /** As NUT printed it. */
  value: string;
  report: Uint8Array;
}

export function values(device: DeviceKey): ValueLine[] {
  const out: ValueLine[] = [];
  let report: Uint8Array | undefined;
  for (const raw of readText(device, 'values.txt').split('\n')) {
    const line = raw.replace(/\s+#.*$/, '').trim();
    const r = /^Report(?:\[\w+\])?: \(\d+ bytes\) => ([0-9a-f ]+)$/.exec(line);
    if (r?.[1] !== undefined) {
      report = hexToBytes(r[1]);
      continue;
    }
    const m = /^Path: (\S+), Type: (\w+), ReportID: 0x([0-9a-f]+), Offset: (\d+), Size: (\d+), Value: (\S+)$/.exec(
      line,
    );
    if (!m || !report) continue;
    out.push({
      path: m[1] ?? '',
      type: (m[2] ?? '').toLowerCase() as ReportType,
      reportId: Number.parseInt(m[3] ?? '', 16),
      offset: Number(m[4]),
      size: Number(m[5]),
      value: m[6] ?? '',
      report,
    });
  }
  return out;
}

/** `upsc` output as a map; only lines of the form `name: value`. */
export function upsc(device: DeviceKey): Map<string, string> {
  const out = new Map<string, string>();
  for (const line of readText(device, 'upsc.txt').split('\n')) {
    if (line.startsWith('#')) continue;
    const i = line.indexOf(': ');
    if (i > 0) out.set(line.slice(0, i), line.slice(i + 2));
  }
  return out;
}
