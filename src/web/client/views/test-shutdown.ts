// Test shutdown: a dry run by default (its verdict line above the timeline); a real test of a chosen subset only
// after the plan's name is typed in the page's own dialog, followed live from the stream, abortable, and with a
// way to start again what it shut down. Viewers see the last runs only.
import { useEffect, useState } from 'preact/hooks';
import type { PlanPageView } from '../../api-types/plan.js';
import type {
  AbortView,
  DryRunResultView,
  RestoreView,
  RunDetailView,
  RunsListView,
  RunView,
  StepView,
  TestStartedView,
  VerdictView,
} from '../../api-types/runs.js';
import { getJson, send } from '../api.js';
import { ConfirmDialog } from '../components/dialog.js';
import { secs, when } from '../components/format.js';
import { listOf } from '../components/fields.js';
import { errorText } from '../components/problems.js';
import { Timeline } from '../components/timeline.js';
import { useLoad } from '../components/use-load.js';
import { html } from '../html.js';
import { onLive } from '../live.js';
import { mayOperate, type Me } from './me.js';

function isRun(v: unknown): v is RunView {
  return typeof v === 'object' && v !== null && typeof (v as RunView).id === 'number' && 'status' in v;
}
function isStep(v: unknown): v is StepView {
  return typeof v === 'object' && v !== null && typeof (v as StepView).runId === 'number' && 'target' in v;
}

/** Steps by id, newest version wins (the stream sends a step when it starts and again when it ends). */
function mergeSteps(old: readonly StepView[], s: StepView): StepView[] {
  const i = old.findIndex((o) => o.id === s.id);
  if (i < 0) return [...old, s];
  const next = old.slice();
  next[i] = s;
  return next;
}

function VerdictLine(props: { verdict: VerdictView }) {
  const v = props.verdict;
  return html`<p class=${`verdict ${v.ok ? 'verdict-ok' : 'verdict-bad'}`} id="verdict" role="status">
    <strong>${v.ok ? 'OK' : 'Check'}:</strong> ${v.verdict}
  </p>`;
}

function RunsTable(props: { runs: readonly RunView[] }) {
  if (props.runs.length === 0) return html`<p class="muted">No runs yet.</p>`;
  return html`<div class="table-wrap">
    <table class="data-table" id="runs-table">
      <thead>
        <tr>
          <th scope="col">Run</th>
          <th scope="col">Kind</th>
          <th scope="col">Started</th>
          <th scope="col">Status</th>
          <th scope="col">Summary</th>
        </tr>
      </thead>
      <tbody>
        ${props.runs.map(
          (r) =>
            html`<tr data-run=${r.id} data-mode=${r.mode} data-status=${r.status}>
              <td>#${r.id}</td>
              <td>${r.kind}${r.subset ? html`<br /><small class="muted">${r.subset.join(', ')}</small>` : ''}</td>
              <td>${when(r.startedAt)}</td>
              <td><span class=${`badge ${statusTone(r.status)}`}>${r.status}</span></td>
              <td>${r.verdict?.verdict ?? r.summary ?? (r.abortedBy ? `aborted by ${r.abortedBy}` : '')}</td>
            </tr>`,
        )}
      </tbody>
    </table>
  </div>`;
}

const statusTone = (s: RunView['status']): string =>
  s === 'completed' ? 'ok' : s === 'running' ? 'running' : s === 'aborted' ? 'warn' : 'bad';

