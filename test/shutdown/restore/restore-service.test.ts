import { describe, expect, it } from 'vitest';
import { openDatabase } from '../../../src/store/database.js';
import { RunsStore } from '../../../src/store/shutdown-runs.js';
import type { NewUpsEvent } from '../../../src/ups/events.js';
import { ManualClock } from '../../../src/util/clock.js';
import { restoreApiView } from '../../../src/web/routes/restore.js';
import { until } from '../../helpers/until.js';
import { HandUps, serviceConfig, serviceShutdown, service, settle } from '../service-rig.js';

const T0 = Date.UTC(2026, 11, 2, 3, 0, 0);

/** The service rig's cluster with db1 not autostarted by its host, so the restore has something to start. */
function shutdownWith(over: { applianceAutostart?: boolean } = {}): Record<string, unknown> {
  const s = serviceShutdown() as { sim_cluster: { hosts: { vms: Record<string, unknown>[] }[] } };
  s.sim_cluster.hosts[0]!.vms[1]!.autostart = false;
  if (over.applianceAutostart === false) s.sim_cluster.hosts[0]!.vms[0]!.autostart = false;
  return s;
}

/** Feeds the UPS's snapshot every second of clock time, `ms` long. */
async function feed(clock: ManualClock, s: ReturnType<typeof service>, ups: HandUps, status: string[], ms: number) {
  for (let t = 0; t < ms; t += 1000) {
    s.onSnapshot(ups.set(clock.now(), status, { 'battery.charge': '90' }));
    await settle(5);
    clock.advance(1000);
  }
}

describe('the shutdown service restores after the outage by itself', () => {
  it('outage, shutdown, load-off, mains back, hosts back, VMs started, RESTORED; status says as before', async () => {
    const db = openDatabase(':memory:');
    const clock = new ManualClock(T0);
    const ups = new HandUps('ups1');
    const events: NewUpsEvent[] = [];
    const cleared: string[] = [];
    const config = serviceConfig(shutdownWith(), { restore: { mains_steady_s: 20 } });
    // The NUT server's FSD is cleared once the restore begins, not before.
    const s = service(db, clock, ups, { config, events, clearFsd: (u) => cleared.push(u) });
    await s.start();
    s.onSnapshot(ups.set(clock.now(), ['OB', 'LB'], { 'battery.charge': '10' }));
    const journal = new RunsStore(db);
    const run = await until('the run', () => journal.runs(5).find((r) => r.mode === 'real'));
    for (let i = 0; i < 3600 && journal.run(run.id)?.status === 'running'; i++) {
      await settle(5);
      clock.advance(1000);
    }
    expect(journal.run(run.id)?.status).toBe('completed');
    expect(restoreApiView(s.restoreSnapshot()).state).toBe('waiting');
    // The UPS cut its output; mains returns and the output with it: the hosts boot.
    s.cluster!.setFeed('ups1', false);
    await feed(clock, s, ups, ['OB', 'LB'], 5000);
    s.cluster!.setFeed('ups1', true);
    await feed(clock, s, ups, ['OL', 'CHRG'], 10_000);
    const waiting = restoreApiView(s.restoreSnapshot());
    expect(waiting.state).toBe('waiting');
    expect(waiting.conditions).toMatchObject({ mainsOnline: true, mainsSteadyNeededS: 20, chargePct: 90 });
    expect(waiting.asBefore).toMatch(/^waiting to restore: \d+ not back: /);
    expect(cleared).toEqual([]);
    for (let i = 0; i < 600 && journal.restore(run.id)?.status !== 'restored'; i++) {
      await feed(clock, s, ups, ['OL', 'CHRG'], 1000);
    }
    expect(journal.restore(run.id)?.status).toBe('restored');
    expect(cleared).toEqual(['ups1']);
    expect(s.cluster!.get('db1')).toMatchObject({ power: 'on', powerOn: 1 });
    const types = events.map((e) => e.type);
    const from = types.indexOf('RESTORE_STARTED');
    expect(from).toBeGreaterThan(types.indexOf('SHUTDOWN_DONE'));
    expect(types.slice(from).filter((t) => t === 'HOST_BACK')).toHaveLength(2);
    expect(events.find((e) => e.type === 'RESTORED')?.message).toMatch(/in \d+ s from mains back/);
    expect(s.restoreSummary()).toBe('as before the outage');
    const view = restoreApiView(s.restoreSnapshot());
    expect(view).toMatchObject({ state: 'restored', runId: run.id, asBefore: 'as before the outage' });
    expect(view.durationS).toBeGreaterThanOrEqual(20);
    expect(view.tiers.map((t) => t.name)).toEqual(['hosts', 'core', 'shed']);
    expect(view.tiers[1]!.targets).toEqual([expect.objectContaining({ name: 'db1', state: 'done', before: 'on' })]);
    expect(view.steps.every((st) => st.phase.startsWith('(restore) '))).toBe(true);
    s.stop();
    db.close();
  });

  it('the daily check names upsguard’s own VM when the platform says it is not set to autostart', async () => {
    const db = openDatabase(':memory:');
    const clock = new ManualClock(T0);
    const ups = new HandUps('ups1');
    const bad = service(db, clock, ups, { config: serviceConfig(shutdownWith({ applianceAutostart: false })) });
    await bad.start();
    await bad.checkDrivers();
    expect(await bad.selfAutostartProblem()).toMatch(/upsguard's own VM appliance \(sim\) is not set to autostart/);
    bad.stop();
    const good = service(openDatabase(':memory:'), clock, ups, { config: serviceConfig(shutdownWith()) });
    await good.start();
    await good.checkDrivers();
    expect(await good.selfAutostartProblem()).toBeNull();
    good.stop();
  });
});
