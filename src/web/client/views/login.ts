// The login form. Errors in words; in demo mode the demo login is shown, so a newcomer gets in at once.
import { useEffect, useState } from 'preact/hooks';
import { getJson } from '../api.js';
import { html } from '../html.js';
import type { LoginInfo, Me } from '../types.js';

async function login(user: string, password: string): Promise<Me | string> {
  const res = await fetch('/api/login', {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: 'application/json' },
    credentials: 'same-origin',
    body: JSON.stringify({ user, password }),
  });
  if (res.ok) return (await res.json()) as Me;
  if (res.status === 401) return 'Wrong user or password.';
  if (res.status === 429) {
    const after = Number(res.headers.get('retry-after'));
    return Number.isFinite(after) && after > 0
      ? `Too many failed attempts: slowed down. Retry in ${Math.ceil(after)} s.`
      : 'Too many failed attempts: slowed down. Retry in a moment.';
  }
  const body = (await res.json().catch(() => null)) as { message?: string } | null;
  return `Login failed (${res.status}): ${body?.message ?? res.statusText}`;
}

export function LoginView(props: { info: LoginInfo | null; onLogin: (me: Me) => void; onCancel?: () => void }) {
  const [user, setUser] = useState('');
  const [password, setPassword] = useState('');
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const [info, setInfo] = useState<LoginInfo | null>(props.info);
  useEffect(() => {
    if (!info) {
      getJson<LoginInfo>('/api/login/info').then(setInfo, () => undefined);
    }
  }, []);

  const submit = async (e: Event): Promise<void> => {
    e.preventDefault();
    setBusy(true);
    setError(null);
    try {
      const r = await login(user, password);
      if (typeof r === 'string') setError(r);
      else props.onLogin(r);
    } catch (err) {
      setError(`The appliance did not answer: ${err instanceof Error ? err.message : String(err)}`);
    } finally {
      setBusy(false);
    }
  };

  return html`<section class="login panel" aria-labelledby="login-title">
    <h1 id="login-title">Log in to upsguard</h1>
    ${
      info?.demo && info.demoUser
        ? html`<p class="demo-login" data-testid="demo-login">
            Demo: log in as <code>${info.demoUser}</code>${
              info.demoPassword ? html` with password <code>${info.demoPassword}</code>` : null
            }.
          </p>`
        : null
    }
    <form onSubmit=${(e: Event) => void submit(e)}>
      <label for="login-user">User</label>
      <input
        id="login-user"
        name="user"
        autocomplete="username"
        required
        value=${user}
        onInput=${(e: Event) => {
          setUser((e.target as HTMLInputElement).value);
        }}
      />
      <label for="login-password">Password</label>
      <input
        id="login-password"
        name="password"
        type="password"
        autocomplete="current-password"
        required
        value=${password}
        onInput=${(e: Event) => {
          setPassword((e.target as HTMLInputElement).value);
        }}
      />
      <div class="actions">
        <button type="submit" disabled=${busy}>Log in</button>
        ${
          props.onCancel
            ? html`<button type="button" class="secondary" onClick=${props.onCancel}>Back to status</button>`
            : null
        }
      </div>
      ${error ? html`<p class="banner bad" role="alert" data-testid="login-error">${error}</p>` : null}
    </form>
  </section>`;
}