export function TestShutdownView(props: { me: Me }) {
  const plan = useLoad<PlanPageView>('/api/plan');
  const runs = useLoad<RunsListView>('/api/runs?limit=10');
  const operate = mayOperate(props.me);

  const [dry, setDry] = useState<DryRunResultView | null>(null);
  const [busy, setBusy] = useState<'dry' | 'real' | 'abort' | 'restore' | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [chosen, setChosen] = useState<ReadonlySet<string>>(new Set());
  // Names typed by hand (a target the page does not list yet): the server checks them and names any it does not know.
  const [extra, setExtra] = useState('');
  const [asking, setAsking] = useState<'start' | 'abort' | null>(null);
  const [run, setRun] = useState<RunView | null>(null);
  const [steps, setSteps] = useState<StepView[]>([]);
  const [restore, setRestore] = useState<RestoreView | null>(null);
  const [abortNote, setAbortNote] = useState<string | null>(null);

  // Live progress of the run this page started: its `run` and `step` messages, nothing polled.
  const runId = run?.id ?? null;
  useEffect(() => {
    const offRun = onLive('run', (d) => {
      if (isRun(d)) {
        if (d.id === runId) setRun(d);
        if (d.status !== 'running') {
          runs.reload();
          plan.reload();
        }
      }
    });
    const offStep = onLive('step', (d) => {
      if (isStep(d) && d.runId === runId) setSteps((old) => mergeSteps(old, d));
    });
    return () => {
      offRun();
      offStep();
    };
  }, [runId]);

  const p = plan.data?.plan ?? null;

  const runDry = async (): Promise<void> => {
    setBusy('dry');
    setError(null);
    try {
      setDry(await send<DryRunResultView>('POST', '/api/plan/dry-run'));
      runs.reload();
      plan.reload();
    } catch (err) {
      setError(errorText(err));
    } finally {
      setBusy(null);
    }
  };

  const startReal = async (): Promise<void> => {
    if (!p) return;
    setBusy('real');
    setError(null);
    setRestore(null);
    setAbortNote(null);
    try {
      const subset = [...new Set([...chosen, ...listOf(extra)])];
      const started = await send<TestStartedView>('POST', '/api/shutdown/test', {
        mode: 'real',
        subset,
        confirm: p.name,
      });
      setSteps([]);
      setDry(null);
      // The stream carries what follows; one read catches up with what happened before we subscribed.
      const detail = await getJson<RunDetailView>(`/api/runs/${started.runId}`);
      setRun(detail.run);
      setSteps((live) => detail.steps.reduce(mergeSteps, live));
      runs.reload();
    } catch (err) {
      setError(errorText(err));
    } finally {
      setBusy(null);
      setAsking(null);
    }
  };

  const abort = async (): Promise<void> => {
    if (!run) return;
    setBusy('abort');
    setError(null);
    try {
      const a = await send<AbortView>('POST', `/api/runs/${run.id}/abort`);
      setAbortNote(a.message);
    } catch (err) {
      setError(errorText(err));
    } finally {
      setBusy(null);
      setAsking(null);
    }
  };

  const startAgain = async (): Promise<void> => {
    if (!run) return;
    setBusy('restore');
    setError(null);
    try {
      setRestore(await send<RestoreView>('POST', `/api/runs/${run.id}/restore`));
      plan.reload();
    } catch (err) {
      setError(errorText(err));
    } finally {
      setBusy(null);
    }
  };

  const toggle = (name: string, on: boolean): void => {
    setChosen((old) => {
      const next = new Set(old);
      if (on) next.add(name);
      else next.delete(name);
      return next;
    });
  };

  const running = run?.status === 'running';
  const finished = run !== null && !running;

  return html`<section class="view view-actions" aria-labelledby="test-title">
    <h2 id="test-title">Test shutdown</h2>
    ${plan.error && html`<p class="problem" role="alert">${plan.error}</p>`}
    ${plan.data && !p && html`<p class="muted">No shutdown plan is configured: there is nothing to test.</p>`}
    ${error && html`<p class="problem" role="alert" id="test-error">${error}</p>`}
    ${
      operate &&
      p &&
      html`<div class="card">
          <h3>Dry run</h3>
          <p class="muted small">
            Reads every target and times what would happen; nothing is powered off. The scheduled dry run does the same.
          </p>
          <button type="button" class="primary" id="dry-run" disabled=${busy !== null} onClick=${() => void runDry()}>
            ${busy === 'dry' ? 'Running dry run…' : 'Run a dry test'}
          </button>
          ${dry && html`<${VerdictLine} verdict=${dry.verdict} />`}
          ${
            dry &&
            html`<${Timeline}
              phases=${p.phases}
              finalHosts=${p.finalHosts}
              loadOff=${p.loadOff}
              runtimeLeftS=${dry.verdict.runtimeLeftS}
              phaseEstimates=${plan.data?.estimate?.phases}
              steps=${dry.steps}
            />`
          }
        </div>
        <div class="card">
          <h3>Real test of a subset</h3>
          <p class="muted small">
            Really shuts down the targets you choose (whole phases or single targets), in plan order, without the UPS
            load-off. You are asked for the plan's name first.
          </p>
          <fieldset class="subset" disabled=${running || busy !== null}>
            <legend>What to shut down</legend>
            ${p.phases.map(
              (ph) =>
                html`<div class="subset-phase" data-phase=${ph.name}>
                  <label class="check">
                    <input
                      type="checkbox"
                      name="subset"
                      value=${ph.name}
                      checked=${chosen.has(ph.name)}
                      onChange=${(e: Event) => toggle(ph.name, (e.currentTarget as HTMLInputElement).checked)}
                    />
                    <strong>phase ${ph.name}</strong>
                  </label>
                  <div class="subset-targets">
                    ${ph.targets.map(
                      (t) =>
                        html`<label class="check">
                          <input
                            type="checkbox"
                            name="subset"
                            value=${t.name}
                            checked=${chosen.has(t.name) || chosen.has(ph.name)}
                            disabled=${chosen.has(ph.name)}
                            onChange=${(e: Event) => toggle(t.name, (e.currentTarget as HTMLInputElement).checked)}
                          />
                          ${t.name}
                        </label>`,
                    )}
                  </div>
                </div>`,
            )}
            <div class="field">
              <label class="field-label" for="subset-extra">Other targets or phases (comma-separated)</label>
              <input
                id="subset-extra"
                name="subset-extra"
                autocomplete="off"
                value=${extra}
                onInput=${(e: Event) => setExtra((e.currentTarget as HTMLInputElement).value)}
              />
            </div>
          </fieldset>
          <button
            type="button"
            class="danger"
            id="start-real"
            disabled=${chosen.size + listOf(extra).length === 0 || running || busy !== null}
            onClick=${() => setAsking('start')}
          >
            Start real test…
          </button>
        </div>`
    }
    ${
      run &&
      p &&
      html`<div class="card" id="run-progress" data-run=${run.id} data-status=${run.status}>
        <h3>Run #${run.id}: ${run.status}${run.phase ? `, phase ${run.phase}` : ''}</h3>
        <p class="small" role="status" aria-live="polite">
          ${running ? 'Running: progress comes live from the appliance.' : (run.summary ?? '')}
          ${run.abortedBy && !run.summary ? ` Aborted by ${run.abortedBy}.` : ''}
        </p>
        ${abortNote && html`<p class="small">${abortNote}</p>`}
        ${
          running &&
          operate &&
          html`<button
            type="button"
            class="danger"
            id="abort-run"
            disabled=${busy !== null}
            onClick=${() => setAsking('abort')}
          >
            Abort run
          </button>`
        }
        ${
          finished &&
          operate &&
          run.mode === 'real' &&
          !restore &&
          html`<button type="button" id="restore-run" disabled=${busy !== null} onClick=${() => void startAgain()}>
            ${busy === 'restore' ? 'Starting again…' : 'Start again what it shut down'}
          </button>`
        }
        ${
          restore &&
          html`<p class=${restore.failed.length ? 'problem' : 'ok-text'} id="restore-result" role="status">
            ${restore.restored.length ? `Started again: ${restore.restored.join(', ')}.` : 'Nothing needed starting.'}
            ${restore.failed.map((f) => ` ${f.name} (${f.driver}) failed: ${f.error}.`)}
          </p>`
        }
        <${Timeline}
          phases=${p.phases}
          finalHosts=${p.finalHosts}
          loadOff=${null}
          runtimeLeftS=${run.runtimeLeftS}
          phaseEstimates=${plan.data?.estimate?.phases}
          steps=${steps}
          subset=${run.subset ? new Set(run.subset) : null}
        />
      </div>`
    }
    <div class="card">
      <h3>Last runs</h3>
      ${runs.error && html`<p class="problem">${runs.error}</p>`}
      ${runs.data && html`<${RunsTable} runs=${runs.data.runs} />`}
      ${
        plan.data?.lastDryRun?.verdict &&
        html`<p class="small muted">
          ${`Last dry run (#${plan.data.lastDryRun.id}, ${when(plan.data.lastDryRun.at)}): ${plan.data.lastDryRun.verdict.verdict}`}
        </p>`
      }
    </div>
    <${ConfirmDialog}
      open=${asking === 'start'}
      title="Start a real test shutdown"
      confirmLabel="Start"
      typed=${p?.name ?? ''}
      danger=${true}
      busy=${busy === 'real'}
      onConfirm=${() => void startReal()}
      onCancel=${() => setAsking(null)}
    >
      <p>
        This really shuts down: <strong>${[...chosen, ...listOf(extra)].join(', ')}</strong>.
        ${` The whole plan takes about ${secs(plan.data?.estimate?.totalS)}; a subset less.`}
      </p>
    </${ConfirmDialog}>
    <${ConfirmDialog}
      open=${asking === 'abort'}
      title="Abort the run"
      confirmLabel="Abort run"
      danger=${true}
      busy=${busy === 'abort'}
      onConfirm=${() => void abort()}
      onCancel=${() => setAsking(null)}
    >
      <p>
        No further targets are started; those being shut down now finish their current call. What is already off
        stays off until you start it again.
      </p>
    </${ConfirmDialog}>
  </section>`;
}
