import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { openDatabase } from '../../src/store/database.js';
import { RunsStore } from '../../src/store/shutdown-runs.js';
import { ManualClock } from '../../src/util/clock.js';
import { tempDir } from '../helpers/tmp.js';
import { until } from '../helpers/until.js';
import { HandUps, driveUntil, service, settle } from './service-rig.js';

const T0 = Date.UTC(2026, 11, 1, 3, 0, 0);

describe('shutdown service: one run per outage, across restarts', () => {
  it('a run resumed after a crash completes, and the same outage does not start a second one', async () => {
    const path = join(tempDir(), 'store.db');
    // The first appliance trips and starts its run; then it "crashes": its clock never moves again.
    const dbA = openDatabase(path);
    const clockA = new ManualClock(T0);
    const upsA = new HandUps('ups1');
    const a = service(dbA, clockA, upsA);
    await a.start();
    a.onSnapshot(upsA.set(T0, ['OB', 'LB', 'DISCHRG']));
    const journal = new RunsStore(dbA);
    await until('the first run', () => journal.runs(5).find((r) => r.mode === 'real'));
    await settle();
    a.stop();

    // The restarted appliance, same store, still in the same outage.
    const db = openDatabase(path);
    const clock = new ManualClock(T0 + 5000);
    const ups = new HandUps('ups1');
    ups.set(clock.now(), ['OB', 'LB', 'DISCHRG']);
    const b = service(db, clock, ups);
    await b.start();
    const runs = (): ReturnType<RunsStore['runs']> => new RunsStore(db).runs(10).filter((r) => r.mode === 'real');
    await driveUntil(clock, () => runs().every((r) => r.status !== 'running'));
    expect(runs()).toHaveLength(1);
    expect(runs()[0]!.status).toBe('completed');
    expect(ups.commands.filter((c) => c.cmd === 'shutdown.return')).toHaveLength(1);

    // Still on battery, low: the policy is critical again, and nothing more is run.
    for (let i = 0; i < 5; i++) {
      b.onSnapshot(ups.set(clock.now(), ['OB', 'LB', 'DISCHRG']));
      clock.advance(2000);
      await settle();
    }
    expect(b.decision()?.level).toBe('critical');
    expect(runs()).toHaveLength(1);
    expect(ups.commands.filter((c) => c.cmd === 'shutdown.return')).toHaveLength(1);

    // Mains returns, but only for a moment: still latched.
    b.onSnapshot(ups.set(clock.now(), ['OL', 'CHRG']));
    clock.advance(10_000);
    b.onSnapshot(ups.set(clock.now(), ['OB', 'LB']));
    await settle();
    expect(runs()).toHaveLength(1);
    b.stop();
    dbA.close();
    db.close();
  });

  it('the latch is released once mains has stayed back for the hold, and a new outage trips again', async () => {
    const path = join(tempDir(), 'store.db');
    const db = openDatabase(path);
    const clock = new ManualClock(T0);
    const ups = new HandUps('ups1');
    const s = service(db, clock, ups);
    await s.start();
    s.onSnapshot(ups.set(clock.now(), ['OB', 'LB']));
    const runs = (): ReturnType<RunsStore['runs']> => new RunsStore(db).runs(10).filter((r) => r.mode === 'real');
    await until('the run', () => runs().length === 1);
    await driveUntil(clock, () => runs().every((r) => r.status !== 'running'));
    s.stop();

    // A restart on mains: the latch survives it.
    const s2 = service(db, clock, ups);
    await s2.start();
    for (let t = 0; t <= 50_000; t += 10_000) {
      s2.onSnapshot(ups.set(clock.now(), ['OL', 'CHRG']));
      clock.advance(10_000);
    }
    s2.onSnapshot(ups.set(clock.now(), ['OB', 'LB']));
    await settle();
    expect(runs()).toHaveLength(1);
    // Steady mains for the whole hold: re-armed.
    for (let t = 0; t <= 60_000; t += 10_000) {
      s2.onSnapshot(ups.set(clock.now(), ['OL', 'CHRG']));
      clock.advance(10_000);
    }
    s2.onSnapshot(ups.set(clock.now(), ['OB', 'LB']));
    await until('a second run', () => runs().length === 2);
    s2.stop();
    db.close();
  });
});
