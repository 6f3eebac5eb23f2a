import fc from 'fast-check';
import cron from 'node-cron';
import { describe, expect, it } from 'vitest';
import { ErrorCode, UpsguardError } from '../../src/errors.js';
import { parseCron } from '../../src/schedule/cron-expression.js';

const at = (y: number, mo: number, d: number, h = 0, mi = 0, s = 0): Date => new Date(y, mo - 1, d, h, mi, s);

describe('cron expressions, matched on local time', () => {
  it('reads five fields as minute hour day month weekday, firing at second 0', () => {
    const e = parseCron('30 3 * * *');
    expect(e.matches(at(2026, 12, 1, 3, 30, 0))).toBe(true);
    expect(e.matches(at(2026, 12, 1, 3, 30, 1))).toBe(false);
    expect(e.matches(at(2026, 12, 1, 3, 31, 0))).toBe(false);
    expect(e.matches(at(2026, 12, 1, 4, 30, 0))).toBe(false);
  });

  it('takes steps, ranges, lists, names, Sunday as 0 or 7, and the nicknames', () => {
    expect(parseCron('*/10 * * * *').matches(at(2026, 12, 1, 5, 40))).toBe(true);
    expect(parseCron('*/10 * * * *').matches(at(2026, 12, 1, 5, 41))).toBe(false);
    // 2026-12-06 is a Sunday, 2026-12-07 a Monday.
    expect(parseCron('0 9 * * mon-fri').matches(at(2026, 12, 7, 9))).toBe(true);
    expect(parseCron('0 9 * * mon-fri').matches(at(2026, 12, 6, 9))).toBe(false);
    expect(parseCron('0 9 * * 7').matches(at(2026, 12, 6, 9))).toBe(true);
    expect(parseCron('0 9 * * 0').matches(at(2026, 12, 6, 9))).toBe(true);
    expect(parseCron('0 0 1,15 dec *').matches(at(2026, 12, 15))).toBe(true);
    expect(parseCron('0 0 1,15 dec *').matches(at(2026, 11, 15))).toBe(false);
    expect(parseCron('15-45/15 * * * * *').matches(at(2026, 1, 1, 0, 0, 30))).toBe(true);
    expect(parseCron('15-45/15 * * * * *').matches(at(2026, 1, 1, 0, 0, 50))).toBe(false);
    expect(parseCron('@daily').matches(at(2026, 3, 4))).toBe(true);
    expect(parseCron('@hourly').matches(at(2026, 3, 4, 7, 1))).toBe(false);
  });

  it('refuses what is wrong or not implemented with CONFIG_INVALID, naming the expression and the field', () => {
    const cases: [string, RegExp][] = [
      ['* * *', /has 3 fields/],
      ['61 * * * *', /minute 61 is outside 0-59/],
      ['0 25 * * *', /hour 25/],
      ['0 0 L * *', /day of month "L" is not a number/],
      ['0 0 * * 1#2', /day of week "1#2" is not a number/],
      ['*/0 * * * *', /step "0"/],
      ['0 0 10-5 * *', /runs backwards/],
      ['0 0 * foo *', /month "foo"/],
    ];
    for (const [source, why] of cases) {
      let caught: unknown;
      try {
        parseCron(source);
      } catch (e) {
        caught = e;
      }
      expect(caught, source).toBeInstanceOf(UpsguardError);
      expect((caught as UpsguardError).code).toBe(ErrorCode.ConfigInvalid);
      expect((caught as UpsguardError).message, source).toMatch(why);
      expect((caught as UpsguardError).message).toContain(JSON.stringify(source));
    }
  });

  it('never throws anything but its own error on any text', () => {
    // Found by this property once: names of Object.prototype must be refused like any other text.
    for (const s of ['__proto__', 'constructor', 'toString', '@__proto__']) {
      expect(() => parseCron(s), s).toThrow(UpsguardError);
    }
    fc.assert(
      fc.property(fc.string({ maxLength: 80 }), (s) => {
        try {
          parseCron(s).matches(new Date(0));
        } catch (e) {
          expect(e).toBeInstanceOf(UpsguardError);
        }
      }),
      { numRuns: 2000 },
    );
  });

  it('agrees with node-cron on the syntax both read, second by second', () => {
    const item = (min: number): fc.Arbitrary<string> =>
      fc.oneof(
        fc.constant('*'),
        fc.integer({ min, max: 5 }).map(String),
        fc.tuple(fc.integer({ min, max: 3 }), fc.integer({ min: 3, max: 6 })).map(([a, b]) => `${a}-${b}`),
        fc.integer({ min: 1, max: 4 }).map((s) => `*/${s}`),
      );
    const fieldOf = (max: number, min = 0): fc.Arbitrary<string> =>
      fc.oneof(
        fc.constant('*'),
        fc.integer({ min, max }).map(String),
        fc.integer({ min: 1, max: 20 }).map((s) => `*/${s}`),
        fc.array(item(min), { minLength: 1, maxLength: 3 }).map((xs) => xs.join(',')),
      );
    const expression = fc
      .tuple(fieldOf(59), fieldOf(59), fieldOf(23), fieldOf(28, 1), fieldOf(12, 1), fieldOf(6))
      .map((xs) => xs.join(' '));
    const moment = fc.date({ min: new Date(2020, 0, 1), max: new Date(2030, 0, 1), noInvalidDate: true });
    fc.assert(
      fc.property(expression, fc.array(moment, { minLength: 1, maxLength: 20 }), (source, dates) => {
        const ours = parseCron(source);
        const theirs = cron.createTask(source, () => undefined);
        try {
          for (const d of dates) {
            const second = new Date(Math.floor(d.getTime() / 1000) * 1000);
            expect(ours.matches(second), `${source} at ${second.toString()}`).toBe(theirs.match(second));
          }
        } finally {
          void theirs.destroy();
        }
      }),
      { numRuns: 300 },
    );
  });
});
