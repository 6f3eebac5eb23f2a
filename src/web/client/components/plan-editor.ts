// The plan editor's form: phases in order (up/down), each with its target selectors, method, timeout and
// concurrency; the point of no return and the load-off. It edits a draft of strings; `planOf` turns it back into
// the `shutdown.plan` section, keeping every key the form does not show as the file had it.
import type { PlanConfigResponse } from '../../api-types/plan-config.js';
import { html } from '../html.js';
import { listOf, numberOrText, SelectField, TextField } from './fields.js';
import { FieldProblems, type Problem } from './problems.js';

export const PLAN_PATH = 'shutdown.plan';

export interface SelectorDraft {
  driver: string;
  kind: string;
  names: string;
  tags: string;
  vms_of: string;
  except: string;
  rest: Record<string, unknown>;
}

export interface PhaseDraft {
  /** Stable across reordering, for keys. */
  key: number;
  name: string;
  method: string;
  timeout_s: string;
  concurrency: string;
  targets: SelectorDraft[];
  rest: Record<string, unknown>;
}

export interface PlanDraft {
  phases: PhaseDraft[];
  point_of_no_return: string;
  load_off_ups: string;
  off_delay_s: string;
  on_delay_s: string;
  rest: Record<string, unknown>;
}

const str = (v: unknown): string =>
  v === undefined || v === null
    ? ''
    : typeof v === 'string'
      ? v
      : typeof v === 'number'
        ? String(v)
        : JSON.stringify(v);
const list = (v: unknown): string => (Array.isArray(v) ? v.map(str).join(', ') : str(v));
const obj = (v: unknown): Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v) ? { ...(v as Record<string, unknown>) } : {};

function without(o: Record<string, unknown>, keys: readonly string[]): Record<string, unknown> {
  return Object.fromEntries(Object.entries(o).filter(([k]) => !keys.includes(k)));
}

const SELECTOR_KEYS = ['driver', 'kind', 'names', 'tags', 'vms_of', 'except'] as const;
const PHASE_KEYS = ['name', 'method', 'timeout_s', 'concurrency', 'targets'] as const;
const PLAN_KEYS = ['phases', 'point_of_no_return', 'load_off_ups', 'off_delay_s', 'on_delay_s'] as const;

let nextKey = 1;

export function emptySelector(): SelectorDraft {
  return { driver: '', kind: '', names: '', tags: '', vms_of: '', except: '', rest: {} };
}

export function emptyPhase(): PhaseDraft {
  return {
    key: nextKey++,
    name: '',
    method: '',
    timeout_s: '',
    concurrency: '',
    targets: [emptySelector()],
    rest: {},
  };
}

export function draftOfPlan(plan: Readonly<Record<string, unknown>>): PlanDraft {
  const phases = Array.isArray(plan.phases) ? plan.phases : [];
  return {
    phases: phases.map((raw) => {
      const p = obj(raw);
      const targets = Array.isArray(p.targets) ? p.targets : [];
      return {
        key: nextKey++,
        name: str(p.name),
        method: str(p.method),
        timeout_s: str(p.timeout_s),
        concurrency: str(p.concurrency),
        targets: targets.map((t) => {
          const s = obj(t);
          return {
            driver: str(s.driver),
            kind: str(s.kind),
            names: list(s.names),
            tags: list(s.tags),
            vms_of: str(s.vms_of),
            except: list(s.except),
            rest: without(s, SELECTOR_KEYS),
          };
        }),
        rest: without(p, PHASE_KEYS),
      };
    }),
    point_of_no_return: str(plan.point_of_no_return),
    load_off_ups: str(plan.load_off_ups),
    off_delay_s: str(plan.off_delay_s),
    on_delay_s: str(plan.on_delay_s),
    rest: without({ ...plan }, PLAN_KEYS),
  };
}

function put(o: Record<string, unknown>, key: string, v: unknown): void {
  if (v === undefined || v === '' || (Array.isArray(v) && v.length === 0)) return;
  o[key] = v;
}

