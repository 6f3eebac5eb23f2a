import type { ShutdownConfig } from './shutdown-schema.js';

/**
 * The plan's rules that need no discovery, checked when the config loads (so `config check` reports them) and again
 * when the plan is resolved against the discovered targets (shutdown/plan.ts). Pure; config never imports shutdown/.
 */

/** A delay in whole units of the UPS's delay registers, rounded up. */
export const roundUp = (s: number, unit: number): number => Math.ceil(s / unit) * unit;

/** Rules that need no discovery; each problem as a path under `shutdown` and a reason. */
export function checkPlanConfig(cfg: ShutdownConfig): { path: (string | number)[]; message: string }[] {
  const out: { path: (string | number)[]; message: string }[] = [];
  const plan = cfg.plan;
  if (!plan) return out;
  const seen = new Set<string>();
  plan.phases.forEach((p, i) => {
    if (seen.has(p.name)) out.push({ path: ['plan', 'phases', i, 'name'], message: `duplicate phase name ${p.name}` });
    seen.add(p.name);
    p.targets.forEach((t, j) => {
      if (t.driver === 'sim' && !cfg.sim_cluster) {
        out.push({
          path: ['plan', 'phases', i, 'targets', j, 'driver'],
          message: 'driver sim needs shutdown.sim_cluster',
        });
      } else if (
        t.driver !== 'sim' &&
        t.driver !== 'nut-secondaries' &&
        !cfg.drivers.some((d) => d.name === t.driver)
      ) {
        out.push({
          path: ['plan', 'phases', i, 'targets', j, 'driver'],
          message: `unknown driver ${t.driver} (available: ${['sim', 'nut-secondaries', ...cfg.drivers.map((d) => d.name)].join(', ')})`,
        });
      }
    });
  });
  if (plan.point_of_no_return !== undefined && !seen.has(plan.point_of_no_return)) {
    out.push({
      path: ['plan', 'point_of_no_return'],
      message: `no phase named ${plan.point_of_no_return} (phases: ${[...seen].join(', ')})`,
    });
  }
  const off = roundUp(plan.off_delay_s, plan.delay_unit_s);
  const on = roundUp(plan.on_delay_s, plan.delay_unit_s);
  if (on <= off) {
    out.push({
      path: ['plan', 'on_delay_s'],
      message: `start delay ${on} s must be longer than the off delay ${off} s (in the UPS's ${plan.delay_unit_s} s units), or the UPS powers halted hosts again`,
    });
  }
  const last = plan.phases.length - 1;
  const controller = [plan.self_vm, plan.self_host, plan.ups_host].filter((x): x is string => x !== undefined);
  plan.phases.forEach((p, i) => {
    if (i === last) return;
    for (const t of p.targets) {
      for (const n of t.names ?? []) {
        if (controller.includes(n)) {
          out.push({
            path: ['plan', 'phases', i, 'targets'],
            message: `${n} is the appliance's VM, its host or the UPS host and must be in the last phase, not ${p.name}`,
          });
        }
      }
    }
  });
  return out;
}
