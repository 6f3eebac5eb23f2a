import { describe, expect, it } from 'vitest';
import { ManualClock } from '../../../src/util/clock.js';
import { RESTORE_PHASE_PREFIX } from '../../../src/shutdown/restore/restore-plan.js';
import { restoreSummary, targetRestores } from '../../../src/shutdown/restore/restore-summary.js';
import { drive } from '../fixtures.js';
import { driveUntil } from '../service-rig.js';
import { restoreClusterInput, restoreRig, type RestoreRig } from './restore-rig.js';

const T0 = Date.UTC(2026, 11, 2, 3, 0, 0);

/** The outage: the whole plan runs on battery, the UPS cuts its output, then mains returns and the output with it. */
async function outage(clock: ManualClock, r: RestoreRig): Promise<number> {
  r.ups.mains = false;
  const { runId, done } = r.runner.start(r.plan, { mode: 'real', reason: 'outage' });
  expect((await drive(clock, done)).status).toBe('completed');
  r.cluster.setFeed('ups1', false);
  clock.advance(60_000);
  return runId;
}

function powerOnSteps(r: RestoreRig, runId: number): string[] {
  return r.journal
    .steps(runId)
    .filter((s) => s.phase.startsWith(RESTORE_PHASE_PREFIX) && s.action === 'power_on' && s.result === 'ok')
    .map((s) => s.target);
}

