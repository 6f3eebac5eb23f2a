import type { Target } from '../drivers/driver.js';
import type { PowerState } from '../drivers/driver.js';
import type { RestoreRow, TargetBefore } from '../journal.js';
import type { ResolvedPlan } from '../plan.js';
import { planTargets } from './record-before.js';

/**
 * What a restore brings back and in which order, pure. "Running before" is what the journal recorded when the run
 * began (on or booting); a target off, stopping or unread then stays off. Hosts first (a VM starts only on a running
 * host), then the VMs by phase, the last phase to go down first. The hosts and the first VM tier to come up (the last
 * phase that went down holding VMs) are the first tier, with the lower battery bar; every other tier has the other.
 */
export interface RestoreTier {
  /** The journal phase of its steps: `(restore) <plan phase>`. */
  readonly phase: string;
  readonly bar: 'first' | 'other';
  readonly targets: readonly Target[];
}

export interface RestorePlan {
  readonly hosts: readonly Target[];
  readonly tiers: readonly RestoreTier[];
  /** Targets of the plan left as they are, with why (off before the outage, state not read). */
  readonly leftOff: readonly { readonly target: Target; readonly why: string }[];
  /** The recorded state of each target brought back. */
  readonly before: ReadonlyMap<string, TargetBefore>;
}

export const RESTORE_PHASE_PREFIX = '(restore) ';
export const RESTORE_START_PHASE = `${RESTORE_PHASE_PREFIX}start`;
export const RESTORE_HOSTS_PHASE = `${RESTORE_PHASE_PREFIX}hosts`;
export const RESTORE_PLATFORM_PHASE = `${RESTORE_PHASE_PREFIX}platform`;

export function wasRunning(p: PowerState): boolean {
  return p === 'on' || p === 'booting';
}

/**
 * The targets to bring back after a run, newest run first in `chain` (the run itself, then the outage runs before
 * it). A run whose own restore never finished (mains failed again, and a new outage run went over the partly restored
 * cluster) hands on what it wanted: the new run recorded the cluster half back, the owner wants it whole.
 */
export function wantedBefore(
  chain: readonly { readonly before: readonly TargetBefore[]; readonly restore: RestoreRow | undefined }[],
): Map<string, TargetBefore> {
  const out = new Map<string, TargetBefore>();
  for (const [i, link] of chain.entries()) {
    if (i > 0 && (link.restore?.status === 'restored' || link.restore?.status === 'incomplete')) break;
    if (link.before.length === 0) break;
    for (const b of link.before) if (wasRunning(b.power) && !out.has(b.target)) out.set(b.target, b);
  }
  return out;
}

export function restorePlan(
  plan: ResolvedPlan,
  wanted: ReadonlyMap<string, TargetBefore>,
  /** What this run recorded, to say why a target stays off. */
  recorded: readonly TargetBefore[] = [],
): RestorePlan {
  const all = planTargets(plan);
  const power = new Map(recorded.map((b) => [b.target, b.power]));
  const why = (t: Target): string =>
    power.get(t.name) === 'unknown' || !power.has(t.name)
      ? 'its state was not read before the outage'
      : `${power.get(t.name) ?? 'off'} before the outage`;
  const vmHosts = new Set(
    all.filter((x) => x.target.kind === 'vm' && wanted.has(x.target.name)).map((x) => x.target.host),
  );
  const hosts: Target[] = [];
  const leftOff: { target: Target; why: string }[] = [];
  for (const { target: t } of all) {
    if (t.kind !== 'host') continue;
    if (wanted.has(t.name) || vmHosts.has(t.name)) hosts.push(t);
    else leftOff.push({ target: t, why: why(t) });
  }
  const tiers: RestoreTier[] = [];
  const last = plan.phases.length - 1;
  for (let i = last; i >= 0; i--) {
    const p = plan.phases[i]!;
    const targets: Target[] = [];
    for (const t of p.targets) {
      if (t.kind === 'host') continue;
      if (wanted.has(t.name)) targets.push(t);
      else leftOff.push({ target: t, why: why(t) });
    }
    // The first tier to come up (with the hosts) is the last phase that went down holding VMs: a plan's last phase
    // is often its hosts alone, and the storage and core services just before them are what the lower bar is for.
    const bar = tiers.length === 0 ? 'first' : 'other';
    if (targets.length > 0) tiers.push({ phase: `${RESTORE_PHASE_PREFIX}${p.name}`, bar, targets });
  }
  return { hosts, tiers, leftOff, before: wanted };
}
