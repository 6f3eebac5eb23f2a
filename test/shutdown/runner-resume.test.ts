import { describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/util/clock.js';
import { drive, rig, type Rig } from './fixtures.js';

const T0 = Date.UTC(2026, 11, 1, 3, 0, 0);

function crashedRun(r: Rig): number {
  return r.journal.createRun({
    plan: 'lab',
    mode: 'real',
    reason: 'crash test',
    startedAt: T0,
    estimateS: null,
    runtimeLeftS: null,
    subset: null,
    planJson: JSON.stringify(r.plan),
  });
}

describe('runner: resuming from the journal', () => {
  it('never sends a load-off again once the latest load-off row is done', async () => {
    const clock = new ManualClock(T0);
    const r = await rig(clock);
    const runId = crashedRun(r);
    r.journal.markPonr(runId);
    // First restart: the first load-off was interrupted by the crash, the second one went out; then another crash.
    const first = r.journal.beginStep({
      runId,
      phase: '(final)',
      target: 'ups1',
      driver: 'ups',
      action: 'load_off',
      at: T0,
    });
    r.journal.finishStep(first, T0 + 1000, 'interrupted');
    const second = r.journal.beginStep({
      runId,
      phase: '(final)',
      target: 'ups1',
      driver: 'ups',
      action: 'load_off',
      at: T0 + 1000,
    });
    r.journal.finishStep(second, T0 + 1100, 'ok', null, 'off in 60 s, on 90 s after mains returns');
    const [resumed] = r.runner.resume();
    const row = await drive(clock, resumed!);
    expect(row.status).toBe('completed');
    expect(r.ups.loadOffs).toHaveLength(0);
    expect(r.journal.steps(runId).filter((s) => s.action === 'load_off')).toHaveLength(2);
  });

  it('rebuilds what was shed from the journal, and starts it again when mains has returned', async () => {
    const clock = new ManualClock(T0);
    const r = await rig(clock);
    const runId = crashedRun(r);
    // Before the crash: the shed phase shut web1 and web2 down (journaled as done), web3's request went out.
    for (const t of ['web1', 'web2']) {
      const g = r.journal.beginStep({ runId, phase: 'shed', target: t, driver: 'sim', action: 'graceful', at: T0 });
      r.journal.finishStep(g, T0 + 10, 'ok');
      r.journal.recordOutcome({
        runId,
        phase: 'shed',
        target: t,
        driver: 'sim',
        at: T0 + 20_000,
        result: 'ok',
        outcome: 'off',
        error: null,
      });
      r.cluster.powerOff(t);
    }
    const g3 = r.journal.beginStep({ runId, phase: 'shed', target: 'web3', driver: 'sim', action: 'graceful', at: T0 });
    r.journal.finishStep(g3, T0 + 10, 'ok');
    r.cluster.powerOff('web3');
    // The appliance comes back with mains on again.
    r.ups.mains = true;
    const [resumed] = r.runner.resume();
    const row = await drive(clock, resumed!);
    expect(row.status).toBe('aborted');
    expect(row.summary).toContain('3 targets shed');
    for (const n of ['web1', 'web2', 'web3']) expect(r.cluster.get(n).powerOn).toBe(1);
    expect(r.journal.steps(runId).filter((s) => s.action === 'power_on' && s.result === 'ok')).toHaveLength(3);
  });
});
