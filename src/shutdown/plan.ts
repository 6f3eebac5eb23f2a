import { checkPlanConfig, roundUp } from '../config/plan-rules.js';
import type { PlanConfig, SelectorConfig, ShutdownConfig } from '../config/shutdown-schema.js';
import { ErrorCode, UpsguardError } from '../errors.js';
import type { Target } from './drivers/driver.js';
import { makespanMs, type Estimates, type TargetEstimate } from './estimates.js';

/**
 * The plan model: phases of targets chosen by selectors, the rules that make an order safe, and the estimate.
 * Config-level rules live in config/plan-rules.ts and are checked when the config loads (`checkPlanConfig`), and again
 * here with the rest once targets are discovered (`resolvePlan`). Pure.
 */
export interface ResolvedPhase {
  readonly name: string;
  readonly method: 'graceful' | 'hard';
  readonly timeoutMs: number;
  readonly concurrency: number;
  readonly targets: readonly Target[];
}

export interface ResolvedPlan {
  readonly name: string;
  readonly phases: readonly ResolvedPhase[];
  /** Halted after the load-off, in this order; the appliance's own host comes last. */
  readonly finalHosts: readonly Target[];
  /** Method and timeout for the final hosts (the last phase's). */
  readonly finalMethod: 'graceful' | 'hard';
  readonly finalTimeoutMs: number;
  readonly loadOff: { readonly ups: string; readonly offDelayS: number; readonly onDelayS: number } | null;
  readonly pointOfNoReturn: string;
  readonly restartShed: boolean;
  readonly driverLimits: Readonly<Record<string, number>>;
  readonly self: { readonly vm: string | null; readonly host: string | null; readonly upsHost: string | null };
  /** Things worth knowing that are not errors (the appliance's VM is left to go down with its host). */
  readonly notes: readonly string[];
}

export interface PlanProblem {
  readonly rule: string;
  readonly targets: readonly string[];
  readonly message: string;
}

export class PlanError extends UpsguardError {
  readonly problems: readonly PlanProblem[];
  constructor(plan: string, problems: readonly PlanProblem[]) {
    super(
      ErrorCode.PlanInvalid,
      `plan ${plan} is invalid:\n  ${problems.map((p) => `[${p.rule}] ${p.message}`).join('\n  ')}`,
      { problems },
    );
    this.problems = problems;
  }
}

function matches(sel: SelectorConfig, t: Target): boolean {
  if (t.driver !== sel.driver) return false;
  if (sel.kind !== undefined && t.kind !== sel.kind) return false;
  if (sel.except.includes(t.name)) return false;
  if (sel.names?.includes(t.name)) return true;
  if (sel.tags?.some((tag) => t.tags.includes(tag))) return true;
  if (sel.vms_of !== undefined && t.kind === 'vm' && t.host === sel.vms_of) return true;
  return false;
}

export interface Identity {
  /** This machine's MAC addresses, lower case. */
  readonly macs: readonly string[];
  readonly hostname: string;
}

/** Which VM is the appliance, and which host it runs on now: from config, else by MAC address, else by host name. */
export function findSelf(
  plan: PlanConfig,
  targets: readonly Target[],
  identity: Identity,
): { vm: string | null; host: string | null } {
  let vm = plan.self_vm ?? null;
  if (vm === null) {
    const macs = new Set(identity.macs.map((m) => m.toLowerCase()));
    vm =
      targets.find((t) => t.kind === 'vm' && t.macs.some((m) => macs.has(m)))?.name ??
      targets.find((t) => t.kind === 'vm' && t.name === identity.hostname)?.name ??
      null;
  }
  const host = plan.self_host ?? targets.find((t) => t.name === vm)?.host ?? null;
  return { vm, host };
}

/** Applies the selectors to the discovered targets and checks every ordering rule; throws PlanError listing all. */
const ORDER_TAG = /^pve-order:(\d+)$/;

/**
 * A phase whose targets carry their platform's startup order (`pve-order:N`) runs as consecutive steps: guests without
 * an order first, then from the highest order down, so what starts first stops last. The first step keeps the phase's
 * name (the point of no return and the runs view refer to it); the others are named after their order.
 */
export function splitByStartupOrder(phase: ResolvedPhase): ResolvedPhase[] {
  const orderOf = (t: Target): number | null => {
    for (const tag of t.tags) {
      const m = ORDER_TAG.exec(tag);
      if (m) return Number(m[1]);
    }
    return null;
  };
  if (!phase.targets.some((t) => orderOf(t) !== null)) return [phase];
  const groups = new Map<number | null, Target[]>();
  for (const t of phase.targets) {
    const o = orderOf(t);
    groups.set(o, [...(groups.get(o) ?? []), t]);
  }
  const keys = [...groups.keys()].sort((a, b) => (a === null ? -1 : b === null ? 1 : b - a));
  return keys.map((k, i) => ({
    ...phase,
    name: i === 0 ? phase.name : `${phase.name} (order ${k ?? 'none'})`,
    targets: groups.get(k) ?? [],
  }));
}

