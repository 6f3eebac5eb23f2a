import type { Target } from '../drivers/driver.js';
import type { StepRow } from '../journal.js';
import type { RestoreSubject } from './restore-runner.js';
import type { ReturnConditions } from './return-conditions.js';

/**
 * Where the restore stands, pure: the state of the restore as a whole and of each target, from its journal rows, and
 * the one line `upsguard status` shows ("as before the outage", "2 not back: web1 (…), db1 (…)").
 */
export interface RestoreSnapshot {
  readonly enabled: boolean;
  /** The outage run restored from, or the latest one restored; null when there has been none. */
  readonly subject: RestoreSubject | null;
  /** The restore's journal rows on that run (phases `(restore) …`). */
  readonly steps: readonly StepRow[];
  readonly conditions: ReturnConditions | null;
  readonly waiting: string | null;
  readonly running: boolean;
}

export type RestoreState = 'none' | 'waiting' | 'running' | 'interrupted' | 'restored' | 'incomplete' | 'disabled';

export type TargetRestoreState = 'pending' | 'starting' | 'done' | 'already_on' | 'failed' | 'left_off';

export interface TargetRestore {
  readonly target: Target;
  readonly state: TargetRestoreState;
  readonly error: string | null;
  readonly backAt: number | null;
}

export function restoreState(s: RestoreSnapshot): RestoreState {
  if (!s.enabled) return 'disabled';
  if (!s.subject) return 'none';
  if (s.running) return 'running';
  const status = s.subject.restore?.status;
  if (status === 'restored' || status === 'incomplete' || status === 'interrupted') return status;
  return 'waiting';
}

/** Each target the restore brings back, in order (hosts, then the tiers), then what stays off. */
export function targetRestores(s: RestoreSnapshot): TargetRestore[] {
  if (!s.subject) return [];
  const { plan } = s.subject;
  const finished = s.subject.restore?.status === 'incomplete';
  const rowsOf = new Map<string, StepRow[]>();
  for (const r of s.steps) rowsOf.set(r.target, [...(rowsOf.get(r.target) ?? []), r]);
  const out: TargetRestore[] = [];
  const failedHosts = new Set<string>();
  const one = (t: Target): TargetRestore => {
    const rows = rowsOf.get(t.name) ?? [];
    const wait = rows.filter((r) => r.action === 'wait').at(-1);
    const on = rows.filter((r) => r.action === 'power_on').at(-1);
    const platform = rows.filter((r) => r.action === 'platform').at(-1);
    if (wait?.result === 'ok') {
      const state = on?.result === 'skipped' ? 'already_on' : 'done';
      if (platform?.result === 'failed')
        return { target: t, state: 'failed', error: platform.error, backAt: wait.finishedAt };
      return { target: t, state, error: null, backAt: wait.finishedAt };
    }
    if (wait?.result === 'timeout') return { target: t, state: 'failed', error: wait.error, backAt: null };
    if (on?.result === 'failed' && t.kind === 'vm')
      return { target: t, state: 'failed', error: on.error, backAt: null };
    if (t.kind === 'vm' && t.host !== undefined && failedHosts.has(t.host)) {
      return { target: t, state: 'failed', error: `its host ${t.host} did not come back`, backAt: null };
    }
    if (rows.length > 0) return { target: t, state: 'starting', error: null, backAt: null };
    return { target: t, state: finished ? 'failed' : 'pending', error: finished ? 'not started' : null, backAt: null };
  };
  for (const h of plan.hosts) {
    const r = one(h);
    if (r.state === 'failed') failedHosts.add(h.name);
    out.push(r);
  }
  for (const tier of plan.tiers) for (const t of tier.targets) out.push(one(t));
  for (const l of plan.leftOff) out.push({ target: l.target, state: 'left_off', error: l.why, backAt: null });
  return out;
}

/** The one line for `upsguard status`: whether the cluster is as it was before the outage. */
export function restoreSummary(s: RestoreSnapshot): string {
  const state = restoreState(s);
  if (state === 'disabled') return 'restore disabled (restore.enabled is false)';
  if (state === 'none') return 'no outage to restore from';
  if (state === 'restored') return 'as before the outage';
  const notBack = targetRestores(s).filter(
    (t) => t.state !== 'done' && t.state !== 'already_on' && t.state !== 'left_off',
  );
  const names = notBack.map((t) => (t.error ? `${t.target.name} (${t.error})` : t.target.name));
  const shown = names.length > 10 ? [...names.slice(0, 10), `… ${names.length - 10} more`] : names;
  const head = notBack.length === 0 ? 'all back' : `${notBack.length} not back: ${shown.join(', ')}`;
  if (state === 'incomplete') return head;
  if (state === 'running') return `restoring: ${head}`;
  const why = s.waiting ?? s.subject?.restore?.summary ?? null;
  return `${state === 'interrupted' ? 'restore interrupted' : 'waiting to restore'}: ${head}${why ? ` (${why})` : ''}`;
}
