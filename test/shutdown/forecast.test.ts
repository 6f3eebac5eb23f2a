import { describe, expect, it } from 'vitest';
import { policySchema } from '../../src/config/shutdown-schema.js';
import { foldOutageStarts, forecast, formatDuration, type ForecastInput } from '../../src/shutdown/forecast.js';
import { decide, type PolicyState, type UpsTrack } from '../../src/shutdown/policy.js';

const NOW = 1_000_000_000_000;
const policy = (p: Record<string, unknown> = {}) => policySchema.parse(p);

function ups(name: string, o: Partial<UpsTrack> & { onS?: number } = {}): UpsTrack {
  const onS = o.onS;
  const ob = onS !== undefined;
  return {
    ups: name,
    status: ob ? ['OB'] : ['OL'],
    onBattery: ob,
    onBatterySince: ob ? NOW - onS * 1000 : null,
    obLbSince: null,
    charge: 90,
    runtime: 1800,
    lastContactAt: NOW,
    comms: 'ok',
    ...o,
  };
}

function input(
  tracks: UpsTrack[],
  o: Partial<ForecastInput> & { policyIn?: Record<string, unknown> } = {},
): ForecastInput {
  const pol = o.policy ?? policy(o.policyIn);
  const state: PolicyState = Object.fromEntries(tracks.map((t) => [t.ups, t]));
  const plan = o.plan === undefined ? { name: 'homelab', estimateS: 240 } : o.plan;
  return {
    policy: pol,
    state,
    decision: decide(state, pol, NOW, plan?.estimateS ?? null),
    plan,
    now: NOW,
    running: null,
    latched: false,
    rearmAfterS: 60,
    ...o,
  };
}

describe('formatDuration', () => {
  it('words seconds as the page shows them', () => {
    expect([20, 60, 130, 240, 3900].map(formatDuration)).toEqual(['20 s', '1 min', '2 min 10 s', '4 min', '1 h 5 min']);
  });
});

