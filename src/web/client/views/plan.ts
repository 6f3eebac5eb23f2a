// Plan: the phases as a timeline of the last dry run against the runtime left, each driver's last check (even when
// it is unreachable), and one list of targets. Admins edit the plan with the same cycle as the policy: the server
// validates and previews each change (problems by field, the plan resolved with its estimate), then saves it.
import { useEffect, useState } from 'preact/hooks';
import type { PlanConfigResponse, PlanPreviewResponse } from '../../api-types/plan-config.js';
import type { DriverCheckView, MergedTargetView, PlanPageView } from '../../api-types/plan.js';
import type { FieldProblem, SectionSaveResponse } from '../../api-types/policy.js';
import { ApiError, send } from '../api.js';
import { secs, when } from '../components/format.js';
import { draftOfPlan, PLAN_PATH, PlanEditor, planOf, type PlanDraft } from '../components/plan-editor.js';
import { errorText, ProblemList, problemsAt } from '../components/problems.js';
import { Timeline } from '../components/timeline.js';
import { useLoad } from '../components/use-load.js';
import { usePreview } from '../components/use-preview.js';
import { html } from '../html.js';
import { onLive } from '../live.js';
import { isAdmin, type Me } from './me.js';

function DriverCheck(props: { d: DriverCheckView; unreachable?: string }) {
  const { d } = props;
  return html`<div class="driver card" data-driver=${d.driver} data-ok=${String(d.ok)}>
    <p class="driver-head">
      <strong>${d.driver}</strong>
      <span class=${`badge ${d.ok ? 'ok' : 'bad'}`}>${d.ok ? 'check ok' : 'check failed'}</span>
      <span class="small muted"> · ${d.targets.length} targets · checked ${when(d.checkedAt)}</span>
    </p>
    ${props.unreachable && html`<p class="problem small">Unreachable: ${props.unreachable}</p>`}
    ${d.checks
      .filter((c) => !c.ok)
      .map((c) => html`<p class="problem small">${c.target ? `${c.target}: ` : ''}${c.message}</p>`)}
    ${
      d.targets.length > 0 &&
      html`<ul class="chips">
        ${d.targets.map(
          (t) =>
            html`<li class=${`chip power-${t.power}`} data-target=${t.name}>
              ${t.name} ${t.power}${t.tools === 'not-running' ? ' · no tools' : t.tools === 'running' ? ' · tools' : ''}
            </li>`,
        )}
      </ul>`
    }
  </div>`;
}

function TargetsTable(props: { targets: readonly MergedTargetView[] }) {
  return html`<div class="table-wrap">
    <table class="data-table" id="plan-targets">
      <caption class="visually-hidden">
        Every target: what the plan shuts down and what the drivers found
      </caption>
      <thead>
        <tr>
          <th scope="col">Target</th>
          <th scope="col">Driver</th>
          <th scope="col">Power</th>
          <th scope="col">In the plan</th>
          <th scope="col">Found by the driver</th>
        </tr>
      </thead>
      <tbody>
        ${props.targets.map(
          (t) =>
            html`<tr data-target=${t.name} data-driver=${t.driver}>
              <td>${t.name}<br /><small class="muted">${t.kind}${t.host ? ` on ${t.host}` : ''}</small></td>
              <td>${t.driver}</td>
              <td>
                <span class=${`power power-${t.power ?? 'unknown'}`}>${t.power ?? 'unknown'}</span>${
                  t.tools === 'not-running' ? ' · no tools' : ''
                }
              </td>
              <td>${t.inPlan ? `phase ${t.phase ?? ''}` : html`<span class="muted">not used</span>`}</td>
              <td>${t.discovered ? 'yes' : html`<span class="problem">not found</span>`}</td>
            </tr>`,
        )}
      </tbody>
    </table>
  </div>`;
}

