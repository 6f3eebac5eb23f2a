import type { DriverReport } from './driver-report.js';
import type { PowerState, Target } from './drivers/driver.js';
import type { ResolvedPlan } from './plan.js';

/**
 * One list of targets, not two that disagree: the plan's targets and what each driver's last check found, merged by
 * (driver, name). Each says whether the plan uses it and in which phase, and whether its driver found it. Pure.
 */
export interface ListedTarget {
  readonly driver: string;
  readonly name: string;
  readonly kind: 'vm' | 'host';
  readonly host: string | null;
  /** From the driver's last check; null when it did not find the target. */
  readonly power: PowerState | null;
  readonly tools: 'running' | 'not-running' | null;
  readonly inPlan: boolean;
  /** The phase it goes down in, '(final)' for a final host; null when the plan does not use it. */
  readonly phase: string | null;
  readonly discovered: boolean;
}

const key = (driver: string, name: string): string => `${driver}\u0000${name}`;

/** Plan order first (phases, then the final hosts), then what the drivers found and the plan leaves alone. */
export function targetList(plan: ResolvedPlan | null, reports: readonly DriverReport[]): ListedTarget[] {
  const found = new Map<string, DriverReport['targets'][number]>();
  for (const r of reports) for (const t of r.targets) found.set(key(r.driver, t.name), t);
  const out = new Map<string, ListedTarget>();
  const add = (t: Target, phase: string): void => {
    const k = key(t.driver, t.name);
    if (out.has(k)) return;
    const f = found.get(k);
    out.set(k, {
      driver: t.driver,
      name: t.name,
      kind: t.kind,
      host: t.host ?? f?.host ?? null,
      power: f?.power ?? null,
      tools: f?.tools ?? null,
      inPlan: true,
      phase,
      discovered: f !== undefined,
    });
  };
  for (const p of plan?.phases ?? []) for (const t of p.targets) add(t, p.name);
  for (const h of plan?.finalHosts ?? []) add(h, '(final)');
  for (const r of reports) {
    for (const t of r.targets) {
      const k = key(r.driver, t.name);
      if (out.has(k)) continue;
      out.set(k, {
        driver: r.driver,
        name: t.name,
        kind: t.kind,
        host: t.host,
        power: t.power,
        tools: t.tools,
        inPlan: false,
        phase: null,
        discovered: true,
      });
    }
  }
  return [...out.values()];
}