export function resolvePlan(
  cfg: ShutdownConfig,
  targets: readonly Target[],
  identity: Identity,
  estimates: Estimates,
  defaultUps: string | null,
  /** Drivers whose discovery failed: what they would have found is missing, which is a check result, not a rule. */
  unreachable: ReadonlySet<string> = new Set(),
): ResolvedPlan {
  const plan = cfg.plan;
  if (!plan) throw new PlanError('(none)', [{ rule: 'no-plan', targets: [], message: 'no shutdown.plan configured' }]);
  const problems: PlanProblem[] = checkPlanConfig(cfg).map((p) => ({
    rule: 'config',
    targets: [],
    message: `shutdown.${p.path.join('.')}: ${p.message}`,
  }));
  const self = findSelf(plan, targets, identity);
  const upsHost = plan.ups_host ?? null;
  const byName = new Map(targets.map((t) => [t.name, t]));
  const notes: string[] = [];
  const down = [...unreachable].join(', ');
  for (const d of unreachable) notes.push(`driver ${d} is unreachable: its targets are left out of the plan`);
  for (const [what, n] of [
    ['self_vm', plan.self_vm],
    ['self_host', plan.self_host],
    ['ups_host', plan.ups_host],
  ] as const) {
    if (n === undefined || byName.has(n)) continue;
    if (unreachable.size > 0) notes.push(`${what} ${n} was not discovered (unreachable: ${down})`);
    else problems.push({ rule: 'unknown-target', targets: [n], message: `${what} ${n} was not discovered` });
  }
  const finalNames = [...new Set([upsHost, self.host].filter((x): x is string => x !== null))];
  const phaseOf = new Map<string, number>();
  const last = plan.phases.length - 1;
  const phases: ResolvedPhase[] = plan.phases.map((p, i) => {
    const chosen: Target[] = [];
    p.targets.forEach((sel, j) => {
      const hit = targets.filter((t) => matches(sel, t));
      if (hit.length === 0 && !unreachable.has(sel.driver)) {
        problems.push({
          rule: 'selects-nothing',
          targets: [],
          message: `phase ${p.name}, selector ${j + 1} (${JSON.stringify({ names: sel.names, tags: sel.tags, vms_of: sel.vms_of })}) selects no target`,
        });
      }
      for (const t of hit) {
        const prev = phaseOf.get(t.name);
        if (prev !== undefined && prev !== i) {
          problems.push({
            rule: 'selected-twice',
            targets: [t.name],
            message: `${t.name} is in phase ${plan.phases[prev]?.name ?? prev} and in phase ${p.name}`,
          });
          continue;
        }
        if (prev === i) continue;
        phaseOf.set(t.name, i);
        if (t.name === self.vm) {
          if (i !== last) {
            problems.push({
              rule: 'controller-last',
              targets: [t.name],
              message: `${t.name} is the appliance's own VM; it must go last, not in phase ${p.name}`,
            });
          } else notes.push(`${t.name} is the appliance's own VM: it goes down with its host, after the load-off`);
          continue;
        }
        if (finalNames.includes(t.name)) {
          if (i !== last) {
            problems.push({
              rule: 'controller-last',
              targets: [t.name],
              message: `${t.name} is the appliance's host or the UPS host; it must go last, not in phase ${p.name}`,
            });
          }
          continue;
        }
        chosen.push(t);
      }
    });
    return {
      name: p.name,
      method: p.method,
      timeoutMs: p.timeout_s * 1000,
      concurrency: p.concurrency,
      targets: chosen,
    };
  });
  const ordered = phases.flatMap((rp, i) => (plan.phases[i]?.startup_order === false ? [rp] : splitByStartupOrder(rp)));
  const finalHosts = finalNames.map((n) => byName.get(n)).filter((t): t is Target => t !== undefined);
  finalHosts.forEach((h) => phaseOf.set(h.name, plan.phases.length));
  // A host never goes before (or with) its VMs; the final hosts go after everything in the last phase.
  for (const t of targets) {
    if (t.kind !== 'vm' || t.host === undefined || t.name === self.vm) continue;
    const pv = phaseOf.get(t.name);
    const ph = phaseOf.get(t.host);
    if (pv === undefined || ph === undefined) continue;
    if (pv >= ph) {
      const hostPhase = ph === plan.phases.length ? 'the final step' : `phase ${plan.phases[ph]?.name ?? ph}`;
      problems.push({
        rule: 'host-after-vms',
        targets: [t.host, t.name],
        message: `host ${t.host} (${hostPhase}) would go before or with its VM ${t.name} (phase ${plan.phases[pv]?.name ?? pv})`,
      });
    }
  }
  const ups = plan.load_off_ups ?? defaultUps;
  const off = roundUp(plan.off_delay_s, plan.delay_unit_s);
  for (const h of finalHosts) {
    const e = estimates.of(h);
    if (off * 1000 <= e.p90Ms) {
      problems.push({
        rule: 'load-off-delay',
        targets: [h.name],
        message: `off delay ${off} s is not longer than ${h.name}'s halt time (p90 ${Math.round(e.p90Ms / 1000)} s): the UPS would cut it mid-halt`,
      });
    }
  }
  if (ups === null) problems.push({ rule: 'load-off', targets: [], message: 'no UPS to send the load-off to' });
  if (problems.length > 0) throw new PlanError(plan.name, problems);
  return {
    name: plan.name,
    phases: ordered,
    finalHosts,
    finalMethod: plan.phases[last]?.method ?? 'graceful',
    finalTimeoutMs: (plan.phases[last]?.timeout_s ?? 120) * 1000,
    loadOff: ups === null ? null : { ups, offDelayS: off, onDelayS: roundUp(plan.on_delay_s, plan.delay_unit_s) },
    pointOfNoReturn: plan.point_of_no_return ?? plan.phases[last]?.name ?? '',
    restartShed: plan.restart_shed,
    driverLimits: plan.driver_limits,
    self: { vm: self.vm, host: self.host, upsHost },
    notes,
  };
}

