import type { RestoreApiView } from '../web/api-types/restore.js';
import type { DecisionResponse } from '../web/api-types/decision.js';
import type { PlanPageView } from '../web/api-types/plan.js';
import type { RunsListView } from '../web/api-types/runs.js';
import type { NutServerSummary, StatusResponse, UpsStatusView } from '../web/api-types/status.js';

/** What `upsguard status` read from the service; a part the service does not serve (no plan) is null. */
export interface ServiceReadout {
  readonly url: string;
  readonly status: StatusResponse;
  readonly decision: DecisionResponse | null;
  readonly plan: PlanPageView | null;
  readonly runs: RunsListView | null;
  /** The restore after the last outage; null when the service has no plan to restore. */
  readonly restore?: RestoreApiView | null;
}

/** The screen, and the things that need attention (empty: all is well). */
export interface StatusReport {
  readonly lines: readonly string[];
  readonly attention: readonly string[];
}

function duration(s: number | null): string {
  if (s === null) return '?';
  const t = Math.max(0, Math.round(s));
  if (t < 60) return `${t} s`;
  if (t < 3600) return `${Math.floor(t / 60)} min ${t % 60} s`;
  const h = Math.floor(t / 3600);
  if (h < 48) return `${h} h ${Math.floor((t % 3600) / 60)} min`;
  return `${Math.floor(h / 24)} d ${h % 24} h`;
}

function upsLines(u: UpsStatusView, attention: string[]): string[] {
  const charge = u.charge === null ? '?' : `${u.charge}%`;
  const line = `  ${u.name}: ${u.state.words} (${u.status.join(' ') || 'no status'}), charge ${charge}, runtime ${duration(u.runtimeS)}, comms ${u.comms}`;
  const out = [line];
  if (!u.status.includes('OL') || u.state.state !== 'online')
    attention.push(`UPS ${u.name} is ${u.state.words.toLowerCase()}`);
  if (u.comms !== 'ok') attention.push(`UPS ${u.name}: comms ${u.comms}`);
  if (u.problem) out.push(`    problem: ${u.problem}`);
  if (u.relay) {
    const r = u.relay;
    out.push(
      `    relay ${r.url} (${r.agentHost ?? 'agent'}): link ${r.link}, device ${r.device}` +
        (r.rttMs === null ? '' : `, rtt ${r.rttMs} ms`) +
        (r.controller ? ', controller' : ''),
    );
    if (r.link !== 'connected') attention.push(`relay link of ${u.name} is ${r.link}`);
    if (r.problem) out.push(`    relay problem: ${r.problem}`);
  }
  return out;
}

function nutLine(n: NutServerSummary | null, attention: string[]): string {
  if (n === null) return 'NUT server: not part of this service';
  if (n.state === 'listening')
    return `NUT server: listening on ${n.host ?? '?'}:${n.port ?? '?'}, ${n.clients} client(s)`;
  if (n.state === 'disabled') return 'NUT server: disabled';
  attention.push(`NUT server not listening: ${n.reason ?? 'failed'}`);
  return `NUT server: failed (${n.reason ?? 'unknown reason'})`;
}

function planLines(plan: PlanPageView | null, attention: string[]): string[] {
  if (plan === null) return ['Plan: none'];
  const out: string[] = [];
  const estimate = plan.estimate ? `, estimated ${duration(plan.estimate.totalS)}` : '';
  out.push(`Plan: ${plan.plan ? plan.plan.name : 'none'}${estimate}`);
  const last = plan.lastDryRun;
  if (last === null) out.push('  last dry run: never');
  else {
    const verdict = last.verdict ? `: ${last.verdict.verdict}` : '';
    out.push(`  last dry run: #${last.id} at ${last.at}, ${last.status}${verdict}`);
    if (last.status === 'failed' || last.status === 'aborted' || last.verdict?.ok === false) {
      attention.push(`the last dry run (#${last.id}) ${last.verdict?.ok === false ? 'found problems' : last.status}`);
    }
  }
  for (const d of plan.drivers) {
    const failing = d.checks.filter((c) => !c.ok);
    out.push(
      `  driver ${d.driver}: ${d.ok ? 'ok' : 'FAILING'} (checked ${d.checkedAt}, ${d.targets.length} target(s))` +
        (failing.length > 0 ? `: ${failing.map((c) => c.message).join('; ')}` : ''),
    );
    if (!d.ok) attention.push(`driver ${d.driver} check failing`);
  }
  for (const u of plan.unreachable) {
    out.push(`  driver ${u.driver}: unreachable: ${u.error}`);
    attention.push(`driver ${u.driver} unreachable`);
  }
  for (const p of plan.problems) out.push(`  plan problem (${p.rule}): ${p.message}`);
  return out;
}

/** Whether the cluster is as it was before the last outage. */
function restoreLines(r: RestoreApiView | null, attention: string[]): string[] {
  if (r === null || r.state === 'none' || r.state === 'disabled') return [];
  const line = `Cluster after run #${r.runId ?? '?'}: ${r.asBefore}`;
  if (r.state === 'incomplete' || r.state === 'interrupted') attention.push(`the restore is ${r.state}: ${r.asBefore}`);
  else if (r.state === 'waiting' || r.state === 'running') attention.push(`the restore is ${r.state}`);
  return [line];
}

/** The one screen `upsguard status` prints, from what the service answered. Pure. */
export function statusReport(r: ServiceReadout): StatusReport {
  const attention: string[] = [];
  const s = r.status;
  const lines: string[] = [`upsguard ${s.version} at ${r.url}, up ${duration(s.uptimeS)}`];
  lines.push(`UPS (${s.ups.length}):`);
  for (const u of s.ups) lines.push(...upsLines(u, attention));
  if (r.decision) {
    lines.push(`Decision: ${r.decision.level}: ${r.decision.sentence}`);
    if (r.decision.level !== 'normal') attention.push(`the policy decision is ${r.decision.level}`);
  } else lines.push('Decision: not available');
  lines.push(...planLines(r.plan, attention));
  if (r.runs && r.runs.active.length > 0) {
    lines.push(`Runs in progress: ${r.runs.active.map((id) => `#${id}`).join(', ')}`);
    attention.push(`${r.runs.active.length} shutdown run(s) in progress`);
  }
  lines.push(...restoreLines(r.restore ?? null, attention));
  lines.push(nutLine(s.nut, attention));
  if (!s.store.historyKept) {
    lines.push(`Store: history NOT kept (${s.store.reason ?? 'unknown'})`);
    attention.push('the store is not keeping history');
  } else lines.push(`Store: ${s.store.path ?? 'in memory'}`);
  lines.push(attention.length === 0 ? 'All is well.' : `Needs attention (${attention.length}):`);
  for (const a of attention) lines.push(`  - ${a}`);
  return { lines, attention };
}
