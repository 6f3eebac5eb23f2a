import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { policySchema, type PolicyConfig } from '../../src/config/shutdown-schema.js';
import { decide, trackAll, type PolicyState } from '../../src/shutdown/policy.js';
import type { UpsSnapshot } from '../../src/ups/events.js';

const T0 = 1_000_000_000;
const cfg = (over: Partial<PolicyConfig> = {}): PolicyConfig => ({ ...policySchema.parse({}), ...over });

function snap(at: number, status: string[], vars: Record<string, string> = {}, ups = 'u1', contact = at): UpsSnapshot {
  return {
    ups,
    at,
    variables: { 'battery.charge': '90', 'battery.runtime': '1800', ...vars },
    status,
    comms: contact === at ? 'ok' : 'lost',
    lastContactAt: contact,
  };
}

function feed(snaps: UpsSnapshot[]): PolicyState {
  return snaps.reduce<PolicyState>((s, x) => trackAll(s, x), {});
}

describe('policy: upsmon rules one by one (reference §4.2)', () => {
  const cases: {
    rule: string;
    snaps: UpsSnapshot[];
    at: number;
    c?: Partial<PolicyConfig>;
    level: string;
    trigger?: string;
  }[] = [
    {
      rule: '1. FSD is critical, even on line',
      snaps: [snap(T0, ['FSD', 'OL'])],
      at: T0,
      level: 'critical',
      trigger: 'fsd',
    },
    {
      rule: '2. no contact beyond DEADTIME while last seen OB: critical',
      snaps: [snap(T0, ['OB']), snap(T0 + 16_000, ['OB'], {}, 'u1', T0)],
      at: T0 + 16_000,
      level: 'critical',
      trigger: 'dead_on_battery',
    },
    {
      rule: '2. …but not within DEADTIME',
      snaps: [snap(T0, ['OB']), snap(T0 + 14_000, ['OB'], {}, 'u1', T0)],
      at: T0 + 14_000,
      level: 'warning',
    },
    {
      rule: '2. no contact while last seen OL: only a warning',
      snaps: [snap(T0, ['OL']), snap(T0 + 60_000, ['OL'], {}, 'u1', T0)],
      at: T0 + 60_000,
      level: 'warning',
    },
    { rule: '5. OB alone is not critical', snaps: [snap(T0, ['OB', 'DISCHRG'])], at: T0 + 1000, level: 'warning' },
    { rule: '5. LB alone (on line) is not critical', snaps: [snap(T0, ['OL', 'LB'])], at: T0, level: 'normal' },
    {
      rule: '5. OB+LB is critical at once (primary)',
      snaps: [snap(T0, ['OB', 'LB'])],
      at: T0,
      level: 'critical',
      trigger: 'ob_lb',
    },
    {
      rule: '6. OB+LB during calibration is not critical',
      snaps: [snap(T0, ['OB', 'LB', 'CAL'])],
      at: T0,
      level: 'warning',
    },
    {
      rule: '7. OBLBDURATION: OB+LB must persist',
      snaps: [snap(T0, ['OB', 'LB'])],
      at: T0 + 2000,
      c: { ob_lb_duration_s: 5 },
      level: 'warning',
    },
    {
      rule: '7. …and is critical once it has',
      snaps: [snap(T0, ['OB', 'LB']), snap(T0 + 5000, ['OB', 'LB'])],
      at: T0 + 5000,
      c: { ob_lb_duration_s: 5 },
      level: 'critical',
      trigger: 'ob_lb',
    },
    { rule: 'a UPS never heard from is assumed on line', snaps: [], at: T0, level: 'normal' },
    {
      rule: 'own threshold: charge at or below X while on battery',
      snaps: [snap(T0, ['OB'], { 'battery.charge': '40' }), snap(T0 + 6000, ['OB'], { 'battery.charge': '30' })],
      at: T0 + 6000,
      c: { charge_pct: 30 },
      level: 'critical',
      trigger: 'charge',
    },
    {
      rule: 'own threshold: a flicker shorter than flicker_s is ignored',
      snaps: [snap(T0, ['OB'], { 'battery.charge': '20' })],
      at: T0 + 3000,
      c: { charge_pct: 30 },
      level: 'warning',
    },
    {
      rule: 'own threshold: runtime at or below Y',
      snaps: [snap(T0, ['OB'], { 'battery.runtime': '300' })],
      at: T0 + 10_000,
      c: { runtime_s: 300 },
      level: 'critical',
      trigger: 'runtime',
    },
    {
      rule: 'own threshold: on battery for T seconds',
      snaps: [snap(T0, ['OB']), snap(T0 + 600_000, ['OB'])],
      at: T0 + 600_000,
      c: { on_battery_s: 600 },
      level: 'critical',
      trigger: 'on_battery_time',
    },
    {
      rule: 'own threshold: the on-battery clock restarts after mains returns',
      snaps: [snap(T0, ['OB']), snap(T0 + 500_000, ['OL']), snap(T0 + 550_000, ['OB']), snap(T0 + 650_000, ['OB'])],
      at: T0 + 650_000,
      c: { on_battery_s: 600 },
      level: 'warning',
    },
  ];
  for (const c of cases) {
    it(c.rule, () => {
      const d = decide(feed(c.snaps), cfg(c.c), c.at, null);
      expect(d.level).toBe(c.level);
      if (c.trigger) expect(d.reasons[0]?.trigger).toBe(c.trigger);
    });
  }

  it('runtime-aware: runtime below the plan estimate × factor + margin', () => {
    const s = feed([snap(T0, ['OB'], { 'battery.runtime': '500' })]);
    expect(decide(s, cfg(), T0 + 10_000, 300).level).toBe('critical'); // needs 300 × 1.5 + 60 = 510
    expect(decide(s, cfg(), T0 + 10_000, 200).level).toBe('warning'); // needs 360
    expect(decide(s, cfg({ runtime_factor: 0 }), T0 + 10_000, 300).level).toBe('warning');
    expect(decide(s, cfg(), T0 + 10_000, 300).reasons[0]?.values).toMatchObject({ runtime: 500, needS: 510 });
  });

  it('MINSUPPLIES: a host fed by two UPSes survives one critical UPS, not two', () => {
    const c = cfg({
      hosts: [
        {
          name: 'h1',
          feeds: [
            { ups: 'a', power: 1 },
            { ups: 'b', power: 1 },
          ],
          min_supplies: 1,
        },
      ],
    });
    const one = feed([snap(T0, ['OB', 'LB'], {}, 'a'), snap(T0, ['OL'], {}, 'b')]);
    expect(decide(one, c, T0).level).toBe('warning');
    const both = feed([snap(T0, ['OB', 'LB'], {}, 'a'), snap(T0, ['FSD', 'OL'], {}, 'b')]);
    const d = decide(both, c, T0);
    expect(d.level).toBe('critical');
    expect(d.reasons.at(-1)).toMatchObject({ trigger: 'min_supplies', values: { fed: 0, min: 1 } });
    const needsTwo = cfg({
      hosts: [
        {
          name: 'h1',
          feeds: [
            { ups: 'a', power: 1 },
            { ups: 'b', power: 1 },
          ],
          min_supplies: 2,
        },
      ],
    });
    expect(decide(one, needsTwo, T0).level).toBe('critical');
  });
});