/** The `shutdown.plan` section the draft stands for. */
export function planOf(d: PlanDraft): Record<string, unknown> {
  const plan: Record<string, unknown> = { ...d.rest };
  plan.phases = d.phases.map((p) => {
    const phase: Record<string, unknown> = { name: p.name.trim() };
    phase.targets = p.targets.map((s) => {
      const sel: Record<string, unknown> = { ...s.rest };
      put(sel, 'driver', s.driver.trim());
      put(sel, 'kind', s.kind);
      put(sel, 'names', s.names.trim() === '' ? undefined : listOf(s.names));
      put(sel, 'tags', s.tags.trim() === '' ? undefined : listOf(s.tags));
      put(sel, 'vms_of', s.vms_of.trim());
      put(sel, 'except', s.except.trim() === '' ? undefined : listOf(s.except));
      return sel;
    });
    put(phase, 'method', p.method);
    put(phase, 'timeout_s', numberOrText(p.timeout_s));
    put(phase, 'concurrency', numberOrText(p.concurrency));
    return { ...phase, ...p.rest };
  });
  put(plan, 'point_of_no_return', d.point_of_no_return);
  put(plan, 'load_off_ups', d.load_off_ups);
  put(plan, 'off_delay_s', numberOrText(d.off_delay_s));
  put(plan, 'on_delay_s', numberOrText(d.on_delay_s));
  return plan;
}

export interface PlanEditorProps {
  draft: PlanDraft;
  config: PlanConfigResponse;
  problems: readonly Problem[];
  disabled: boolean;
  onChange: (d: PlanDraft) => void;
}

