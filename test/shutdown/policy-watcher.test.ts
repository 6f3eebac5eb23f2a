import { describe, expect, it } from 'vitest';
import { createLogger } from '../../src/log.js';
import type { OutageLatch } from '../../src/shutdown/journal.js';
import { PolicyWatcher } from '../../src/shutdown/policy-watcher.js';
import { ManualClock } from '../../src/util/clock.js';
import { serviceConfig, serviceShutdown } from './service-rig.js';

const T0 = Date.UTC(2026, 11, 1, 3, 0, 0);

function memoryLatch(): OutageLatch & { value: { trippedAt: number; reason: string } | null } {
  return {
    value: null,
    latch() {
      return this.value;
    },
    setLatch(at, reason) {
      this.value ??= { trippedAt: at, reason };
    },
    clearLatch() {
      this.value = null;
    },
  };
}

function watcher(clock: ManualClock, ups: string[], triggers: string[]) {
  const config = serviceConfig(serviceShutdown(), {
    ups: ups.map((name) => ({ name, source: { kind: 'sim', scenario: 'steady' } })),
  });
  const latch = memoryLatch();
  const w = new PolicyWatcher({
    config,
    latch,
    clock,
    log: createLogger({ level: 'silent' }),
    planEstimateS: () => null,
    realRunActive: () => false,
    trigger: (r) => triggers.push(r),
    event: () => undefined,
  });
  return { w, latch };
}

const ok = (ups: string, at: number, status: string[]) => ({
  ups,
  at,
  variables: { 'battery.charge': '90', 'battery.runtime': '1800' },
  status,
  comms: 'ok' as const,
  lastContactAt: at,
});

describe('policy watcher', () => {
  it('a configured UPS that has not answered yet is never reached: nothing is protected, not "normal"', () => {
    const clock = new ManualClock(T0);
    const { w } = watcher(clock, ['a', 'b'], []);
    w.arm();
    const d = w.onSnapshot(ok('a', T0, ['OL']));
    expect(d.level).toBe('warning');
    expect(d.reasons[0]?.message).toMatch(/^b: never reached: nothing is protected/);
    expect(w.onSnapshot(ok('b', T0, ['OL'])).level).toBe('normal');
  });

  it('trips once, latches in the journal, and re-arms only after the hold on mains', () => {
    const clock = new ManualClock(T0);
    const triggers: string[] = [];
    const { w, latch } = watcher(clock, ['u1'], triggers);
    w.arm();
    w.onSnapshot(ok('u1', clock.now(), ['OB', 'LB']));
    w.onSnapshot(ok('u1', clock.now(), ['OB', 'LB']));
    expect(triggers).toHaveLength(1);
    expect(latch.value).not.toBeNull();
    w.onSnapshot(ok('u1', clock.now(), ['OL', 'OFF']));
    clock.advance(120_000);
    w.onSnapshot(ok('u1', clock.now(), ['OL', 'OFF']));
    expect(latch.value).not.toBeNull();
    w.onSnapshot(ok('u1', clock.now(), ['OL']));
    clock.advance(59_000);
    w.onSnapshot(ok('u1', clock.now(), ['OL']));
    expect(latch.value).not.toBeNull();
    clock.advance(1000);
    w.onSnapshot(ok('u1', clock.now(), ['OL']));
    expect(latch.value).toBeNull();
    w.onSnapshot(ok('u1', clock.now(), ['OB', 'LB']));
    expect(triggers).toHaveLength(2);
  });

  it('a latch found in the journal at start holds the trigger', () => {
    const clock = new ManualClock(T0);
    const triggers: string[] = [];
    const { w, latch } = watcher(clock, ['u1'], triggers);
    latch.setLatch(T0 - 1000, 'before the restart');
    w.arm();
    w.onSnapshot(ok('u1', clock.now(), ['OB', 'LB']));
    expect(triggers).toHaveLength(0);
  });
});
