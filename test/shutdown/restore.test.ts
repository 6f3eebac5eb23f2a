import { describe, expect, it } from 'vitest';
import { subsetPlan } from '../../src/shutdown/plan.js';
import { RestoreRefused, restoreAfterTest, restoreRefusal } from '../../src/shutdown/restore-after-test.js';
import { ManualClock } from '../../src/util/clock.js';
import { drive, rig } from './fixtures.js';

const T0 = Date.UTC(2026, 11, 1, 3, 0, 0);

describe('restore after a test: what the test shut down starts again', () => {
  it('after a subset test: its targets come back on, hosts first, then the later phases before the earlier', async () => {
    const clock = new ManualClock(T0);
    const r = await rig(clock);
    const subset = ['web1', 'web2', 'web3', 'db1', 'h2'];
    const { runId, done } = r.runner.start(subsetPlan(r.plan, subset), { mode: 'real', reason: 'test', subset });
    expect((await drive(clock, done)).status).toBe('completed');
    for (const n of subset) expect(r.cluster.get(n).power).toBe('off');
    const outcome = await drive(clock, restoreAfterTest(r.runner, runId));
    expect(outcome.failed).toEqual([]);
    expect([...outcome.restored].sort()).toEqual([...subset].sort());
    // Reverse phase order: the host (phase "hosts") first, then db1 ("core"), then the web tier ("shed").
    const order = r.journal
      .steps(runId)
      .filter((s) => s.action === 'power_on')
      .map((s) => s.target);
    expect(order[0]).toBe('h2');
    expect(order.indexOf('db1')).toBeLessThan(order.indexOf('web1'));
    expect(
      r.journal
        .steps(runId)
        .filter((s) => s.action === 'power_on')
        .every((s) => s.phase === '(restore)'),
    ).toBe(true);
    // Booting takes the host's boot time; then all are on again.
    await drive(clock, new Promise<void>((resolve) => clock.setTimeout(resolve, 120_000)), 1000);
    for (const n of subset) expect(r.cluster.get(n).power).toBe('on');
    // What stayed up was never touched.
    expect(r.cluster.get('h1').powerOn).toBe(0);
    // Asked again: nothing left to start (each was started once already).
    expect((await restoreAfterTest(r.runner, runId)).restored).toEqual([]);
  });

  it('only what a step powered off: a target that was already off is not started', async () => {
    const clock = new ManualClock(T0);
    const r = await rig(clock);
    r.cluster.powerOff('web2');
    const subset = ['web1', 'web2'];
    const { runId, done } = r.runner.start(subsetPlan(r.plan, subset), { mode: 'real', reason: 'test', subset });
    await drive(clock, done);
    const outcome = await drive(clock, restoreAfterTest(r.runner, runId));
    expect(outcome.restored).toEqual(['web1']);
  });

  it('refused for a dry run, a real run of the whole plan, a run still going, an unknown run', async () => {
    const clock = new ManualClock(T0);
    const r = await rig(clock);
    const dry = r.runner.start(r.plan, { mode: 'dry', reason: 'dry' });
    await drive(clock, dry.done);
    await expect(restoreAfterTest(r.runner, dry.runId)).rejects.toThrow(/dry run: it shut nothing down/);
    const going = r.runner.start(subsetPlan(r.plan, ['web1']), { mode: 'real', reason: 't', subset: ['web1'] });
    const refused = await restoreAfterTest(r.runner, going.runId).catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(RestoreRefused);
    expect((refused as RestoreRefused).refusal).toMatchObject({ status: 409 });
    expect((refused as Error).message).toMatch(/still going/);
    await drive(clock, going.done);
    await expect(restoreAfterTest(r.runner, 4242)).rejects.toThrow(/no run 4242/);
    const whole = { ...r.journal.run(going.runId)!, subset: null };
    expect(restoreRefusal(whole, whole.id, false)?.message).toMatch(/whole plan/);
    expect(r.cluster.get('web1').powerOn).toBe(0);
  });
});

describe('restore after an aborted test', () => {
  it('a target whose shutdown went out before the abort counts as shut down; one never started does not', async () => {
    const clock = new ManualClock(T0);
    const r = await rig(clock);
    const subset = ['web1', 'web2', 'web3'];
    const { runId, done } = r.runner.start(subsetPlan(r.plan, subset), { mode: 'real', reason: 'test', subset });
    for (let i = 0; i < 50 && r.cluster.get('web1').power !== 'stopping'; i++) {
      await new Promise((res) => setImmediate(res));
      clock.advance(100);
    }
    void r.runner.abort(runId, 'alice');
    expect((await drive(clock, done)).status).toBe('aborted');
    await drive(clock, new Promise<void>((resolve) => clock.setTimeout(resolve, 30_000)), 1000);
    const outcome = await drive(clock, restoreAfterTest(r.runner, runId));
    expect([...outcome.restored].sort()).toEqual(['web1', 'web2']);
    expect(r.cluster.get('web3').powerOn).toBe(0);
  });
});

describe('restore: one at a time', () => {
  it("a second restore while one is going is refused; each power-on is journaled under the target's driver", async () => {
    const clock = new ManualClock(T0);
    const r = await rig(clock);
    const subset = ['h2', 'web1'];
    const { runId, done } = r.runner.start(subsetPlan(r.plan, subset), { mode: 'real', reason: 'test', subset });
    await drive(clock, done);
    const first = restoreAfterTest(r.runner, runId);
    await expect(restoreAfterTest(r.runner, runId)).rejects.toThrow(/restore after run \d+ is in progress/);
    expect((await drive(clock, first)).restored).toEqual(['h2', 'web1']);
    const ons = r.journal.steps(runId).filter((s) => s.action === 'power_on');
    expect(ons.map((s) => `${s.driver}/${s.target}`)).toEqual(['sim/h2', 'sim/web1']);
  });
});
