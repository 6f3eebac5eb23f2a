import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { HidParseError, HidReportError } from '../../../src/errors.js';
import { DESCRIPTOR_LIMITS, parseReportDescriptor } from '../../../src/ups/hid/descriptor-parser.js';
import { readValue } from '../../../src/ups/hid/report-codec.js';
import { createUpsModel } from '../../../src/ups/pdc/index.js';
import { DEVICES, descriptorBytes, type DeviceKey } from './fixtures.js';

const KEYS = Object.keys(DEVICES) as DeviceKey[];
const REAL = KEYS.map((k) => descriptorBytes(k));

/** The parser either returns a descriptor within its limits or throws the typed error; nothing else. */
function parseOrTypedError(bytes: Uint8Array): void {
  const started = performance.now();
  try {
    const d = parseReportDescriptor(bytes);
    for (const f of d.fields) {
      expect(f.offset + f.size).toBeLessThanOrEqual(DESCRIPTOR_LIMITS.maxReportBits);
      expect(f.size).toBeLessThanOrEqual(DESCRIPTOR_LIMITS.maxReportSizeBits);
    }
    expect(d.fields.length).toBeLessThanOrEqual(DESCRIPTOR_LIMITS.maxFieldSlots);
  } catch (err) {
    expect(err).toBeInstanceOf(HidParseError);
    const offset = (err as HidParseError).offset;
    expect(offset).toBeGreaterThanOrEqual(0);
    expect(offset).toBeLessThanOrEqual(bytes.length);
  }
  expect(performance.now() - started).toBeLessThan(500);
}

describe('hostile descriptors', () => {
  it('random bytes', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 600 }), (b) => {
        parseOrTypedError(b);
      }),
      { numRuns: 300 },
    );
  });

  it('truncated real descriptors', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: KEYS.length - 1 }), fc.nat(), (i, cut) => {
        const real = REAL[i] ?? new Uint8Array();
        parseOrTypedError(real.subarray(0, cut % (real.length + 1)));
      }),
      { numRuns: 200 },
    );
  });

  it('mutated real descriptors, and decoding them never crashes', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: KEYS.length - 1 }),
        fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 8 }),
        fc.uint8Array({ minLength: 0, maxLength: 12 }),
        (i, edits, reportBytes) => {
          const bytes = Uint8Array.from(REAL[i] ?? []);
          for (const [pos, v] of edits) bytes[pos % bytes.length] = v;
          parseOrTypedError(bytes);
          try {
            const m = createUpsModel(bytes, { vendorId: DEVICES[KEYS[i] ?? 'apc'].vendorId, productId: 1 });
            // Any report for any ID: decode must swallow bad reports, never throw.
            m.decode({ get: () => reportBytes });
          } catch (err) {
            expect(err).toBeInstanceOf(HidParseError);
          }
        },
      ),
      { numRuns: 150 },
    );
  });
});

describe('hostile reports', () => {
  const model = createUpsModel(descriptorBytes('eaton'), { vendorId: 0x0463, productId: 0xffff });
  it('short, long or wrong-ID reports give HidReportError or a value in range', () => {
    fc.assert(
      fc.property(fc.nat(model.descriptor.fields.length - 1), fc.uint8Array({ maxLength: 70 }), (i, report) => {
        const f = model.descriptor.fields[i];
        if (!f) return;
        try {
          const v = readValue(f, report);
          expect(Number.isFinite(v)).toBe(true);
        } catch (err) {
          expect(err).toBeInstanceOf(HidReportError);
        }
      }),
      { numRuns: 400 },
    );
  });
});