describe('the restore after an outage brings the cluster back as it was', () => {
  it('records what ran before, waits for steady mains, hosts first, then the last phase before the earlier', async () => {
    const clock = new ManualClock(T0);
    const r = await restoreRig(clock);
    // Off before the outage: it must stay off.
    r.cluster.powerOff('web2');
    const runId = await outage(clock, r);
    const before = new Map(r.journal.before(runId).map((b) => [b.target, b.power]));
    expect(before.get('web1')).toBe('on');
    expect(before.get('web2')).toBe('off');
    expect(before.get('h1')).toBe('on');
    // Recorded before any action: every row is older than the first step.
    const firstStep = r.journal.steps(runId)[0]!;
    expect(Math.max(...r.journal.before(runId).map((b) => b.at))).toBeLessThanOrEqual(firstStep.startedAt);

    r.restore.start();
    // Mains is still out: nothing begins.
    clock.advance(120_000);
    await drive(clock, Promise.resolve());
    expect(r.journal.restore(runId)).toBeUndefined();
    expect(r.restore.waitingFor()).toBe('mains is absent');

    const mainsBack = clock.now();
    r.ups.mains = true;
    r.cluster.setFeed('ups1', true);
    // Mains present but not steady for 30 s yet: still nothing.
    for (let i = 0; i < 20; i++) {
      await drive(clock, Promise.resolve());
      clock.advance(1000);
    }
    expect(r.journal.restore(runId)).toBeUndefined();
    expect(r.restore.waitingFor()).toMatch(/mains present for \d+ s of the 30 s required/);

    await driveUntil(clock, () => r.journal.restore(runId)?.status === 'restored', 500, 3_600_000);
    const row = r.journal.restore(runId)!;
    expect(row.mainsBackAt).toBeGreaterThanOrEqual(mainsBack);
    expect(row.summary).toMatch(/back as before the outage in \d+ s from mains back/);
    expect(r.fsdCleared).toBe(1);

    for (const n of ['h1', 'h2', 'db1', 'web1', 'web3', 'appliance']) expect(r.cluster.get(n).power).toBe('on');
    expect(r.cluster.get('web2').power).toBe('off');
    expect(r.cluster.get('web2').powerOn).toBe(0);
    // The platform's autostart started web3: counted done, never started by the restore.
    expect(r.cluster.get('web3').powerOn).toBe(0);
    const started = powerOnSteps(r, runId);
    expect(started.sort()).toEqual(['db1', 'web1']);
    // The last phase to go down ("core": db1) comes up before the earlier one ("shed": web1).
    const steps = r.journal.steps(runId);
    const okOf = (n: string) => steps.find((s) => s.target === n && s.action === 'wait' && s.result === 'ok')!;
    const startOf = (n: string) => steps.find((s) => s.target === n && s.action === 'power_on')!;
    expect(okOf('db1').finishedAt!).toBeLessThanOrEqual(startOf('web1').startedAt);
    // Every host was ready before any VM start.
    for (const h of ['h1', 'h2']) expect(okOf(h).finishedAt!).toBeLessThanOrEqual(startOf('db1').startedAt);
    expect(steps.find((s) => s.target === 'web3' && s.action === 'power_on')?.result).toBe('skipped');
    for (const n of ['db1', 'web1']) expect(r.cluster.get(n).powerOn).toBe(1);

    const types = r.notified.map((e) => e.type);
    expect(types[0]).toBe('RESTORE_STARTED');
    expect(types.filter((t) => t === 'HOST_BACK')).toHaveLength(2);
    expect(types.at(-1)).toBe('RESTORED');
    const snap = r.restore.snapshot();
    expect(restoreSummary(snap)).toBe('as before the outage');
    const states = new Map(targetRestores(snap).map((t) => [t.target.name, t.state]));
    expect(states.get('web2')).toBe('left_off');
    expect(states.get('web3')).toBe('already_on');
    expect(states.get('db1')).toBe('done');
    // Nothing more to do: a later look begins nothing.
    expect(r.restore.subject()).toBeNull();
  });

  it('a restore that begins while the UPS output is still off sees the hosts boot when it returns', async () => {
    const clock = new ManualClock(T0);
    const r = await restoreRig(clock);
    const runId = await outage(clock, r);
    // Mains is back, but the UPS's on delay keeps its output off: the hosts are dark while the restore begins.
    r.ups.mains = true;
    r.restore.start();
    await driveUntil(clock, () => r.journal.restore(runId)?.status === 'running', 500);
    for (let i = 0; i < 120; i++) {
      await drive(clock, Promise.resolve());
      clock.advance(1000);
    }
    expect(r.cluster.get('h1').power).toBe('off');
    r.cluster.setFeed('ups1', true);
    const back = clock.now();
    await driveUntil(clock, () => r.journal.restore(runId)?.status === 'restored', 500);
    // Hosts boot in 30 s; the restore notices within a poll interval, not at its host timeout (300 s).
    const ready = r.journal.steps(runId).find((s) => s.target === 'h1' && s.action === 'wait' && s.result === 'ok')!;
    expect(ready.finishedAt! - back).toBeLessThanOrEqual(30_000 + 1000);
  });

  it('the other tiers wait for their battery bar; the first tier goes at the lower one', async () => {
    const clock = new ManualClock(T0);
    const r = await restoreRig(clock);
    const runId = await outage(clock, r);
    r.battery = { chargePct: 25, runtimeS: null };
    r.ups.mains = true;
    r.cluster.setFeed('ups1', true);
    r.restore.start();
    await driveUntil(clock, () => r.cluster.get('db1').power === 'on', 500);
    for (let i = 0; i < 60; i++) {
      await drive(clock, Promise.resolve());
      clock.advance(1000);
    }
    // db1 (the last phase, first tier, bar 20 %) is back; web1 (bar 50 %) waits.
    expect(r.cluster.get('web1').powerOn).toBe(0);
    expect(r.restore.waitingFor()).toMatch(/battery below the bar \(charge 25 % < 50 %\)/);
    expect(restoreSummary(r.restore.snapshot())).toMatch(/^restoring: 3 not back: web1, web2, web3$/);
    r.battery = { chargePct: 55, runtimeS: null };
    await driveUntil(clock, () => r.journal.restore(runId)?.status === 'restored', 500);
    expect(r.cluster.get('web1').power).toBe('on');
  });

  it('a host that does not come back by itself is woken; one that never answers is named with its VMs', async () => {
    const clock = new ManualClock(T0);
    const input = restoreClusterInput() as { sim_cluster: { hosts: Record<string, unknown>[] } };
    input.sim_cluster.hosts[1]!.restore_on_ac = false;
    const r = await restoreRig(clock, { hosts: [{ name: 'h2', wol: { mac: '02:00:00:00:00:22' } }] }, { input });
    const runId = await outage(clock, r);
    r.ups.mains = true;
    r.cluster.setFeed('ups1', true);
    expect(r.cluster.get('h2').power).toBe('off');
    r.restore.start();
    await driveUntil(clock, () => r.journal.restore(runId)?.status === 'restored', 500);
    expect(r.hostPowers.get('h2')?.calls).toBe(1);
    expect(r.cluster.get('web1').power).toBe('on');
    const on = r.journal.steps(runId).find((s) => s.target === 'h2' && s.action === 'power_on')!;
    expect(on.detail).toBe('wol 02:00:00:00:00:22');

    // The next outage, the switch is broken: h2 never answers, and its VMs are named with why.
    const clock2 = new ManualClock(T0);
    const r2 = await restoreRig(
      clock2,
      { hosts: [{ name: 'h2', wol: { mac: '02:00:00:00:00:22' } }], host_ready_timeout_s: 60 },
      { input },
    );
    const run2 = await outage(clock2, r2);
    r2.ups.mains = true;
    r2.cluster.setFeed('ups1', true);
    r2.hostPowers.set('h2', new (await import('./restore-rig.js')).FakeHostPower('wol broken', () => undefined));
    r2.restore.start();
    await driveUntil(clock2, () => r2.journal.restore(run2)?.status === 'incomplete', 500);
    const summary = r2.journal.restore(run2)!.summary!;
    expect(summary).toMatch(/h2 \(did not answer within 60 s/);
    expect(summary).toMatch(/web1 \(its host h2 did not come back\)/);
    expect(r2.notified.at(-1)?.type).toBe('RESTORE_INCOMPLETE');
    expect(r2.cluster.get('db1').power).toBe('on');
  });
});
