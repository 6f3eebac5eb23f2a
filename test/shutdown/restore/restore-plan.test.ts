import { describe, expect, it } from 'vitest';
import type { RestoreRow, TargetBefore } from '../../../src/shutdown/journal.js';
import { restorePlan, wantedBefore } from '../../../src/shutdown/restore/restore-plan.js';
import { ManualClock } from '../../../src/util/clock.js';
import { rig } from '../fixtures.js';

const b = (runId: number, target: string, power: TargetBefore['power']): TargetBefore => ({
  runId,
  target,
  driver: 'sim',
  kind: 'vm',
  host: null,
  phase: 'p',
  power,
  platform: null,
  at: 0,
});
const restore = (runId: number, status: RestoreRow['status']): RestoreRow => ({
  runId,
  status,
  mainsBackAt: null,
  startedAt: 0,
  finishedAt: null,
  summary: null,
});

describe('what a restore brings back', () => {
  it('only what was on (or booting) when the run began', () => {
    const w = wantedBefore([
      { before: [b(1, 'a', 'on'), b(1, 'b', 'off'), b(1, 'c', 'booting'), b(1, 'd', 'unknown')], restore: undefined },
    ]);
    expect([...w.keys()]).toEqual(['a', 'c']);
  });

  it('inherits what an earlier run wanted while that run’s restore did not finish; a finished one ends the chain', () => {
    const chain = [
      { before: [b(3, 'a', 'on'), b(3, 'x', 'off')], restore: undefined },
      { before: [b(2, 'x', 'on')], restore: restore(2, 'interrupted') },
      { before: [b(1, 'y', 'on')], restore: restore(1, 'restored') },
    ];
    expect([...wantedBefore(chain).keys()].sort()).toEqual(['a', 'x']);
  });

  it('hosts first, then the phases in reverse, the first VM tier with the lower bar; the rest stays off with why', async () => {
    const r = await rig(new ManualClock(0));
    const wanted = new Map(['h1', 'h2', 'db1', 'web1', 'web3'].map((n) => [n, { ...b(1, n, 'on') }] as const));
    const recorded = [...wanted.values(), b(1, 'web2', 'off')];
    const p = restorePlan(r.plan, wanted, recorded);
    expect(p.hosts.map((h) => h.name).sort()).toEqual(['h1', 'h2']);
    expect(p.tiers.map((t) => [t.phase, t.bar, t.targets.map((x) => x.name)])).toEqual([
      ['(restore) core', 'first', ['db1']],
      ['(restore) shed', 'other', ['web1', 'web3']],
    ]);
    expect(p.leftOff.map((l) => [l.target.name, l.why])).toEqual([['web2', 'off before the outage']]);
  });
});
