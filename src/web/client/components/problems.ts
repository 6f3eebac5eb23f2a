// Field-level messages from the server's validation ({path, message}[]), shown next to the field they name, and the
// rest (problems no field on the form claims) above the form, so no message is ever dropped.
import { html } from '../html.js';

export interface Problem {
  path: string;
  message: string;
}

/** Problems for one field: the path itself or anything under it (`policy.hosts.0.feeds` belongs to `policy.hosts`). */
export function problemsAt(problems: readonly Problem[], path: string): Problem[] {
  return problems.filter((p) => p.path === path || p.path.startsWith(`${path}.`) || p.path.startsWith(`${path}[`));
}

/** Problems no field on the form shows. */
export function problemsElsewhere(problems: readonly Problem[], shownPaths: readonly string[]): Problem[] {
  return problems.filter((p) => !shownPaths.some((s) => problemsAt([p], s).length > 0));
}

export function FieldProblems(props: { problems: readonly Problem[]; path: string; id?: string }) {
  const mine = problemsAt(props.problems, props.path);
  if (mine.length === 0) return null;
  return html`<ul class="field-problems" id=${props.id} role="alert">
    ${mine.map((p) => html`<li data-problem-path=${p.path}>${p.message}</li>`)}
  </ul>`;
}

export function ProblemList(props: { problems: readonly Problem[]; title?: string }) {
  if (props.problems.length === 0) return null;
  return html`<div class="problem-box" role="alert">
    ${props.title && html`<p><strong>${props.title}</strong></p>`}
    <ul>
      ${props.problems.map((p) => html`<li>${p.path ? html`<code>${p.path}</code>: ` : ''}${p.message}</li>`)}
    </ul>
  </div>`;
}

/** An error from `send`/`getJson` as a line of text (ApiError carries the server's message). */
export function errorText(err: unknown): string {
  if (err instanceof Error) return err.message;
  return String(err);
}
