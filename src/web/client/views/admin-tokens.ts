// Admin: API tokens for scripts and Home Assistant. A new token is shown once, with a copy button and a warning;
// revoking asks first.
import { useState } from 'preact/hooks';
import type { CreatedTokenResponse, TokenScope, TokensResponse, TokenView } from '../../api-types/users.js';
import { send } from '../api.js';
import { ConfirmDialog } from '../components/dialog.js';
import { when } from '../components/format.js';
import { errorText, FieldProblems, type Problem } from '../components/problems.js';
import { useLoad } from '../components/use-load.js';
import { html } from '../html.js';
import type { Me } from './me.js';

function problemsOf(err: unknown): Problem[] {
  const p = (err as { problems?: Problem[] } | null)?.problems;
  return Array.isArray(p) ? p : [];
}

export function TokensView(_props: { me: Me }) {
  const { data, error, reload } = useLoad<TokensResponse>('/api/tokens');
  const [name, setName] = useState('');
  const [scope, setScope] = useState<TokenScope>('read');
  const [created, setCreated] = useState<CreatedTokenResponse | null>(null);
  const [copied, setCopied] = useState(false);
  const [actionError, setActionError] = useState<string | null>(null);
  const [problems, setProblems] = useState<Problem[]>([]);
  const [busy, setBusy] = useState(false);
  const [revoking, setRevoking] = useState<TokenView | null>(null);

  const create = async (e: Event): Promise<void> => {
    e.preventDefault();
    setBusy(true);
    setActionError(null);
    setProblems([]);
    setCopied(false);
    try {
      setCreated(await send<CreatedTokenResponse>('POST', '/api/tokens', { name: name.trim(), scope }));
      setName('');
      reload();
    } catch (err) {
      setActionError(errorText(err));
      setProblems(problemsOf(err));
    } finally {
      setBusy(false);
    }
  };

  const copy = async (): Promise<void> => {
    if (!created) return;
    try {
      await navigator.clipboard.writeText(created.token);
      setCopied(true);
    } catch {
      // No clipboard (plain HTTP on a non-loopback name): select the text so the user can copy it by hand.
      const el = document.getElementById('new-token-text');
      if (el) window.getSelection()?.selectAllChildren(el);
      setActionError('Copying is not allowed here; the token is selected: copy it with Ctrl+C.');
    }
  };

  const revoke = async (): Promise<void> => {
    if (!revoking) return;
    setBusy(true);
    setActionError(null);
    try {
      await send('DELETE', `/api/tokens/${encodeURIComponent(revoking.id)}`);
      if (created?.id === revoking.id) setCreated(null);
      setRevoking(null);
      reload();
    } catch (err) {
      setActionError(errorText(err));
      setRevoking(null);
    } finally {
      setBusy(false);
    }
  };

  return html`<section class="view view-actions" aria-labelledby="tokens-title">
    <h2 id="tokens-title">API tokens</h2>
    <p class="muted">
      For scripts and Home Assistant: send <code>Authorization: Bearer &lt;token&gt;</code>. <em>read</em> reads
      everything a viewer can; <em>operate</em> also does what an operator can.
    </p>
    ${error && html`<p class="problem" role="alert">${error}</p>`}
    ${actionError && html`<p class="problem" role="alert" id="tokens-error">${actionError}</p>`}
    ${
      created &&
      html`<div class="token-once" role="status" id="new-token">
        <p>
          <strong>Token ${created.name} (${created.scope}) made. Copy it now: it is shown only this once</strong> and
          stored only as a hash.
        </p>
        <p class="token-row">
          <code id="new-token-text" class="mono token-text">${created.token}</code>
          <button type="button" onClick=${() => void copy()}>${copied ? 'Copied' : 'Copy'}</button>
        </p>
        <button type="button" class="link-button" onClick=${() => setCreated(null)}>I have copied it; hide it</button>
      </div>`
    }
    <form class="inline-form" onSubmit=${(e: Event) => void create(e)} aria-label="New token">
      <div class="field" data-field="name">
        <label class="field-label" for="token-name">Name</label>
        <input
          id="token-name"
          name="name"
          required
          autocomplete="off"
          value=${name}
          onInput=${(e: Event) => setName((e.currentTarget as HTMLInputElement).value)}
        />
        <${FieldProblems} problems=${problems} path="name" />
      </div>
      <div class="field" data-field="scope">
        <label class="field-label" for="token-scope">Scope</label>
        <select
          id="token-scope"
          name="scope"
          onChange=${(e: Event) => setScope((e.currentTarget as HTMLSelectElement).value as TokenScope)}
        >
          <option value="read" selected=${scope === 'read'}>read</option>
          <option value="operate" selected=${scope === 'operate'}>operate</option>
        </select>
      </div>
      <button type="submit" class="primary" disabled=${busy || name.trim() === ''}>Create token</button>
    </form>
    ${
      data &&
      (data.tokens.length === 0
        ? html`<p class="muted">No tokens yet.</p>`
        : html`<div class="table-wrap">
            <table class="data-table" id="tokens-table">
              <thead>
                <tr>
                  <th scope="col">Name</th>
                  <th scope="col">Scope</th>
                  <th scope="col">Made</th>
                  <th scope="col">Last used</th>
                  <th scope="col"><span class="visually-hidden">Actions</span></th>
                </tr>
              </thead>
              <tbody>
                ${data.tokens.map(
                  (t) =>
                    html`<tr data-token=${t.name}>
                      <td>${t.name}</td>
                      <td>${t.scope}</td>
                      <td>${when(t.createdAt)} by ${t.createdBy}</td>
                      <td>${t.lastUsedAt ? when(t.lastUsedAt) : 'never'}</td>
                      <td>
                        <button type="button" class="danger small" onClick=${() => setRevoking(t)}>
                          Revoke<span class="visually-hidden"> ${t.name}</span>
                        </button>
                      </td>
                    </tr>`,
                )}
              </tbody>
            </table>
          </div>`)
    }
    <${ConfirmDialog}
      open=${revoking !== null}
      title="Revoke token"
      confirmLabel="Revoke"
      danger=${true}
      busy=${busy}
      onConfirm=${() => void revoke()}
      onCancel=${() => setRevoking(null)}
    >
      <p>Scripts using <strong>${revoking?.name}</strong> stop working at once.</p>
    </${ConfirmDialog}>
  </section>`;
}
