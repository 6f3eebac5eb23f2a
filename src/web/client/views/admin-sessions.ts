// Admin: the live sessions (a short public id, never the cookie), with a revoke that asks first.
import { useState } from 'preact/hooks';
import type { SessionsResponse, SessionView } from '../../api-types/auth.js';
import { send } from '../api.js';
import { ConfirmDialog } from '../components/dialog.js';
import { when } from '../components/format.js';
import { errorText } from '../components/problems.js';
import { useLoad } from '../components/use-load.js';
import { html } from '../html.js';
import type { Me } from './me.js';

export function SessionsView(_props: { me: Me }) {
  const { data, error, reload } = useLoad<SessionsResponse>('/api/sessions');
  const [revoking, setRevoking] = useState<SessionView | null>(null);
  const [busy, setBusy] = useState(false);
  const [actionError, setActionError] = useState<string | null>(null);

  const revoke = async (): Promise<void> => {
    if (!revoking) return;
    setBusy(true);
    setActionError(null);
    try {
      await send('DELETE', `/api/sessions/${encodeURIComponent(revoking.id)}`);
      reload();
    } catch (err) {
      setActionError(errorText(err));
    } finally {
      setBusy(false);
      setRevoking(null);
    }
  };

  return html`<section class="view view-actions" aria-labelledby="sessions-title">
    <h2 id="sessions-title">Sessions</h2>
    ${error && html`<p class="problem" role="alert">${error}</p>`}
    ${actionError && html`<p class="problem" role="alert">${actionError}</p>`}
    ${
      data &&
      html`<div class="table-wrap">
        <table class="data-table" id="sessions-table">
          <thead>
            <tr>
              <th scope="col">User</th>
              <th scope="col">Role</th>
              <th scope="col">From</th>
              <th scope="col">Logged in</th>
              <th scope="col">Last seen</th>
              <th scope="col"><span class="visually-hidden">Actions</span></th>
            </tr>
          </thead>
          <tbody>
            ${data.sessions.map(
              (s) =>
                html`<tr data-session=${s.id} data-user=${s.user}>
                  <td>${s.user}${s.current && html` <span class="badge ok">this session</span>`}</td>
                  <td>${s.role}</td>
                  <td><span class="mono">${s.address}</span><br /><small class="muted">${s.userAgent}</small></td>
                  <td>${when(s.created)}</td>
                  <td>${when(s.lastSeen)}</td>
                  <td>
                    <button type="button" class="danger small" onClick=${() => setRevoking(s)}>
                      Revoke<span class="visually-hidden"> session of ${s.user} from ${s.address}</span>
                    </button>
                  </td>
                </tr>`,
            )}
          </tbody>
        </table>
      </div>`
    }
    <${ConfirmDialog}
      open=${revoking !== null}
      title="Revoke session"
      confirmLabel="Revoke"
      danger=${true}
      busy=${busy}
      onConfirm=${() => void revoke()}
      onCancel=${() => setRevoking(null)}
    >
      <p>
        ${revoking?.user} (${revoking?.address}) is logged out at once.${
          revoking?.current ? ' This is your own session: you will be logged out.' : ''
        }
      </p>
    </${ConfirmDialog}>
  </section>`;
}
