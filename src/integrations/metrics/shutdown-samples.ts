import type { WatchedUps } from '../../web/deps.js';
import type { ShutdownFacade } from '../../web/facade.js';
import type { Sample } from './samples.js';

/** How many of the newest runs the run counts cover: years of a home lab's tests and outages. */
export const RUNS_COUNTED = 500;

const LEVELS = ['normal', 'warning', 'critical'] as const;

const seconds = (ms: number): number => ms / 1000;

function policySamples(shutdown: ShutdownFacade, out: Sample[]): void {
  const d = shutdown.decision();
  if (d) {
    for (const level of LEVELS) {
      out.push({
        name: 'upsguard_policy_level',
        help: 'The policy decision: 1 for the current level (normal, warning, critical)',
        labels: { level },
        value: d.level === level ? 1 : 0,
      });
    }
    for (const r of d.reasons) {
      out.push({
        name: 'upsguard_policy_reason',
        help: 'A reason of the current level: the rule (trigger) and the UPS it is about',
        labels: { trigger: r.trigger, ups: r.ups, level: d.level },
        value: 1,
      });
    }
  }
  out.push({
    name: 'upsguard_outage_latched',
    help: 'Whether an outage started a run and mains has not yet returned and held',
    labels: {},
    value: shutdown.outageLatched() ? 1 : 0,
  });
}

function planSamples(shutdown: ShutdownFacade, ups: readonly WatchedUps[], out: Sample[]): void {
  const view = shutdown.plan();
  out.push({
    name: 'upsguard_plan_problems',
    help: 'Problems the plan has (unresolved targets, unreachable drivers)',
    labels: {},
    value: view.problems.length + view.unreachable.length,
  });
  if (!view.plan || !view.estimate) return;
  const estimate = view.estimate.totalS;
  out.push({
    name: 'upsguard_plan_estimate_seconds',
    help: 'How long the shutdown plan is expected to take',
    labels: { plan: view.plan.name },
    value: estimate,
  });
  for (const p of view.estimate.phases) {
    out.push({
      name: 'upsguard_plan_phase_estimate_seconds',
      help: 'How long each phase of the plan is expected to take',
      labels: { plan: view.plan.name, phase: p.name },
      value: p.seconds,
    });
  }
  out.push({
    name: 'upsguard_plan_targets',
    help: 'Targets in the plan',
    labels: { plan: view.plan.name },
    value: view.estimate.targets.size,
  });
  for (const u of ups) {
    const runtime = Number(u.snapshot().variables['battery.runtime']);
    if (!Number.isFinite(runtime) || u.snapshot().variables['battery.runtime'] === undefined) continue;
    out.push({
      name: 'upsguard_plan_margin_seconds',
      help: 'Battery runtime left minus the plan estimate: below zero the plan would not finish on battery',
      labels: { ups: u.name, plan: view.plan.name },
      value: runtime - estimate,
    });
  }
}

function runSamples(shutdown: ShutdownFacade, out: Sample[]): void {
  const counts = new Map<string, number>();
  const runs = shutdown.runs(RUNS_COUNTED);
  for (const r of runs) counts.set(`${r.mode}\u0000${r.status}`, (counts.get(`${r.mode}\u0000${r.status}`) ?? 0) + 1);
  for (const [key, n] of counts) {
    const [mode, status] = key.split('\u0000') as [string, string];
    out.push({
      name: 'upsguard_runs',
      help: `Shutdown runs by mode and status (of the newest ${RUNS_COUNTED})`,
      labels: { mode, status },
      value: n,
    });
  }
  out.push({
    name: 'upsguard_runs_active',
    help: 'Shutdown runs in progress',
    labels: {},
    value: shutdown.activeRuns().length,
  });
  for (const mode of ['dry', 'real'] as const) {
    const last = runs.find((r) => r.mode === mode);
    if (!last) continue;
    const labels = { mode, status: last.status };
    out.push({
      name: 'upsguard_last_run_start_timestamp_seconds',
      help: 'When the newest run of each mode started',
      labels,
      value: seconds(last.startedAt),
    });
    if (last.finishedAt !== null) {
      out.push({
        name: 'upsguard_last_run_duration_seconds',
        help: 'How long the newest finished run of each mode took',
        labels,
        value: seconds(last.finishedAt - last.startedAt),
      });
    }
    if (last.estimateS !== null) {
      out.push({
        name: 'upsguard_last_run_estimate_seconds',
        help: 'The plan estimate the newest run of each mode started with',
        labels,
        value: last.estimateS,
      });
    }
    const steps = new Map<string, { n: number; ms: number }>();
    for (const s of shutdown.steps(last.id)) {
      const key = `${s.action}\u0000${s.result ?? 'running'}`;
      const acc = steps.get(key) ?? { n: 0, ms: 0 };
      acc.n += 1;
      if (s.finishedAt !== null) acc.ms += s.finishedAt - s.startedAt;
      steps.set(key, acc);
    }
    for (const [key, acc] of steps) {
      const [action, result] = key.split('\u0000') as [string, string];
      out.push({
        name: 'upsguard_last_run_steps',
        help: 'Steps of the newest run of each mode, by action and result',
        labels: { mode, action, result },
        value: acc.n,
      });
      out.push({
        name: 'upsguard_last_run_step_seconds',
        help: 'Time the finished steps of the newest run of each mode took, summed by action and result',
        labels: { mode, action, result },
        value: seconds(acc.ms),
      });
    }
  }
}

function driverSamples(shutdown: ShutdownFacade, now: number, out: Sample[]): void {
  for (const r of shutdown.driverReports()) {
    const labels = { driver: r.driver };
    out.push({
      name: 'upsguard_driver_check_ok',
      help: 'Whether the last check of the driver (credentials, reachability, discovery) passed',
      labels,
      value: r.ok ? 1 : 0,
    });
    out.push({
      name: 'upsguard_driver_check_age_seconds',
      help: 'Seconds since the driver was last checked',
      labels,
      value: Math.max(0, seconds(now - r.checkedAt)),
    });
    out.push({
      name: 'upsguard_driver_check_failures',
      help: 'Checks that failed in the last check of the driver',
      labels,
      value: r.checks.filter((c) => !c.ok).length,
    });
    out.push({ name: 'upsguard_driver_targets', help: 'Targets the driver found', labels, value: r.targets.length });
  }
}

/** The policy decision, the plan, the runs and the drivers' last checks. */
export function shutdownSamples(
  shutdown: ShutdownFacade,
  ups: readonly WatchedUps[],
  now: number,
  out: Sample[],
): void {
  policySamples(shutdown, out);
  planSamples(shutdown, ups, out);
  runSamples(shutdown, out);
  driverSamples(shutdown, now, out);
}
