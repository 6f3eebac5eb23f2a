// The plan as a timeline against the runtime left: one row per phase, its bar placed where it starts and sized by
// its estimate on one scale with the runtime, the point of no return marked, then the load-off and the final hosts.
// Bars are SVG geometry (attributes, not inline styles), so the page's CSP stays strict.
import type { LoadOffView, PlanPhaseView, PlanTargetView } from '../../api-types/plan.js';
import type { StepView } from '../../api-types/runs.js';
import { html } from '../html.js';
import { secs } from './format.js';

export interface TimelineProps {
  phases: readonly PlanPhaseView[];
  finalHosts: readonly PlanTargetView[];
  loadOff: LoadOffView | null;
  runtimeLeftS: number | null;
  /** Estimated seconds per phase (the plan estimate), used when a phase has none of its own. */
  phaseEstimates?: readonly { name: string; seconds: number }[];
  /** Steps of a run being shown (live or finished): each target's state and time taken come from them. */
  steps?: readonly StepView[];
  /** Targets the run covers (a subset test): the rest are drawn as not part of it. */
  subset?: ReadonlySet<string> | null;
}

const W = 1000;

interface TargetState {
  label: string;
  tone: 'ok' | 'bad' | 'warn' | 'running' | 'idle';
  tookS: number | null;
}

/** What the steps of a run say about one target: its last step decides, durations add up. */
function targetState(steps: readonly StepView[], name: string): TargetState | null {
  const mine = steps.filter((s) => s.target === name);
  const last = mine[mine.length - 1];
  if (!last) return null;
  const tookMs = mine.reduce((sum, s) => sum + (s.durationMs ?? 0), 0);
  const tookS = mine.some((s) => s.durationMs !== null) ? tookMs / 1000 : null;
  if (last.finishedAt === null) return { label: `${last.action}…`, tone: 'running', tookS };
  const outcome = last.outcome ?? last.result ?? 'done';
  const bad = last.result === 'failed' || last.result === 'timeout' || last.outcome === 'failed';
  const warn = last.outcome === 'hard_off' || last.result === 'interrupted' || last.result === 'skipped';
  return { label: outcome.replace(/_/g, ' '), tone: bad ? 'bad' : warn ? 'warn' : 'ok', tookS };
}

function TargetLine(props: { t: PlanTargetView; steps?: readonly StepView[]; inRun: boolean }) {
  const { t } = props;
  const state = props.steps ? targetState(props.steps, t.name) : null;
  const took = state?.tookS ?? t.lastDryRunS;
  return html`<li
    class=${`tl-target${props.inRun ? '' : ' tl-out'}`}
    data-target=${t.name}
    data-state=${state?.tone ?? 'idle'}
  >
    <span class="tl-name">${t.name}</span>
    <span class="muted small">${t.kind}${t.host ? ` on ${t.host}` : ''} · ${t.driver}</span>
    <span class=${`power power-${t.power ?? 'unknown'}`}>${t.power ?? 'unknown'}</span>
    ${t.tools === 'not-running' && html`<span class="badge warn">no tools</span>`}
    <span class="small">
      ${took !== null ? `took ${secs(took)}` : ''}
      ${t.estimate ? ` · est. ${secs(t.estimate.medianS)} (p90 ${secs(t.estimate.p90S)}, ${t.estimate.source})` : ''}
    </span>
    ${state && html`<span class=${`badge ${state.tone}`} data-step-state>${state.label}</span>`}
    ${!props.inRun && html`<span class="muted small">not in this test</span>`}
  </li>`;
}

export function Timeline(props: TimelineProps) {
  const est = (p: PlanPhaseView): number =>
    p.estimateS ?? props.phaseEstimates?.find((e) => e.name === p.name)?.seconds ?? 0;
  const total = props.phases.reduce((sum, p) => sum + est(p), 0);
  const scale = Math.max(total, props.runtimeLeftS ?? 0, 1);
  const x = (s: number): number => Math.round((s / scale) * W);
  const runtimeX = props.runtimeLeftS === null ? null : x(props.runtimeLeftS);
  const inRun = (name: string, phase: string): boolean =>
    !props.subset || props.subset.has(name) || props.subset.has(phase);
  let start = 0;

  const marker =
    runtimeX === null ? null : html`<line class="tl-runtime" x1=${runtimeX} x2=${runtimeX} y1="0" y2="12" />`;

  return html`<div class="timeline" role="list" aria-label="Shutdown timeline">
    <p class="tl-scale small muted">
      ${`Plan ${secs(total)} end to end · runtime left ${secs(props.runtimeLeftS)}`}${
        props.runtimeLeftS !== null && total > props.runtimeLeftS
          ? html` · <strong class="problem">the plan does not fit in the runtime left</strong>`
          : ''
      }
    </p>
    ${props.phases.map((p) => {
      const from = start;
      const d = est(p);
      start += d;
      return html`<div class=${`tl-phase${p.pointOfNoReturn ? ' tl-ponr' : ''}`} role="listitem" data-phase=${p.name}>
        <div class="tl-head">
          <strong>${p.name}</strong>
          <span class="small">
            ${p.method}, timeout ${p.timeoutS} s, ${p.concurrency} at a time · starts at ${secs(from)}, takes ${secs(d)}
          </span>
          ${
            p.pointOfNoReturn &&
            html`<span class="badge warn" title="From here on, mains returning no longer stops the run"
              >point of no return</span
            >`
          }
        </div>
        <svg class="tl-bar" viewBox="0 0 ${W} 12" preserveAspectRatio="none" aria-hidden="true" focusable="false">
          <rect class="tl-track" x="0" y="2" width=${W} height="8" />
          <rect class="tl-fill" x=${x(from)} y="2" width=${Math.max(x(d), 2)} height="8" />
          ${marker}
        </svg>
        <ul class="tl-targets">
          ${p.targets.map((t) => html`<${TargetLine} t=${t} steps=${props.steps} inRun=${inRun(t.name, p.name)} />`)}
        </ul>
      </div>`;
    })}
    <div class="tl-phase tl-final" role="listitem" data-phase="(final)">
      <div class="tl-head">
        <strong>final</strong>
        <span class="small">
          ${
            props.loadOff
              ? `UPS ${props.loadOff.ups} load-off (output off after ${props.loadOff.offDelayS} s, back on ${props.loadOff.onDelayS} s after mains returns)${props.finalHosts.length === 0 ? '' : `, then the final host${props.finalHosts.length === 1 ? '' : 's'}`}`
              : 'no load-off; the final host halts last'
          }
        </span>
      </div>
      <ul class="tl-targets">
        ${props.finalHosts.map(
          (t) => html`<${TargetLine} t=${t} steps=${props.steps} inRun=${inRun(t.name, '(final)')} />`,
        )}
      </ul>
    </div>
  </div>`;
}
