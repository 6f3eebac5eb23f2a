import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  checkBar,
  mainsSince,
  numberOf,
  returnConditions,
  waitingFor,
} from '../../../src/shutdown/restore/return-conditions.js';

const cfg = { mains_steady_s: 60, first_tier: { charge_pct: 20 }, other_tiers: { charge_pct: 50, runtime_s: 600 } };

describe('return conditions', () => {
  it('mains must be present for the whole steady time, and a drop starts it again', () => {
    let since = mainsSince(null, true, 1000);
    expect(since).toBe(1000);
    since = mainsSince(since, true, 30_000);
    expect(since).toBe(1000);
    const at = (now: number, online = true) =>
      returnConditions(cfg, { mainsOnline: online, mainsSince: since, now, battery: { chargePct: 80, runtimeS: 900 } });
    expect(at(60_000).ready).toBe(false);
    expect(waitingFor(at(60_000), 'first')).toBe('mains present for 59 s of the 60 s required');
    expect(at(61_000).ready).toBe(true);
    expect(at(61_000, false).ready).toBe(false);
    since = mainsSince(since, false, 62_000);
    expect(since).toBeNull();
    expect(waitingFor(at(63_000, false), 'first')).toBe('mains is absent');
  });

  it('a bar is charge OR runtime; the first tier has its own', () => {
    expect(checkBar(cfg.other_tiers, { chargePct: 40, runtimeS: 700 })).toMatchObject({
      met: true,
      why: 'runtime 700 s ≥ 600 s',
    });
    expect(checkBar(cfg.other_tiers, { chargePct: 40, runtimeS: 500 })).toMatchObject({
      met: false,
      why: 'charge 40 % < 50 % and runtime 500 s < 600 s',
    });
    const c = returnConditions(cfg, {
      mainsOnline: true,
      mainsSince: 0,
      now: 120_000,
      battery: { chargePct: 30, runtimeS: 100 },
    });
    expect(c.ready).toBe(true);
    expect(c.otherTiers.met).toBe(false);
    expect(waitingFor(c, 'other')).toMatch(/other tiers' bar: charge 30 % < 50 %/);
  });

  it('a bar half the UPS does not report is left out; none reported: the bar holds', () => {
    expect(checkBar(cfg.other_tiers, { chargePct: null, runtimeS: 700 }).met).toBe(true);
    expect(checkBar(cfg.other_tiers, { chargePct: null, runtimeS: 100 }).met).toBe(false);
    expect(checkBar(cfg.other_tiers, { chargePct: null, runtimeS: null })).toMatchObject({
      met: true,
      why: 'the UPS reports neither charge nor runtime',
    });
    expect(checkBar({}, { chargePct: 0, runtimeS: 0 })).toMatchObject({ met: true, why: 'no battery bar' });
  });

  it('fuzz: any UPS text reads as a finite number or null; a bar never throws and is monotone in charge', () => {
    fc.assert(
      fc.property(fc.string(), (s) => {
        const n = numberOf(s);
        expect(n === null || Number.isFinite(n)).toBe(true);
      }),
    );
    expect(numberOf('87.5')).toBe(87.5);
    expect(numberOf('')).toBeNull();
    expect(numberOf('NaN')).toBeNull();
    fc.assert(
      fc.property(
        fc.option(fc.double({ min: 0, max: 100, noNaN: true })),
        fc.option(fc.double({ min: 0, max: 1e6, noNaN: true })),
        fc.double({ min: 0, max: 100, noNaN: true }),
        fc.double({ min: 0, max: 50, noNaN: true }),
        (charge, runtime, bar, more) => {
          const b = { charge_pct: bar, runtime_s: 600 };
          const low = checkBar(b, { chargePct: charge, runtimeS: runtime });
          const high = checkBar(b, { chargePct: charge === null ? null : charge + more, runtimeS: runtime });
          if (low.met) expect(high.met).toBe(true);
        },
      ),
    );
  });
});
