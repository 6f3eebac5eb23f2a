import { describe, expect, it } from 'vitest';
import { policySchema, type PolicyConfig } from '../../src/config/shutdown-schema.js';
import { decide, trackAll, type PolicyState } from '../../src/shutdown/policy.js';
import type { CommsState, UpsSnapshot } from '../../src/ups/events.js';

const T0 = 1_000_000_000;
const cfg = (over: Partial<PolicyConfig> = {}): PolicyConfig => ({ ...policySchema.parse({}), ...over });

function snap(at: number, comms: CommsState, status: string[], lastContactAt: number, ups = 'u1'): UpsSnapshot {
  return {
    ups,
    at,
    variables: lastContactAt > 0 ? { 'battery.charge': '90', 'battery.runtime': '1800' } : {},
    status,
    comms,
    lastContactAt,
  };
}

const feed = (snaps: UpsSnapshot[]): PolicyState => snaps.reduce<PolicyState>((s, x) => trackAll(s, x), {});

describe('policy: a UPS the appliance cannot see protects nothing', () => {
  const cases: {
    name: string;
    snaps: UpsSnapshot[];
    at: number;
    level: string;
    trigger?: string;
    message?: RegExp;
  }[] = [
    {
      name: 'never reached (comms unknown, NOCOMM at once): warning, naming the UPS',
      snaps: [snap(T0, 'unknown', [], 0)],
      at: T0,
      level: 'warning',
      trigger: 'comms',
      message: /^u1: never reached: nothing is protected/,
    },
    {
      name: 'never reached stays a warning however long it lasts (no dead time without contact)',
      snaps: [snap(T0, 'unknown', [], 0), snap(T0 + 600_000, 'lost', [], 0)],
      at: T0 + 600_000,
      level: 'warning',
      trigger: 'comms',
      message: /never reached/,
    },
    {
      name: 'lost at once (COMMBAD at once) while last seen on line: warning at once',
      snaps: [snap(T0, 'ok', ['OL'], T0), snap(T0 + 2000, 'lost', [], T0)],
      at: T0 + 2000,
      level: 'warning',
      trigger: 'comms',
      message: /^u1: contact lost .*nothing is protected/,
    },
    {
      name: 'lost at once while last seen on battery: not critical within the dead time',
      snaps: [snap(T0, 'ok', ['OB'], T0), snap(T0 + 2000, 'lost', [], T0)],
      at: T0 + 2000,
      level: 'warning',
    },
    {
      name: 'lost while last seen on battery: critical once the dead time has passed since the last contact',
      snaps: [snap(T0, 'ok', ['OB'], T0), snap(T0 + 2000, 'lost', [], T0)],
      at: T0 + 15_001,
      level: 'critical',
      trigger: 'dead_on_battery',
    },
    {
      name: 'a UPS reached again is normal again',
      snaps: [snap(T0, 'unknown', [], 0), snap(T0 + 5000, 'ok', ['OL'], T0 + 5000)],
      at: T0 + 5000,
      level: 'normal',
    },
    {
      name: 'one never-reached UPS beside a healthy one still warns',
      snaps: [snap(T0, 'ok', ['OL'], T0, 'a'), snap(T0, 'unknown', [], 0, 'b')],
      at: T0,
      level: 'warning',
      trigger: 'comms',
      message: /^b: never reached/,
    },
  ];
  for (const c of cases) {
    it(c.name, () => {
      const d = decide(feed(c.snaps), cfg(), c.at, null);
      expect(d.level).toBe(c.level);
      if (c.trigger) expect(d.reasons[0]?.trigger).toBe(c.trigger);
      if (c.message) expect(d.reasons[0]?.message).toMatch(c.message);
    });
  }
});