function PreviewBox(props: { preview: PlanPreviewResponse }) {
  const p = props.preview;
  if (!p.valid || !p.plan) return null;
  const fits = p.plan.totalS === null || p.runtimeLeftS === null || p.plan.totalS <= p.runtimeLeftS;
  return html`<div class="preview" id="plan-preview" role="status">
    <p>
      <strong>With this plan:</strong> about ${secs(p.plan.totalS)} end to end; runtime left ${secs(p.runtimeLeftS)}
      ${!fits && html`<strong class="problem"> — it does not fit</strong>`}
    </p>
    <ol class="small">
      ${p.plan.phases.map(
        (ph) =>
          html`<li data-preview-phase=${ph.name}>
            <strong>${ph.name}</strong>
            ${` (${ph.method}, ${secs(ph.estimateS)}${ph.pointOfNoReturn ? ', point of no return' : ''}): `}
            ${ph.targets.length ? ph.targets.map((t) => t.name).join(', ') : html`<em>no targets</em>`}
          </li>`,
      )}
      <li>
        <strong>final</strong
        >${': '}${p.plan.loadOff ? `load-off ${p.plan.loadOff.ups}${p.plan.finalHosts.length ? ', then ' : ''}` : ''}${p.plan.finalHosts
          .map((t) => t.name)
          .join(', ')}
      </li>
    </ol>
    ${p.planProblems.map((x) => html`<p class="problem small">[${x.rule}] ${x.message}</p>`)}
    ${p.unreachable.map((u) => html`<p class="problem small">driver ${u.driver} unreachable: ${u.error}</p>`)}
    ${
      p.differences.length > 0 &&
      html`<p class="small muted">
        Changed: ${p.differences.map((d) => d.path.replace(`${PLAN_PATH}.`, '')).join(', ')}
      </p>`
    }
  </div>`;
}