export function PlanEditor(props: PlanEditorProps) {
  const { draft, config, problems } = props;
  const change = (fn: (d: PlanDraft) => PlanDraft): void => props.onChange(fn(draft));
  const setPhase = (i: number, fn: (p: PhaseDraft) => PhaseDraft): void =>
    change((d) => ({ ...d, phases: d.phases.map((p, j) => (j === i ? fn(p) : p)) }));
  const move = (i: number, by: -1 | 1): void =>
    change((d) => {
      const phases = d.phases.slice();
      const [p] = phases.splice(i, 1);
      if (p) phases.splice(i + by, 0, p);
      return { ...d, phases };
    });
  const driverOptions = [
    { value: '', label: '(default: sim)' },
    ...config.drivers.map((n) => ({ value: n, label: n })),
  ];
  const knownNames = config.targets.map((t) => t.name).join(', ');

  return html`<div class="plan-editor">
    <ol class="phase-list">
      ${draft.phases.map((p, i) => {
        const base = `${PLAN_PATH}.phases.${i}`;
        return html`<li class="phase-edit card" key=${p.key} data-phase-edit=${p.name}>
          <fieldset disabled=${props.disabled}>
            <legend>Phase ${i + 1}${p.name ? `: ${p.name}` : ''}</legend>
            <div class="phase-order">
              <button
                type="button"
                class="small"
                disabled=${i === 0}
                aria-label=${`Move phase ${p.name || i + 1} up`}
                onClick=${() => move(i, -1)}
              >
                ↑ Up
              </button>
              <button
                type="button"
                class="small"
                disabled=${i === draft.phases.length - 1}
                aria-label=${`Move phase ${p.name || i + 1} down`}
                onClick=${() => move(i, 1)}
              >
                ↓ Down
              </button>
              <button
                type="button"
                class="small danger"
                disabled=${draft.phases.length <= 1}
                aria-label=${`Remove phase ${p.name || i + 1}`}
                onClick=${() => change((d) => ({ ...d, phases: d.phases.filter((_, j) => j !== i) }))}
              >
                Remove
              </button>
            </div>
            <div class="field-grid">
              <${TextField}
                path=${`${base}.name`}
                label="Name"
                value=${p.name}
                problems=${problems}
                onInput=${(v: string) => setPhase(i, (x) => ({ ...x, name: v }))}
              />
              <${SelectField}
                path=${`${base}.method`}
                label="Method"
                value=${p.method}
                options=${[
                  { value: '', label: 'graceful (the default)' },
                  { value: 'graceful', label: 'graceful (then hard after the timeout)' },
                  { value: 'hard', label: 'hard power-off' },
                ]}
                problems=${problems}
                onChange=${(v: string) => setPhase(i, (x) => ({ ...x, method: v }))}
              />
              <${TextField}
                path=${`${base}.timeout_s`}
                label="Timeout (s)"
                hint="Empty: 120 s."
                inputMode="decimal"
                value=${p.timeout_s}
                problems=${problems}
                onInput=${(v: string) => setPhase(i, (x) => ({ ...x, timeout_s: v }))}
              />
              <${TextField}
                path=${`${base}.concurrency`}
                label="At a time"
                hint="Empty: 8."
                inputMode="numeric"
                value=${p.concurrency}
                problems=${problems}
                onInput=${(v: string) => setPhase(i, (x) => ({ ...x, concurrency: v }))}
              />
            </div>
            <${FieldProblems}
              problems=${problems.filter((x) => x.path === `${base}.targets`)}
              path=${`${base}.targets`}
            />
            ${p.targets.map((s, k) => {
              const sb = `${base}.targets.${k}`;
              const setSel = (fn: (x: SelectorDraft) => SelectorDraft): void =>
                setPhase(i, (x) => ({ ...x, targets: x.targets.map((t, m) => (m === k ? fn(t) : t)) }));
              return html`<div class="selector-edit" data-selector=${k}>
                <p class="small"><strong>Targets ${k + 1}</strong></p>
                <div class="field-grid">
                  <${SelectField}
                    path=${`${sb}.driver`}
                    label="Driver"
                    value=${s.driver}
                    options=${driverOptions}
                    problems=${problems}
                    onChange=${(v: string) => setSel((x) => ({ ...x, driver: v }))}
                  />
                  <${SelectField}
                    path=${`${sb}.kind`}
                    label="Kind"
                    value=${s.kind}
                    options=${[
                      { value: '', label: 'any' },
                      { value: 'vm', label: 'VMs' },
                      { value: 'host', label: 'hosts' },
                    ]}
                    problems=${problems}
                    onChange=${(v: string) => setSel((x) => ({ ...x, kind: v }))}
                  />
                  <${TextField}
                    path=${`${sb}.names`}
                    label="Names (comma-separated)"
                    hint=${knownNames ? `Known: ${knownNames}` : ''}
                    value=${s.names}
                    problems=${problems}
                    onInput=${(v: string) => setSel((x) => ({ ...x, names: v }))}
                  />
                  <${TextField}
                    path=${`${sb}.tags`}
                    label="Tags (comma-separated)"
                    value=${s.tags}
                    problems=${problems}
                    onInput=${(v: string) => setSel((x) => ({ ...x, tags: v }))}
                  />
                  <${TextField}
                    path=${`${sb}.vms_of`}
                    label="All VMs of host"
                    value=${s.vms_of}
                    problems=${problems}
                    onInput=${(v: string) => setSel((x) => ({ ...x, vms_of: v }))}
                  />
                  <${TextField}
                    path=${`${sb}.except`}
                    label="Except (comma-separated)"
                    value=${s.except}
                    problems=${problems}
                    onInput=${(v: string) => setSel((x) => ({ ...x, except: v }))}
                  />
                </div>
                <${FieldProblems} problems=${problems.filter((x) => x.path === sb)} path=${sb} />
                <button
                  type="button"
                  class="small"
                  disabled=${p.targets.length <= 1}
                  onClick=${() => setPhase(i, (x) => ({ ...x, targets: x.targets.filter((_, m) => m !== k) }))}
                >
                  Remove these targets
                </button>
              </div>`;
            })}
            <button
              type="button"
              class="small"
              onClick=${() => setPhase(i, (x) => ({ ...x, targets: [...x.targets, emptySelector()] }))}
            >
              Add targets
            </button>
          </fieldset>
        </li>`;
      })}
    </ol>
    <button
      type="button"
      disabled=${props.disabled}
      onClick=${() => change((d) => ({ ...d, phases: [...d.phases, emptyPhase()] }))}
    >
      Add phase
    </button>
    <fieldset class="plan-settings" disabled=${props.disabled}>
      <legend>Point of no return and load-off</legend>
      <div class="field-grid">
        <${SelectField}
          path=${`${PLAN_PATH}.point_of_no_return`}
          label="Point of no return"
          hint="From the start of this phase, mains returning no longer stops the run."
          value=${draft.point_of_no_return}
          options=${[
            { value: '', label: '(the last phase)' },
            ...draft.phases.filter((p) => p.name.trim() !== '').map((p) => ({ value: p.name, label: p.name })),
          ]}
          problems=${problems}
          onChange=${(v: string) => change((d) => ({ ...d, point_of_no_return: v }))}
        />
        <${SelectField}
          path=${`${PLAN_PATH}.load_off_ups`}
          label="Load-off UPS"
          value=${draft.load_off_ups}
          options=${[{ value: '', label: '(the first UPS)' }, ...config.ups.map((u) => ({ value: u, label: u }))]}
          problems=${problems}
          onChange=${(v: string) => change((d) => ({ ...d, load_off_ups: v }))}
        />
        <${TextField}
          path=${`${PLAN_PATH}.off_delay_s`}
          label="Output off after (s)"
          inputMode="numeric"
          value=${draft.off_delay_s}
          problems=${problems}
          onInput=${(v: string) => change((d) => ({ ...d, off_delay_s: v }))}
        />
        <${TextField}
          path=${`${PLAN_PATH}.on_delay_s`}
          label="Output back on after (s)"
          inputMode="numeric"
          value=${draft.on_delay_s}
          problems=${problems}
          onInput=${(v: string) => change((d) => ({ ...d, on_delay_s: v }))}
        />
      </div>
    </fieldset>
  </div>`;
}
