/** Descriptor parses and field decodes per second on the largest fixture (Eaton 3S, 926 bytes). */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseReportDescriptor } from '../src/ups/hid/descriptor-parser.js';
import { emptyReport, readValue } from '../src/ups/hid/report-codec.js';
import { MGE_USAGES } from '../src/ups/hid/vendor-usages.js';

const BUDGET_MS = 1500;

function fixtureBytes(): Uint8Array {
  const file = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../test/fixtures/hid/eaton-3s-700.hex');
  return Uint8Array.from(
    readFileSync(file, 'utf8')
      .trim()
      .split(/\s+/)
      .map((t) => Number.parseInt(t, 16)),
  );
}

function perSecond(work: () => number): number {
  let count = 0;
  const start = performance.now();
  let elapsed = 0;
  while (elapsed < BUDGET_MS) {
    count += work();
    elapsed = performance.now() - start;
  }
  return Math.round((count * 1000) / elapsed);
}

export async function run(): Promise<Record<string, number>> {
  const bytes = fixtureBytes();
  const parsesPerSecond = perSecond(() => {
    parseReportDescriptor(bytes, { usageNames: MGE_USAGES });
    return 1;
  });
  const desc = parseReportDescriptor(bytes, { usageNames: MGE_USAGES });
  const reports = new Map<string, Uint8Array>();
  for (const f of desc.fields) {
    const key = `${f.type}:${f.reportId}`;
    if (!reports.has(key)) {
      const r = emptyReport(desc, f.type, f.reportId);
      r.fill(0x5a, desc.usesReportIds ? 1 : 0);
      reports.set(key, r);
    }
  }
  const pairs = desc.fields.map((f) => [f, reports.get(`${f.type}:${f.reportId}`) ?? new Uint8Array()] as const);
  let sink = 0;
  const valuesPerSecond = perSecond(() => {
    for (const [f, r] of pairs) sink += readValue(f, r);
    return pairs.length;
  });
  return Promise.resolve({
    descriptorBytes: bytes.length,
    descriptorParsesPerSecond: parsesPerSecond,
    fieldValuesDecodedPerSecond: valuesPerSecond,
    checksum: sink > 0 ? 1 : 0,
  });
}