export function PlanView(props: { me: Me }) {
  const view = useLoad<PlanPageView>('/api/plan');
  const admin = isAdmin(props.me);

  // A finished run changes the last dry run and the power states: read the plan again then (no polling).
  useEffect(
    () =>
      onLive('run', (d) => {
        if (typeof d === 'object' && d !== null && (d as { status?: unknown }).status !== 'running') view.reload();
      }),
    [],
  );

  const v = view.data;
  const unreachable = new Map((v?.unreachable ?? []).map((u) => [u.driver, u.error]));
  return html`<section class="view view-actions" aria-labelledby="plan-title">
    <h2 id="plan-title">Plan${v?.plan ? html` <span class="mono">${v.plan.name}</span>` : ''}</h2>
    ${view.error && html`<p class="problem" role="alert">${view.error}</p>`}
    ${v && !v.plan && html`<p class="muted">${v.problems.length ? 'The plan is invalid:' : 'No shutdown plan configured.'}</p>`}
    ${v && html`<${ProblemList} problems=${v.problems.map((p) => ({ path: p.rule, message: p.message }))} />`}
    ${
      v?.plan &&
      html`${
          v.lastDryRun
            ? html`<p
                class=${`verdict ${v.lastDryRun.verdict?.ok === false ? 'verdict-bad' : 'verdict-ok'}`}
                id="plan-verdict"
              >
                ${`Last dry run #${v.lastDryRun.id} (${when(v.lastDryRun.at)}): ${v.lastDryRun.verdict?.verdict ?? v.lastDryRun.status}`}
              </p>`
            : html`<p class="muted small">No dry run yet: the times are estimates.</p>`
        }
        <${Timeline}
          phases=${v.plan.phases}
          finalHosts=${v.plan.finalHosts}
          loadOff=${v.plan.loadOff}
          runtimeLeftS=${v.runtimeLeftS}
          phaseEstimates=${v.estimate?.phases}
        />
        ${v.plan.notes.map((n) => html`<p class="muted small">${n}</p>`)}`
    }
    ${
      v &&
      (v.drivers.length > 0 || v.unreachable.length > 0) &&
      html`<h3>Drivers</h3>
        <div class="driver-grid">
          ${v.drivers.map((d) => html`<${DriverCheck} d=${d} unreachable=${unreachable.get(d.driver)} />`)}
          ${v.unreachable
            .filter((u) => !v.drivers.some((d) => d.driver === u.driver))
            .map(
              (u) =>
                html`<div class="driver card" data-driver=${u.driver} data-ok="false">
                  <p class="driver-head"><strong>${u.driver}</strong> <span class="badge bad">unreachable</span></p>
                  <p class="problem small">${u.error}</p>
                </div>`,
            )}
        </div>`
    }
    ${
      v &&
      v.targets.length > 0 &&
      html`<h3>Targets</h3>
        <${TargetsTable} targets=${v.targets} />`
    }
    ${v && admin && html`<${PlanEdit} onSaved=${view.reload} />`}
    ${v && !admin && html`<p class="muted small">Only an admin can change the plan.</p>`}
  </section>`;
}

function PlanEdit(props: { onSaved: () => void }) {
  const cfg = useLoad<PlanConfigResponse>('/api/plan/config');
  const [open, setOpen] = useState(false);
  const [draft, setDraft] = useState<PlanDraft | null>(null);
  const [dirty, setDirty] = useState(false);
  const [problems, setProblems] = useState<FieldProblem[]>([]);
  const [preview, setPreview] = useState<PlanPreviewResponse | null>(null);
  const [busy, setBusy] = useState(false);
  const [saveError, setSaveError] = useState<string | null>(null);
  const [saveNote, setSaveNote] = useState<string | null>(null);

  useEffect(() => {
    if (cfg.data?.plan && !dirty) setDraft(draftOfPlan(cfg.data.plan));
  }, [cfg.data]);

  // The server checks each change a moment after the last edit.
  usePreview<PlanPreviewResponse>(
    '/api/plan/preview',
    draft && dirty ? { plan: planOf(draft) } : null,
    [draft, dirty],
    {
      answer: (p) => {
        setPreview(p);
        setProblems([...p.problems]);
      },
      error: setSaveError,
    },
  );

  const change = (d: PlanDraft): void => {
    // Reordering moves the indices the problems name: drop them until the next preview answers.
    if (d.phases.length !== draft?.phases.length || d.phases.some((p, i) => p.key !== draft.phases[i]?.key)) {
      setProblems([]);
    }
    setDraft(d);
    setDirty(true);
    setSaveError(null);
    setSaveNote(null);
  };

  const save = async (e: Event): Promise<void> => {
    e.preventDefault();
    if (!draft) return;
    setBusy(true);
    setSaveError(null);
    try {
      const r = await send<SectionSaveResponse>('PUT', '/api/plan/config', { plan: planOf(draft) });
      setSaveNote(
        `${r.saved ? `Saved to ${r.file ?? 'the config file'}` : 'Not written to a file'}${r.applied ? ' and applied now' : ''}${
          r.note ? ` (${r.note})` : ''
        }.`,
      );
      setDirty(false);
      setProblems([]);
      setPreview(null);
      cfg.reload();
      props.onSaved();
    } catch (err) {
      setSaveError(errorText(err));
      if (err instanceof ApiError && err.problems) setProblems(err.problems);
    } finally {
      setBusy(false);
    }
  };

  if (cfg.error) return html`<p class="problem">${cfg.error}</p>`;
  if (!cfg.data) return null;
  if (!open) {
    return html`<div class="form-buttons">
      <button type="button" id="edit-plan" onClick=${() => setOpen(true)}>Edit the plan</button>
      ${saveNote && html`<p class="ok-text" role="status" id="plan-save-note">${saveNote}</p>`}
    </div>`;
  }
  if (!draft) return html`<p class="muted">The configuration has no plan to edit.</p>`;
  // Problems the form has no field for (the plan as a whole, ordering rules) go above the buttons.
  const fieldPaths =
    /\.(name|method|timeout_s|concurrency|driver|kind|names|tags|vms_of|except|point_of_no_return|load_off_ups|off_delay_s|on_delay_s)$/;
  const general = problems.filter((p) => !fieldPaths.test(p.path) && problemsAt([p], PLAN_PATH).length > 0);
  const elsewhere = problems.filter((p) => problemsAt([p], PLAN_PATH).length === 0);
  return html`<form class="edit-form" id="plan-form" onSubmit=${(e: Event) => void save(e)} aria-label="Edit plan">
    <h3>Edit the plan</h3>
    <p class="small muted">${cfg.data.note}</p>
    <${PlanEditor} draft=${draft} config=${cfg.data} problems=${problems} disabled=${busy} onChange=${change} />
    <${ProblemList} problems=${[...general, ...elsewhere]} title="Problems" />
    ${dirty && preview && html`<${PreviewBox} preview=${preview} />`}
    ${saveError && html`<p class="problem" role="alert" id="plan-save-error">${saveError}</p>`}
    ${saveNote && html`<p class="ok-text" role="status" id="plan-save-note">${saveNote}</p>`}
    <div class="form-buttons">
      <button type="submit" class="primary" disabled=${busy || !dirty || !cfg.data.editable}>
        ${busy ? 'Saving…' : 'Save plan'}
      </button>
      <button
        type="button"
        disabled=${busy}
        onClick=${() => {
          if (cfg.data?.plan) setDraft(draftOfPlan(cfg.data.plan));
          setDirty(false);
          setProblems([]);
          setPreview(null);
          setOpen(false);
        }}
      >
        Cancel
      </button>
    </div>
  </form>`;
}
