// Admin: the audit log, newest first, paged by the oldest id seen (the server's `nextBefore`).
import { useState } from 'preact/hooks';
import type { AuditResponse } from '../../api-types/auth.js';
import { when } from '../components/format.js';
import { useLoad } from '../components/use-load.js';
import { html } from '../html.js';
import type { Me } from './me.js';

const PAGE = 50;

export function AuditView(_props: { me: Me }) {
  // The stack of `before` cursors of the pages visited, so "Newer" goes back exactly one page.
  const [cursors, setCursors] = useState<(number | null)[]>([null]);
  const before = cursors[cursors.length - 1] ?? null;
  const path = `/api/audit?limit=${PAGE}${before === null ? '' : `&before=${before}`}`;
  const { data, error } = useLoad<AuditResponse>(path);

  return html`<section class="view view-actions" aria-labelledby="audit-title">
    <h2 id="audit-title">Audit log</h2>
    <p class="muted">Every login, failed login, action and change: who, when, from where, and what it answered.</p>
    ${error && html`<p class="problem" role="alert">${error}</p>`}
    ${
      data &&
      html`<div class="table-wrap">
          <table class="data-table" id="audit-table">
            <thead>
              <tr>
                <th scope="col">When</th>
                <th scope="col">Who</th>
                <th scope="col">From</th>
                <th scope="col">Action</th>
                <th scope="col">Status</th>
              </tr>
            </thead>
            <tbody>
              ${data.entries.map(
                (a) =>
                  html`<tr data-audit=${a.id} data-action=${a.action} class=${a.status >= 400 ? 'row-bad' : ''}>
                    <td>${when(a.at)}</td>
                    <td>${a.user ?? html`<span class="muted">nobody</span>`}</td>
                    <td class="mono">${a.address}</td>
                    <td><span class="mono">${a.action}</span>${a.detail && html`<br /><small>${a.detail}</small>`}</td>
                    <td>${a.status}</td>
                  </tr>`,
              )}
            </tbody>
          </table>
        </div>
        ${data.entries.length === 0 && html`<p class="muted">Nothing recorded yet.</p>`}`
    }
    <nav class="pager" aria-label="Audit pages">
      <button type="button" disabled=${cursors.length <= 1} onClick=${() => setCursors((c) => c.slice(0, -1))}>
        Newer
      </button>
      <button
        type="button"
        disabled=${!data || data.nextBefore === null}
        onClick=${() => {
          if (data?.nextBefore != null) setCursors((c) => [...c, data.nextBefore]);
        }}
      >
        Older
      </button>
    </nav>
  </section>`;
}
