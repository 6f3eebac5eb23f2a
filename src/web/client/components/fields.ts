// Labelled form fields with their server-side problems next to them (aria-describedby ties them together for
// screen readers). Values travel as strings while edited; the view converts them when it builds the request, so a
// half-typed number is never silently turned into something else.
import { html } from '../html.js';
import { FieldProblems, problemsAt, type Problem } from './problems.js';

interface BaseProps {
  /** The server's path for this field, e.g. `policy.charge_pct`; also the base of the element ids. */
  path: string;
  label: string;
  hint?: string;
  problems: readonly Problem[];
  disabled?: boolean;
}

const idOf = (path: string): string => `f-${path.replace(/[^a-zA-Z0-9_-]/g, '-')}`;

function describedBy(p: BaseProps): string | undefined {
  const ids: string[] = [];
  if (p.hint) ids.push(`${idOf(p.path)}-hint`);
  if (problemsAt(p.problems, p.path).length > 0) ids.push(`${idOf(p.path)}-problems`);
  return ids.length ? ids.join(' ') : undefined;
}

function Wrap(p: BaseProps, control: unknown) {
  const bad = problemsAt(p.problems, p.path).length > 0;
  return html`<div class=${`field${bad ? ' has-problem' : ''}`} data-field=${p.path}>
    <label class="field-label" for=${idOf(p.path)}>${p.label}</label>
    ${control} ${p.hint && html`<small class="field-hint" id=${`${idOf(p.path)}-hint`}>${p.hint}</small>`}
    <${FieldProblems} problems=${p.problems} path=${p.path} id=${`${idOf(p.path)}-problems`} />
  </div>`;
}

export function TextField(
  p: BaseProps & {
    value: string;
    onInput: (v: string) => void;
    inputMode?: 'decimal' | 'numeric' | 'text';
    placeholder?: string;
  },
) {
  const bad = problemsAt(p.problems, p.path).length > 0;
  return Wrap(
    p,
    html`<input
      id=${idOf(p.path)}
      name=${p.path}
      value=${p.value}
      inputmode=${p.inputMode ?? 'text'}
      placeholder=${p.placeholder}
      autocomplete="off"
      disabled=${p.disabled}
      aria-invalid=${bad ? 'true' : undefined}
      aria-describedby=${describedBy(p)}
      onInput=${(e: Event) => p.onInput((e.currentTarget as HTMLInputElement).value)}
    />`,
  );
}

export function SelectField(
  p: BaseProps & { value: string; options: readonly { value: string; label: string }[]; onChange: (v: string) => void },
) {
  return Wrap(
    p,
    html`<select
      id=${idOf(p.path)}
      name=${p.path}
      disabled=${p.disabled}
      aria-describedby=${describedBy(p)}
      onChange=${(e: Event) => p.onChange((e.currentTarget as HTMLSelectElement).value)}
    >
      ${p.options.map((o) => html`<option value=${o.value} selected=${o.value === p.value}>${o.label}</option>`)}
    </select>`,
  );
}

export function CheckField(p: BaseProps & { checked: boolean; onChange: (v: boolean) => void }) {
  const bad = problemsAt(p.problems, p.path).length > 0;
  return html`<div class=${`field field-check${bad ? ' has-problem' : ''}`} data-field=${p.path}>
    <input
      type="checkbox"
      id=${idOf(p.path)}
      name=${p.path}
      checked=${p.checked}
      disabled=${p.disabled}
      aria-describedby=${describedBy(p)}
      onChange=${(e: Event) => p.onChange((e.currentTarget as HTMLInputElement).checked)}
    />
    <label for=${idOf(p.path)}>${p.label}</label>
    ${p.hint && html`<small class="field-hint" id=${`${idOf(p.path)}-hint`}>${p.hint}</small>`}
    <${FieldProblems} problems=${p.problems} path=${p.path} id=${`${idOf(p.path)}-problems`} />
  </div>`;
}

/**
 * A number the user typed, for the request: empty means unset (the rule is off), anything else is sent as a number
 * when it parses, else as the raw text so the server names the problem in its own words.
 */
export function numberOrText(v: string): number | string | undefined {
  const t = v.trim();
  if (t === '') return undefined;
  const n = Number(t);
  return Number.isFinite(n) ? n : t;
}

/** A comma-separated list as the YAML list it stands for. */
export function listOf(v: string): string[] {
  return v
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '');
}
