import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { UpsguardError } from '../../../src/errors.js';
import { NisRequestReader, encodeRecord, encodeReply } from '../../../src/integrations/apcupsd/nis-codec.js';
import { nisStatus, nisStatusLines } from '../../../src/integrations/apcupsd/nis-status.js';
import type { UpsSnapshot } from '../../../src/ups/events.js';

const ID = { upsName: 'rack', hostname: 'h', version: 't', startedAt: 0 };

describe('apcupsd NIS framing', () => {
  test('requests split anywhere across chunks come out whole and in order', () => {
    fc.assert(
      fc.property(
        fc.array(fc.string({ maxLength: 40 }), { maxLength: 8 }),
        fc.array(fc.integer({ min: 1, max: 7 }), { minLength: 1, maxLength: 20 }),
        (requests, cuts) => {
          const bytes = Buffer.concat(requests.map((r) => encodeRecord(Buffer.from(r, 'latin1').toString('latin1'))));
          const reader = new NisRequestReader();
          const got: string[] = [];
          for (let at = 0, i = 0; at < bytes.length; i++) {
            const n = cuts[i % cuts.length]!;
            got.push(...reader.push(bytes.subarray(at, at + n)));
            at += n;
          }
          expect(got).toEqual(requests.map((r) => Buffer.from(Buffer.from(r, 'utf8')).toString('latin1')));
        },
      ),
    );
  });

  test('any bytes give requests or a typed NIS_PROTOCOL error, never anything else', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 600 }), (bytes) => {
        try {
          new NisRequestReader().push(Buffer.from(bytes));
        } catch (e) {
          expect(e).toBeInstanceOf(UpsguardError);
          expect((e as UpsguardError).code).toBe('NIS_PROTOCOL');
        }
      }),
    );
  });

  test('a reply is length-prefixed lines and an empty record', () => {
    expect([...encodeReply(['A'])]).toEqual([0, 2, 65, 10, 0, 0]);
  });
});

describe('apcupsd STATUS from a snapshot', () => {
  test('any variables give a well-formed report whose header counts its records and bytes', () => {
    fc.assert(
      fc.property(
        fc.dictionary(
          fc.constantFrom('ups.model', 'ups.serial', 'battery.charge', 'input.voltage', 'ups.firmware', 'x'),
          fc.string({ maxLength: 30, unit: 'binary' }),
        ),
        fc.subarray(['OL', 'OB', 'LB', 'CAL', 'TRIM', 'BOOST', 'OVER', 'RB', 'FSD', 'OFF']),
        (variables, status) => {
          const s: UpsSnapshot = { ups: 'rack', at: 1, variables, status, comms: 'ok', lastContactAt: 1 };
          const lines = nisStatusLines(s, ID, 1_700_000_000_000);
          const [, count, bytes] = /^APC {6}: 001,(\d{3}),(\d{4})$/.exec(lines[0]!) ?? [];
          expect(Number(count)).toBe(lines.length);
          expect(Number(bytes)).toBe(lines.reduce((n, l) => n + Buffer.byteLength(l) + 1, 0));
          expect(lines.at(-1)).toMatch(/^END APC {2}: /);
          for (const l of lines) {
            expect(l).toMatch(/^[A-Z ]{9}: /);
            expect(Array.from({ length: l.length }, (_, i) => l.charCodeAt(i)).some((c) => c < 0x20)).toBe(false);
          }
        },
      ),
    );
  });

  test('status words and flags as apcupsd prints them', () => {
    const snap = (status: string[], comms: UpsSnapshot['comms'] = 'ok'): UpsSnapshot => ({
      ups: 'r',
      at: 1,
      variables: {},
      status,
      comms,
      lastContactAt: 1,
    });
    expect(nisStatus(snap(['OL']))).toEqual({ text: 'ONLINE ', flags: 0x05000008 });
    expect(nisStatus(snap(['OB', 'DISCHRG', 'LB']))).toEqual({ text: 'ONBATT LOWBATT ', flags: 0x05000050 });
    expect(nisStatus(snap(['OL'], 'lost')).text).toBe('COMMLOST');
  });
});
