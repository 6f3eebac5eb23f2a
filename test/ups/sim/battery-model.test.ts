import { describe, expect, it } from 'vitest';
import {
  defaultBatteryParams as P,
  fullRuntimeS,
  initialBatteryState,
  runtimeLeftS,
  step,
} from '../../../src/ups/sim/battery-model.js';

describe('battery model', () => {
  it('drains on battery at a rate set by load, and halving the load more than doubles the runtime', () => {
    expect(fullRuntimeS(P, 20, 1)).toBe(2580);
    expect(fullRuntimeS(P, 10, 1)).toBeGreaterThan(2 * 2580);
    const s = step(P, initialBatteryState({ mains: false, loadPct: 20 }), 258);
    expect(s.charge).toBeCloseTo(0.9, 6);
    expect(runtimeLeftS(P, s)).toBe(2322);
  });

  it('recharges on mains and never exceeds full', () => {
    const s = step(P, initialBatteryState({ charge: 0.5 }), P.rechargeS / 4);
    expect(s.charge).toBeCloseTo(0.75, 6);
    expect(step(P, s, P.rechargeS).charge).toBe(1);
  });

  it('drops the output when the battery is empty and restores it when mains returns', () => {
    const empty = step(P, initialBatteryState({ mains: false, charge: 0.01 }), 100);
    expect(empty.charge).toBe(0);
    expect(empty.outputOn).toBe(false);
    expect(step(P, { ...empty, mains: true }, 1).outputOn).toBe(true);
  });

  it('cuts the output after the shutdown delay and restarts it after the start delay only with mains', () => {
    let s = initialBatteryState({ mains: false, shutdownTimerS: 20, startupTimerS: 30 });
    s = step(P, s, 19);
    expect(s.outputOn).toBe(true);
    s = step(P, s, 2);
    expect(s.outputOn).toBe(false);
    expect(s.restartPending).toBe(true);
    s = step(P, s, 100);
    expect(s.outputOn).toBe(false);
    s = step(P, { ...s, mains: true }, 29);
    expect(s.outputOn).toBe(false);
    s = step(P, s, 2);
    expect(s.outputOn).toBe(true);
  });

  it('stays off after shutdown.stayoff (no start delay) until mains returns', () => {
    let s = step(P, initialBatteryState({ mains: false, shutdownTimerS: 5 }), 6);
    expect(s.outputOn).toBe(false);
    s = step(P, { ...s, mains: true }, 60);
    expect(s.outputOn).toBe(false);
    expect(s.latchedOff).toBe(true);
  });
});