describe('policy: property', () => {
  const c = cfg({ charge_pct: 20, runtime_s: 120, on_battery_s: 300 });
  // Snapshots that never carry a trigger: no FSD, never OB with LB, contact always within the dead time,
  // charge and runtime above the thresholds (and above the plan's need), on-battery spells under the limit.
  const step = fc.record({
    dtMs: fc.integer({ min: 0, max: 20_000 }),
    ob: fc.boolean(),
    lb: fc.boolean(),
    extra: fc.subarray(['CHRG', 'DISCHRG', 'RB', 'BOOST', 'TRIM', 'CAL']),
    charge: fc.integer({ min: 21, max: 100 }),
    runtime: fc.integer({ min: 571, max: 10_000 }),
    comms: fc.constantFrom('ok', 'stale'),
    silentMs: fc.integer({ min: 0, max: 15_000 }),
  });
  it('no sequence of snapshots without a trigger yields critical', () => {
    fc.assert(
      fc.property(fc.array(step, { maxLength: 60 }), (steps) => {
        let state: PolicyState = {};
        let t = T0;
        let obSince: number | null = null;
        for (const s of steps) {
          t += s.dtMs;
          let ob = s.ob;
          if (ob) obSince ??= t;
          else obSince = null;
          // Keep each outage under on_battery_s: end it before it reaches the limit.
          if (obSince !== null && t - obSince >= 299_000) {
            ob = false;
            obSince = null;
          }
          const status = [ob ? 'OB' : 'OL', ...(s.lb && !ob ? ['LB'] : []), ...s.extra];
          state = trackAll(state, {
            ups: 'u1',
            at: t,
            variables: { 'battery.charge': String(s.charge), 'battery.runtime': String(s.runtime) },
            status,
            comms: s.comms,
            lastContactAt: t - s.silentMs,
          });
          const d = decide(state, c, t, 340);
          if (d.level === 'critical') return false;
        }
        return true;
      }),
      { numRuns: 500 },
    );
  });
});
