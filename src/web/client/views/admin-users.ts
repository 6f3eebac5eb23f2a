// Admin: the configured users with their web role and whether they also log in to the NUT server.
import type { UsersResponse } from '../../api-types/users.js';
import { html } from '../html.js';
import { useLoad } from '../components/use-load.js';
import type { Me } from './me.js';

export function UsersView(_props: { me: Me }) {
  const { data, error } = useLoad<UsersResponse>('/api/users');
  return html`<section class="view view-actions" aria-labelledby="users-title">
    <h2 id="users-title">Users</h2>
    <p class="muted">
      Users are set in the config file (<code>users:</code>, <code>upsguard user add NAME --role ROLE</code>). Web and
      NUT roles are separate.
    </p>
    ${error && html`<p class="problem" role="alert">${error}</p>`}
    ${
      data &&
      html`<div class="table-wrap">
        <table class="data-table" id="users-table">
          <thead>
            <tr>
              <th scope="col">Name</th>
              <th scope="col">Web role</th>
              <th scope="col">NUT login</th>
              <th scope="col">Source</th>
            </tr>
          </thead>
          <tbody>
            ${data.users.map(
              (u) =>
                html`<tr data-user=${u.name}>
                  <td>${u.name}</td>
                  <td>${u.role ?? html`<span class="muted">no web login</span>`}</td>
                  <td>${u.nut ? 'yes' : 'no'}</td>
                  <td>${u.source === 'demo' ? 'demo (password in the log)' : 'config'}</td>
                </tr>`,
            )}
          </tbody>
        </table>
      </div>`
    }
  </section>`;
}