export interface PlanEstimate {
  readonly totalS: number;
  readonly phases: readonly { name: string; seconds: number }[];
  readonly targets: ReadonlyMap<string, TargetEstimate & { phase: string }>;
}

/**
 * The critical path: phases one after the other, each the makespan of its targets (p90, capped at the timeout plus
 * the hard power-off) under its limits, then the load-off's off delay, which covers the final hosts' halt.
 */
export function estimatePlan(plan: ResolvedPlan, estimates: Estimates, hardOffMs: number): PlanEstimate {
  const targets = new Map<string, TargetEstimate & { phase: string }>();
  const phases = plan.phases.map((p) => {
    const jobs = p.targets.map((t) => {
      const e = estimates.of(t);
      targets.set(t.name, { ...e, phase: p.name });
      const d = p.method === 'hard' ? hardOffMs : Math.min(e.p90Ms, p.timeoutMs + hardOffMs);
      return { durationMs: d, driver: t.driver };
    });
    return { name: p.name, seconds: makespanMs(jobs, p.concurrency, plan.driverLimits) / 1000 };
  });
  for (const h of plan.finalHosts) targets.set(h.name, { ...estimates.of(h), phase: '(final)' });
  const finalS = plan.loadOff
    ? plan.loadOff.offDelayS
    : Math.max(0, ...plan.finalHosts.map((h) => estimates.of(h).p90Ms / 1000));
  phases.push({ name: '(final)', seconds: finalS });
  return { totalS: phases.reduce((s, p) => s + p.seconds, 0), phases, targets };
}

/** Every name a subset may use: the plan's phases, their targets and the final hosts. */
export function subsetNames(plan: ResolvedPlan): Set<string> {
  return new Set([
    ...plan.phases.map((p) => p.name),
    ...plan.phases.flatMap((p) => p.targets.map((t) => t.name)),
    ...plan.finalHosts.map((h) => h.name),
  ]);
}

/**
 * Phases and targets kept by a subset (names of phases or targets), without the load-off. `null` is the whole plan;
 * an empty subset, or one naming something the plan does not hold, is refused (it would run nothing, or everything).
 */
export function subsetPlan(plan: ResolvedPlan, subset: readonly string[] | null): ResolvedPlan {
  if (subset === null) return plan;
  if (subset.length === 0) {
    throw new UpsguardError(
      ErrorCode.RequestInvalid,
      'an empty subset names nothing to run; leave "subset" out to run the whole plan',
    );
  }
  const known = subsetNames(plan);
  const unknown = [...new Set(subset)].filter((n) => !known.has(n));
  if (unknown.length > 0) {
    throw new UpsguardError(
      ErrorCode.RequestInvalid,
      `the subset names what plan ${plan.name} does not hold: ${unknown.join(', ')}`,
      { unknown },
    );
  }
  const want = new Set(subset);
  const phases = plan.phases
    .map((p) => (want.has(p.name) ? p : { ...p, targets: p.targets.filter((t) => want.has(t.name)) }))
    .filter((p) => p.targets.length > 0);
  return { ...plan, phases, finalHosts: plan.finalHosts.filter((h) => want.has(h.name)), loadOff: null };
}
