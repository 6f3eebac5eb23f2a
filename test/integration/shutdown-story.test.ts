import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { App } from '../../src/app.js';
import { demoShutdown } from '../../src/config/demo-shutdown.js';
import { startSimApp } from '../helpers/demo-app.js';
import { tempDir } from '../helpers/tmp.js';
import { until } from '../helpers/until.js';
import { testUsers, webLogin } from '../helpers/web-login.js';

let app: App | null = null;
afterEach(async () => {
  await app?.stop();
  app = null;
});

/** The demo's shutdown config, ten times faster (time scale 100) so the story fits in seconds. */
function fastDemo(): Record<string, unknown> {
  const s = structuredClone(demoShutdown.shutdown) as Record<string, unknown> & {
    sim_cluster: { time_scale: number; call_latency_ms: number };
    plan: { phases: { timeout_s: number }[] };
  };
  s.sim_cluster.time_scale = 100;
  s.sim_cluster.call_latency_ms = 2;
  for (const p of s.plan.phases) p.timeout_s = 1;
  return {
    ...s,
    poll_interval_ms: 100,
    hard_off_timeout_s: 1,
    default_estimate_s: { vm: 0.5, host: 0.5 },
    rearm_after_s: 1,
  };
}

describe('the demo story, end to end on the simulated UPS and cluster', () => {
  it('outage → trigger → plan → load-off → output off → mains back → output on → cluster boots → restored', async () => {
    const dir = tempDir();
    const scenario = join(dir, 'story.seq');
    writeFileSync(scenario, '0 mains on\n0 load 20\n50 mains off\n700 mains on\n');
    app = await startSimApp({
      scenario,
      timeScale: 100,
      device: 'cyberpower-cp1500pfclcd',
      extra: {
        policy: { on_battery_s: 1.5, flicker_s: 0.5 },
        shutdown: fastDemo(),
        // The demo's restore, with mains steady for 1 s: the VMs without autostart are started by it.
        restore: { ...demoShutdown.restore, mains_steady_s: 1 },
        schedule: { dry_run: '' },
        users: testUsers(),
      },
    });
    const svc = app.shutdown()!;
    const sim = app.simulated('sim1')!;
    const cluster = svc.cluster!;
    let outputWentOff = false;
    sim.events.on('state', (s) => {
      if (!s.outputOn) outputWentOff = true;
    });
    expect(svc.plan().problems).toEqual([]);
    await until(
      'a completed real run',
      () => svc.runner.journal.runs(5).some((r) => r.mode === 'real' && r.status !== 'running'),
      20_000,
      50,
    );
    const run = svc.runner.journal.runs(5).find((r) => r.mode === 'real')!;
    expect(run.status).toBe('completed');
    expect(run.reason).toContain('on battery');
    const steps = svc.runner.journal.steps(run.id);
    expect(steps.find((s) => s.action === 'load_off')?.result).toBe('ok');
    expect(steps.find((s) => s.target === 'win-legacy' && s.action === 'hard_off')?.result).toBe('ok');
    expect(cluster.get('pve1').power).toBe('off');
    await until('the UPS to cut its output', () => outputWentOff, 20_000, 50);
    // Nothing lost: every host had finished halting before the UPS cut its output.
    for (const n of cluster.nodes) expect(cluster.get(n.name).uncleanCuts, n.name).toBe(0);
    await until(
      'the cluster to boot again',
      () => cluster.nodes.every((n) => cluster.get(n.name).power === 'on'),
      20_000,
      50,
    );
    // Booted by power returning, not by a power-on action; the VMs without autostart by the restore, once each.
    expect(cluster.get('pve1')).toMatchObject({ powerOn: 0, graceful: 1 });
    expect(cluster.get('postgres')).toMatchObject({ powerOn: 1 });
    expect(cluster.get('jellyfin')).toMatchObject({ powerOn: 0 });
    await until(
      'the restore to finish',
      () => {
        const status = svc.runner.journal.restore(run.id)?.status;
        return status !== undefined && status !== 'running' ? status : undefined;
      },
      20_000,
      50,
    );
    expect(svc.runner.journal.restore(run.id)?.status).toBe('restored');
    expect(svc.restoreSummary()).toBe('as before the outage');
    const { headers } = await webLogin(app.server(), 'viewer');
    const types = (await app.server().inject({ url: '/api/events?limit=200', headers })).json<{
      events: { type: string }[];
    }>();
    const seen = types.events.map((e) => e.type);
    for (const t of ['ONBATT', 'POLICY_CRITICAL', 'SHUTDOWN', 'LOAD_OFF', 'SHUTDOWN_DONE', 'ONLINE', 'RESTORED'])
      expect(seen).toContain(t);
  }, 40_000);
});

describe('a UPS whose load-off cannot be delayed', () => {
  it('is named on the plan as a risk to the final hosts (APC Back-UPS CS: its native shutdown.return cuts at once)', async () => {
    app = await startSimApp({ extra: { shutdown: fastDemo(), schedule: { dry_run: '' } } });
    const svc = app.shutdown()!;
    const view = await svc.refreshPlan();
    expect(view.problems).toEqual([]);
    expect(view.plan?.notes.join('\n')).toMatch(
      /warning: UPS sim1 cannot delay its load-off .* so pve1 may lose power while halting/,
    );
    await app.stop();
    app = await startSimApp({
      device: 'cyberpower-cp1500pfclcd',
      extra: { shutdown: fastDemo(), schedule: { dry_run: '' } },
    });
    const cps = await app.shutdown()!.refreshPlan();
    expect(cps.plan?.notes.join('\n')).not.toMatch(/cannot delay its load-off/);
  });
});
