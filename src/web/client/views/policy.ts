// Policy: every rule that can trip a shutdown with its setting, the current value next to it and whether it is on,
// off or tripped. Admins edit it: each change is validated by the server (preview: field messages, and the decision
// the new policy would give now), then saved; a refused save keeps the edit on the page.
import { useEffect, useMemo, useState } from 'preact/hooks';
import type {
  FieldProblem,
  PolicyPreviewResponse,
  PolicyResponse,
  PolicyRuleView,
  SectionSaveResponse,
} from '../../api-types/policy.js';
import { ApiError, send } from '../api.js';
import { numberOrText, TextField } from '../components/fields.js';
import { errorText, FieldProblems, ProblemList, problemsElsewhere } from '../components/problems.js';
import { useLoad } from '../components/use-load.js';
import { usePreview } from '../components/use-preview.js';
import { html } from '../html.js';
import { isAdmin, type Me } from './me.js';

/** The scalar settings of the `policy:` section, in the order the form shows them, with what each does. */
const FIELDS: readonly { key: string; label: string; hint: string }[] = [
  { key: 'charge_pct', label: 'Charge at or below (%)', hint: 'Empty: off.' },
  { key: 'runtime_s', label: 'Runtime at or below (s)', hint: 'Empty: off.' },
  { key: 'on_battery_s', label: 'On battery longer than (s)', hint: 'Empty: off.' },
  { key: 'runtime_factor', label: 'Runtime-aware: plan estimate ×', hint: '0 turns the runtime-aware rule off.' },
  { key: 'runtime_margin_s', label: 'Runtime-aware: plus margin (s)', hint: '' },
  { key: 'flicker_s', label: 'Ignore outages shorter than (s)', hint: 'The time-based rules wait this long.' },
  { key: 'dead_time_s', label: 'Contact lost on battery counts as low battery after (s)', hint: "upsmon's DEADTIME." },
  { key: 'ob_lb_duration_s', label: 'On battery + low battery must last (s)', hint: "upsmon's OBLBDURATION." },
];
const HOSTS = 'hosts';

type Draft = Record<string, string>;

function draftOf(policy: Readonly<Record<string, unknown>>): Draft {
  const d: Draft = {};
  for (const f of FIELDS) {
    const v = policy[f.key];
    d[f.key] =
      typeof v === 'number' || typeof v === 'string'
        ? String(v)
        : v === undefined || v === null
          ? ''
          : JSON.stringify(v);
  }
  const hosts = policy[HOSTS];
  d[HOSTS] = hosts === undefined ? '' : JSON.stringify(hosts, null, 2);
  return d;
}

/** The section to send: the file's own section with the form's values over it (empty: the key left out). */
function candidateOf(
  base: Readonly<Record<string, unknown>>,
  draft: Draft,
): { policy: Record<string, unknown>; local: FieldProblem[] } {
  // The section goes back in the file's key order: edited keys keep their place, an emptied one is left out, a
  // newly set one comes last; keys the form does not show go back as they were.
  const local: FieldProblem[] = [];
  const values = new Map<string, unknown>();
  for (const f of FIELDS) values.set(f.key, numberOrText(draft[f.key] ?? ''));
  const hosts = (draft[HOSTS] ?? '').trim();
  values.set(HOSTS, undefined);
  if (hosts !== '') {
    try {
      values.set(HOSTS, JSON.parse(hosts) as unknown);
    } catch {
      values.set(HOSTS, base[HOSTS]);
      local.push({ path: `policy.${HOSTS}`, message: 'not valid JSON (a list of {name, feeds, min_supplies})' });
    }
  }
  const policy: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(base)) {
    const next = values.has(k) ? values.get(k) : v;
    if (next !== undefined) policy[k] = next;
  }
  for (const [k, v] of values) if (!(k in policy) && v !== undefined) policy[k] = v;
  return { policy, local };
}

function RuleRow(props: { rule: PolicyRuleView }) {
  const r = props.rule;
  const state = !r.enabled ? 'off' : r.tripped ? 'tripped' : 'on';
  return html`<tr data-rule=${r.id} data-state=${state}>
    <td class="rule-name"><strong>${r.label}</strong><br /><small class="muted">${r.description}</small></td>
    <td>${r.settingText}</td>
    <td>
      ${
        r.perUps.length === 0
          ? html`<span class="muted">–</span>`
          : r.perUps.map(
              (u) =>
                html`<div class=${u.tripped ? 'problem' : ''} data-ups=${u.ups}>
                  <span class="muted">${u.ups}:</span> ${u.valueText}${u.tripped ? ' (tripped)' : ''}
                </div>`,
            )
      }
    </td>
    <td><span class=${`badge ${state === 'tripped' ? 'bad' : state === 'on' ? 'ok' : 'idle'}`}>${state}</span></td>
  </tr>`;
}

