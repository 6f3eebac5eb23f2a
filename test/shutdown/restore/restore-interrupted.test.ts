import { describe, expect, it } from 'vitest';
import { ManualClock } from '../../../src/util/clock.js';
import { drive } from '../fixtures.js';
import { driveUntil } from '../service-rig.js';
import { restoreRig, type RestoreRig } from './restore-rig.js';

const T0 = Date.UTC(2026, 11, 2, 3, 0, 0);

async function outage(clock: ManualClock, r: RestoreRig): Promise<number> {
  r.ups.mains = false;
  const { runId, done } = r.runner.start(r.plan, { mode: 'real', reason: 'outage' });
  expect((await drive(clock, done)).status).toBe('completed');
  r.cluster.setFeed('ups1', false);
  clock.advance(60_000);
  return runId;
}

function mainsBack(r: RestoreRig): void {
  r.ups.mains = true;
  r.cluster.setFeed('ups1', true);
}

/** Runs the clock for a while, letting the restore's loop look. */
async function idle(clock: ManualClock, ms: number): Promise<void> {
  for (let t = 0; t < ms; t += 1000) {
    await drive(clock, Promise.resolve());
    clock.advance(1000);
  }
}

/** Mains back, the first tier (db1) up, then the other tier held by its battery bar while mains fails again. */
async function interruptedRestore(clock: ManualClock, r: RestoreRig): Promise<number> {
  r.cluster.powerOff('web2');
  const runId = await outage(clock, r);
  r.battery = { chargePct: 30, runtimeS: null };
  mainsBack(r);
  r.restore.start();
  await driveUntil(clock, () => r.cluster.get('db1').power === 'on', 500);
  await idle(clock, 5000);
  expect(r.restore.waitingFor()).toMatch(/battery below the bar/);
  r.ups.mains = false;
  await driveUntil(clock, () => r.journal.restore(runId)?.status === 'interrupted', 500);
  return runId;
}

describe('mains fails again during the restore', () => {
  it('stops starting at once, records the partly restored state, and goes on once mains is steady again', async () => {
    const clock = new ManualClock(T0);
    const r = await restoreRig(clock);
    const runId = await interruptedRestore(clock, r);
    const row = r.journal.restore(runId)!;
    expect(row.summary).toMatch(/^interrupted: mains failed again; 1 started so far/);
    expect(r.notified.at(-1)).toMatchObject({ type: 'RESTORE_INCOMPLETE' });
    expect(r.cluster.get('web1').powerOn).toBe(0);
    expect(r.restore.snapshot().subject?.restore?.status).toBe('interrupted');
    // While mains is out, and until it has been steady for 30 s again, nothing more starts, even with the bar met.
    r.battery = { chargePct: 90, runtimeS: null };
    await idle(clock, 60_000);
    expect(r.cluster.get('web1').powerOn).toBe(0);
    r.ups.mains = true;
    await idle(clock, 20_000);
    expect(r.cluster.get('web1').powerOn).toBe(0);
    await driveUntil(clock, () => r.journal.restore(runId)?.status === 'restored', 500);
    expect(r.cluster.get('web1').power).toBe('on');
    // Nothing started twice, and what was off before the outage is still off.
    expect(r.cluster.get('db1').powerOn).toBe(1);
    expect(r.cluster.get('web1').powerOn).toBe(1);
    expect(r.cluster.get('web2').powerOn).toBe(0);
    expect(r.notified.filter((e) => e.type === 'RESTORE_STARTED').map((e) => e.message)).toEqual([
      expect.stringMatching(/ started: /),
      expect.stringMatching(/ resumed \(was interrupted\)/),
    ]);
  });

  it('a new outage starts a new run over the partly restored cluster; its restore brings back the first run’s state', async () => {
    const clock = new ManualClock(T0);
    const r = await restoreRig(clock);
    const first = await interruptedRestore(clock, r);
    // The policy trips again: a second run over the half-restored cluster (db1 on, web1 still off).
    const second = await outage(clock, r);
    expect(second).toBeGreaterThan(first);
    const before = new Map(r.journal.before(second).map((b) => [b.target, b.power]));
    expect(before.get('db1')).toBe('on');
    expect(before.get('web1')).toBe('off');
    expect(r.restore.subject()?.run.id).toBe(second);
    r.battery = { chargePct: 90, runtimeS: null };
    mainsBack(r);
    await driveUntil(clock, () => r.journal.restore(second)?.status === 'restored', 500);
    // web1 was running before the first outage: it comes back, though the second run found it off.
    expect(r.cluster.get('web1').power).toBe('on');
    expect(r.cluster.get('web2').power).toBe('off');
    expect(r.cluster.get('db1').powerOn).toBe(2);
    expect(r.cluster.get('web1').powerOn).toBe(1);
    // The first run's restore stays interrupted; nothing goes back to it.
    expect(r.journal.restore(first)?.status).toBe('interrupted');
    expect(r.restore.subject()).toBeNull();
  });

  it('waits while the outage latch is tripped, so a new outage could start a run once anything is started', async () => {
    const clock = new ManualClock(T0);
    const r = await restoreRig(clock);
    const runId = await outage(clock, r);
    r.latched = true;
    mainsBack(r);
    r.restore.start();
    await idle(clock, 90_000);
    expect(r.journal.restore(runId)).toBeUndefined();
    expect(r.restore.waitingFor()).toMatch(/trigger is not armed again/);
    r.latched = false;
    await driveUntil(clock, () => r.journal.restore(runId)?.status === 'restored', 500);
  });

  it('a run going keeps the restore from beginning', async () => {
    const clock = new ManualClock(T0);
    const r = await restoreRig(clock);
    await outage(clock, r);
    mainsBack(r);
    const test = r.runner.start(r.plan, { mode: 'dry', reason: 'dry' });
    r.restore.start();
    r.restore.tick();
    expect(r.restore.isRunning()).toBe(false);
    expect(r.restore.waitingFor()).toBe('a shutdown run is going');
    await drive(clock, test.done);
  });
});
