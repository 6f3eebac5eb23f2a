/** Descriptor parses and field decodes per second on the largest fixture (Eaton 3S, 926 bytes). */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseReportDescriptor } from '../src/ups/hid/descriptor-parser.js';
import { emptyReport, readValue } from '../src/ups/hid/report-codec.js';
import { MGE_USAGES } from '../src/ups/hid/vendor-usages.js';

const BUDGET_MS = 1500;

function fixtureBytes(): Uint8Array {
  // Works from bench/ (tsx) and dist/bench/ (built): walk up to the repo root that sits next to shared/.
  let dir = path.dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 4; i++) {
    const candidate = path.resolve(dir, '../shared/fixtures/hid/eaton-3s-700.hex');
    try {
      const text = readFileSync(candidate, 'utf8');
      return Uint8Array.from(
        text
          .trim()
          .split(/\s+/)
          .map((t) => Number.parseInt(t, 16)),
      );
    } catch {
      dir = path.dirname(dir);
    }
  }
  throw new Error('eaton-3s-700.hex fixture not found');
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