/** For a field, the current values the rules that use it compare against, as a hint ("now: sim1 64 %"). */
function nowHint(rules: readonly PolicyRuleView[], key: string): string {
  const r = rules.find((x) => key in x.settings && x.perUps.length > 0);
  if (!r) return '';
  return `Now: ${r.perUps.map((u) => `${u.ups} ${u.valueText}`).join(', ')}`;
}

export function PolicyView(props: { me: Me }) {
  const { data, error, reload } = useLoad<PolicyResponse>('/api/policy');
  const admin = isAdmin(props.me);
  const [draft, setDraft] = useState<Draft | null>(null);
  const [preview, setPreview] = useState<PolicyPreviewResponse | null>(null);
  const [problems, setProblems] = useState<FieldProblem[]>([]);
  const [saveNote, setSaveNote] = useState<string | null>(null);
  const [saveError, setSaveError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const [dirty, setDirty] = useState(false);

  // The form starts from the file's section; a reload after a save must not throw away an edit in progress.
  useEffect(() => {
    if (data && !dirty) setDraft(draftOf(data.policy));
  }, [data]);

  const candidate = useMemo(() => (data && draft ? candidateOf(data.policy, draft) : null), [data, draft]);

  // Validate on the server a moment after typing stops (each keystroke is not a request).
  const checkable = admin && candidate !== null && dirty;
  // What the page itself can tell (a number that is not one) is said at once, and not sent.
  useEffect(() => {
    if (!checkable || candidate.local.length === 0) return;
    setProblems(candidate.local);
    setPreview(null);
  }, [candidate, dirty, admin]);
  usePreview<PolicyPreviewResponse>(
    '/api/policy/preview',
    checkable && candidate.local.length === 0 ? { policy: candidate.policy } : null,
    [candidate, dirty, admin],
    {
      answer: (p) => {
        setPreview(p);
        setProblems([...p.problems]);
      },
      error: setSaveError,
    },
  );

  const set = (key: string, v: string): void => {
    setDirty(true);
    setSaveNote(null);
    setSaveError(null);
    setDraft((d) => ({ ...(d ?? {}), [key]: v }));
  };

  const save = async (e: Event): Promise<void> => {
    e.preventDefault();
    if (!candidate) return;
    if (candidate.local.length > 0) {
      setProblems(candidate.local);
      return;
    }
    setBusy(true);
    setSaveError(null);
    setSaveNote(null);
    try {
      const r = await send<SectionSaveResponse>('PUT', '/api/policy', { policy: candidate.policy });
      const changed = r.differences.map((d) => d.path.replace(/^policy\./, '')).join(', ');
      setSaveNote(
        `${r.saved ? `Saved to ${r.file ?? 'the config file'}` : 'Not written to a file'}${r.applied ? ' and applied now' : ''}${
          r.note ? ` (${r.note})` : ''
        }.${changed ? ` Changed: ${changed}.` : ' Nothing changed.'}`,
      );
      setProblems([]);
      setPreview(null);
      setDirty(false);
      reload();
    } catch (err) {
      // The edit stays on the page: the admin fixes what the server names and saves again.
      setSaveError(errorText(err));
      if (err instanceof ApiError && err.problems) setProblems(err.problems);
    } finally {
      setBusy(false);
    }
  };

  const discard = (): void => {
    if (data) setDraft(draftOf(data.policy));
    setDirty(false);
    setProblems([]);
    setPreview(null);
    setSaveError(null);
  };

  const shown = [...FIELDS.map((f) => `policy.${f.key}`), `policy.${HOSTS}`];
  const other = problemsElsewhere(problems, shown);

  return html`<section class="view view-actions" aria-labelledby="policy-title">
    <h2 id="policy-title">Policy</h2>
    ${error && html`<p class="problem" role="alert">${error}</p>`}
    ${
      data &&
      html`<p class=${`decision-line level-${data.decision.level}`} id="policy-decision">${data.decision.sentence}</p>
        <div class="table-wrap">
          <table class="data-table rules" id="policy-rules">
            <caption class="visually-hidden">
              Rules that can trip a shutdown
            </caption>
            <thead>
              <tr>
                <th scope="col">Rule</th>
                <th scope="col">Setting</th>
                <th scope="col">Now</th>
                <th scope="col">State</th>
              </tr>
            </thead>
            <tbody>
              ${data.rules.map((r) => html`<${RuleRow} rule=${r} />`)}
            </tbody>
          </table>
        </div>
        ${
          data.hosts.length > 0 &&
          html`<h3>Hosts and their supplies</h3>
            <ul class="plain" id="policy-hosts">
              ${data.hosts.map(
                (h) =>
                  html`<li data-host=${h.name} class=${h.starved ? 'problem' : ''}>
                    <strong>${h.implicit ? 'every host' : h.name}</strong>
                    ${`: ${h.fed} of ${h.feeds.length} supplies fed, needs ${h.minSupplies} (${h.feeds.map((f) => `${f.ups}${f.critical ? ' critical' : ''}`).join(', ')})`}
                  </li>`,
              )}
            </ul>`
        }
        <p class="small muted">
          ${data.note}${data.note.endsWith('.') ? '' : '.'}${data.file ? html` File: <code>${data.file}</code>.` : data.demo ? ' Demo: changes apply in memory only.' : ''}
        </p>`
    }
    ${data && !admin && html`<p class="muted small">Only an admin can change the policy.</p>`}
    ${
      data &&
      admin &&
      draft &&
      html`<form class="edit-form" id="policy-form" onSubmit=${(e: Event) => void save(e)} aria-label="Edit policy">
        <h3>Edit</h3>
        ${!data.editable && html`<p class="problem">This configuration cannot be saved from the page.</p>`}
        <div class="field-grid">
          ${FIELDS.map(
            (f) =>
              html`<${TextField}
                path=${`policy.${f.key}`}
                label=${f.label}
                hint=${[f.hint, nowHint(data.rules, f.key)].filter(Boolean).join(' ')}
                value=${draft[f.key] ?? ''}
                placeholder=${placeholderOf(data.effective[f.key])}
                inputMode="decimal"
                problems=${problems}
                onInput=${(v: string) => set(f.key, v)}
              />`,
          )}
        </div>
        <div class="field" data-field="policy.hosts">
          <label class="field-label" for="policy-hosts-json"
            >Hosts and feeds (JSON; empty: one host fed by every UPS)</label
          >
          <textarea
            id="policy-hosts-json"
            name="policy.hosts"
            rows="4"
            spellcheck=${false}
            value=${draft[HOSTS] ?? ''}
            onInput=${(e: Event) => set(HOSTS, (e.currentTarget as HTMLTextAreaElement).value)}
          ></textarea>
          <${FieldProblems} problems=${problems} path="policy.hosts" />
        </div>
        <${ProblemList} problems=${other} title="Problems" />
        ${
          dirty &&
          preview?.valid &&
          preview.decision &&
          html`<div class=${`preview ${preview.wouldTrip ? 'preview-trip' : ''}`} id="policy-preview" role="status">
            <p><strong>With this policy:</strong> ${preview.decision.sentence}</p>
            ${
              preview.wouldTrip &&
              html`<p class="problem">
                <strong>Saving this trips the shutdown now:</strong> ${preview.reasons.join('; ')}
              </p>`
            }
            ${
              preview.differences.length > 0 &&
              html`<ul class="small">
                ${preview.differences.map(
                  (d) => html`<li><code>${d.path}</code>: ${show(d.from)} → ${show(d.to)}</li>`,
                )}
              </ul>`
            }
          </div>`
        }
        ${saveError && html`<p class="problem" role="alert" id="policy-save-error">${saveError}</p>`}
        ${saveNote && html`<p class="ok-text" role="status" id="policy-save-note">${saveNote}</p>`}
        <div class="form-buttons">
          <button type="submit" class="primary" disabled=${busy || !dirty || !data.editable}>
            ${busy ? 'Saving…' : 'Save policy'}
          </button>
          <button type="button" disabled=${busy || !dirty} onClick=${discard}>Discard changes</button>
        </div>
      </form>`
    }
  </section>`;
}

/** The default in force when a key is unset, shown greyed in the empty field. */
const placeholderOf = (v: unknown): string => (typeof v === 'number' ? `${v} (default)` : 'off');

const show = (v: unknown): string => (v === undefined ? 'unset' : JSON.stringify(v));