describe('forecast', () => {
  it('on mains: nothing will shut down', () => {
    const f = forecast(input([ups('demo')]));
    expect(f.sentence).toBe('On mains. Nothing will shut down.');
    expect(f).toMatchObject({ startsAt: null, rule: null, onBatteryS: null, level: 'normal' });
  });

  it('names the runtime-aware rule with its numbers and when it fires', () => {
    const f = forecast(input([ups('demo', { onS: 130, runtime: 560 })], { plan: { name: 'homelab', estimateS: 240 } }));
    // need = 240 × 1.5 + 60 = 420 s; runtime 560 s falls one second per second: 140 s.
    expect(f.sentence).toBe(
      'On battery 2 min 10 s. Plan homelab starts in 2 min 20 s (runtime-aware rule: runtime 9 min 20 s < plan 4 min × 1.5 + 60 s)',
    );
    expect(f.rule).toBe('runtime_vs_plan');
    expect(f.startsInS).toBe(140);
    expect(f.startsAt).toBe(NOW + 140_000);
    expect(f.onBatteryS).toBe(130);
  });

  it('on_battery_s is exact, and notes the flicker window just passed', () => {
    const f = forecast(input([ups('demo', { onS: 20 })], { policyIn: { on_battery_s: 40, runtime_factor: 0 } }));
    expect(f.sentence).toBe(
      'On battery 20 s (flicker window 5 s passed). Plan homelab starts in 20 s (on battery for 40 s)',
    );
    expect(f.rule).toBe('on_battery_time');
  });

  it('a threshold already crossed inside the flicker window fires when the window ends', () => {
    const f = forecast(
      input([ups('demo', { onS: 2, runtime: 100 })], { policyIn: { runtime_s: 300, runtime_factor: 0 } }),
    );
    expect(f.rule).toBe('runtime');
    expect(f.startsInS).toBe(3);
    expect(f.sentence).toContain('(within the flicker window of 5 s)');
  });

  it('the runtime rule from the runtime left', () => {
    const f = forecast(
      input([ups('demo', { onS: 300, runtime: 900 })], { policyIn: { runtime_s: 300, runtime_factor: 0 } }),
    );
    expect(f.startsInS).toBe(600);
    expect(f.sentence).toContain('Plan homelab starts in 10 min (runtime rule: runtime 15 min, limit 5 min)');
  });

  it('charge without a slope gives no time; with one observed, a time', () => {
    const t = ups('demo', { onS: 120, charge: 64, runtime: null });
    const noSlope = forecast(input([t], { policyIn: { charge_pct: 30 } }));
    expect(noSlope.sentence).toBe('On battery 2 min. Plan homelab starts when charge reaches 30 % (now 64 %)');
    expect(noSlope.startsAt).toBeNull();
    expect(noSlope.rule).toBe('charge');
    // 70 % a minute ago, 64 % now: 6 %/min, 34 points to go: 340 s.
    const starts = { demo: { at: NOW - 60_000, charge: 70 } };
    const sloped = forecast(input([t], { policyIn: { charge_pct: 30 }, starts }));
    expect(sloped.startsInS).toBe(340);
    expect(sloped.sentence).toContain('charge rule: charge 64 % falling 6.0 %/min to 30 %');
  });

  it('unknown runtime leaves the runtime rules out and falls back to low battery', () => {
    const f = forecast(input([ups('demo', { onS: 60, runtime: null })], { policyIn: { runtime_s: 300 } }));
    expect(f.sentence).toBe('On battery 1 min. Plan homelab starts when the UPS reports low battery (OB+LB).');
    expect(f.rule).toBeNull();
  });

  it('without a plan nothing will shut down, and says which rule would trip', () => {
    const f = forecast(input([ups('demo', { onS: 60 })], { plan: null, policyIn: { on_battery_s: 120 } }));
    expect(f.sentence).toBe(
      'On battery 1 min. No shutdown plan: the policy trips in 1 min (on battery for 2 min), but nothing will shut down.',
    );
    expect(f.startsAt).toBeNull();
    expect(f.rule).toBe('on_battery_time');
  });

  it('critical now: the plan starts now and says why', () => {
    const f = forecast(input([ups('demo', { onS: 60, runtime: 100 })], { policyIn: { runtime_s: 300 } }));
    expect(f.level).toBe('critical');
    expect(f.startsInS).toBe(0);
    expect(f.sentence).toMatch(
      /^On battery 1 min\. Plan homelab starts now \(demo: runtime 100 s at or below 300 s\)\.$/,
    );
  });

  it('a running shutdown and a latched outage', () => {
    const t = ups('demo', { onS: 60 });
    expect(forecast(input([t], { running: { plan: 'homelab', phase: 'core' } })).sentence).toBe(
      'Shutdown running: plan homelab, phase core',
    );
    const latched = forecast(input([ups('demo')], { latched: true }));
    expect(latched.sentence).toBe(
      'On mains. The shutdown already ran for this outage: it re-arms once mains has been back on every UPS for 1 min.',
    );
    expect(latched.latched).toBe(true);
  });

  it('a UPS lost while on battery is treated as low battery after the dead time', () => {
    const t = ups('demo', { onS: 40, comms: 'lost', lastContactAt: NOW - 10_000 });
    const f = forecast(input([t], { policyIn: { dead_time_s: 15, runtime_factor: 0 } }));
    expect(f.sentence).toBe(
      'UPS demo not reached for 10 s while on battery: treated as low battery in 5 s. Plan homelab starts then.',
    );
    expect(f).toMatchObject({ rule: 'dead_on_battery', startsInS: 5 });
  });

  it('never reached and not reached on mains', () => {
    const lost = ups('b', { comms: 'lost', lastContactAt: NOW - 30_000 });
    expect(forecast(input([ups('a'), lost])).sentence).toBe(
      'UPS a on mains; UPS b not reached for 30 s (on mains when last seen).',
    );
    const never = ups('demo', { comms: 'unknown', lastContactAt: 0, status: [] });
    expect(forecast(input([never])).sentence).toBe('UPS demo never reached: nothing is protected until it answers.');
  });

  it('several UPSes: the plan starts when the last supply of the host goes, not the first', () => {
    const a = ups('a', { onS: 100, runtime: 500 });
    const b = ups('b', { onS: 100, runtime: 900 });
    const f = forecast(input([a, b], { policyIn: { runtime_s: 300, runtime_factor: 0 } }));
    // One host fed by both: a crosses in 200 s but b still feeds it until 600 s.
    expect(f).toMatchObject({ rule: 'runtime', ups: 'b', startsInS: 600 });
    expect(f.sentence).toBe(
      'UPS a on battery 1 min 40 s; UPS b on battery 1 min 40 s. Plan homelab starts in 10 min (UPS b: runtime rule: runtime 15 min, limit 5 min)',
    );
    const onMains = forecast(input([a, ups('b')], { policyIn: { runtime_s: 300, runtime_factor: 0 } }));
    expect(onMains.sentence).toBe(
      'UPS a on battery 1 min 40 s; UPS b on mains. Nothing will shut down while the UPSes on mains feed every host.',
    );
  });

  it('folds the first reading of each outage and forgets it on mains', () => {
    const s1 = foldOutageStarts({}, { demo: ups('demo', { onS: 1, charge: 80 }) }, NOW);
    const s2 = foldOutageStarts(s1, { demo: ups('demo', { onS: 30, charge: 70 }) }, NOW + 29_000);
    expect(s2.demo).toEqual({ at: NOW, charge: 80 });
    expect(foldOutageStarts(s2, { demo: ups('demo') }, NOW + 60_000)).toEqual({});
  });
});
