// NUT: whether the NUT server listens (or why not), who is connected, FSD; and the UPS commands the device
// supports, each behind a confirmation and shown only to the roles that may run it.
import { useEffect, useState } from 'preact/hooks';
import { ApiError, getJson, send } from '../api.js';
import { ConfirmDialog } from '../components/dialog.js';
import { time } from '../format.js';
import { html } from '../html.js';
import { useLiveStatus } from '../status-store.js';
import type { Me, NutStateResponse, UpsCommandResult, UpsCommandsResponse, UpsCommandView } from '../types.js';

const RANK = { viewer: 0, operator: 1, admin: 2 } as const;

/** Whether Home Assistant and the like can discover the server (`_nut._tcp`), in words. */
function mdnsWords(m: NonNullable<NutStateResponse['mdns']>): string {
  if (m.state === 'advertising') return `Advertised over mDNS as “${m.name}” (_nut._tcp, port ${m.port}).`;
  if (m.state === 'failed') return `The mDNS advertisement failed: ${m.reason}.`;
  return `Not advertised over mDNS: ${m.reason}.`;
}

function Commands(props: { ups: string; me: Me }) {
  const [list, setList] = useState<UpsCommandsResponse | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [pending, setPending] = useState<UpsCommandView | null>(null);
  const [busy, setBusy] = useState(false);
  const [result, setResult] = useState<{ ok: boolean; text: string } | null>(null);
  useEffect(() => {
    getJson<UpsCommandsResponse>(`/api/ups/${encodeURIComponent(props.ups)}/commands`).then(setList, (e: unknown) => {
      setError(e instanceof Error ? e.message : String(e));
    });
  }, [props.ups]);

  const run = async (cmd: UpsCommandView): Promise<void> => {
    setBusy(true);
    try {
      const r = await send<UpsCommandResult>(
        'POST',
        `/api/ups/${encodeURIComponent(props.ups)}/commands/${encodeURIComponent(cmd.name)}`,
        cmd.confirm ? { confirm: props.ups } : {},
      );
      setResult({ ok: r.ok, text: `${cmd.name}: ${r.message}` });
    } catch (e) {
      setResult({ ok: false, text: `${cmd.name}: ${e instanceof ApiError ? e.message : String(e)}` });
    } finally {
      setBusy(false);
      setPending(null);
    }
  };

  const mine = list?.commands.filter((c) => RANK[props.me.role] >= RANK[c.access]) ?? [];
  return html`<section class="panel" aria-labelledby=${`cmd-${props.ups}`}>
    <h3 id=${`cmd-${props.ups}`}>${props.ups}: commands</h3>
    ${error ? html`<p class="problem">${error}</p>` : null}
    ${list && !list.commands.length ? html`<p class="muted">This UPS reports no instant commands.</p>` : null}
    ${
      list && list.commands.length && !mine.length
        ? html`<p class="muted">Your role (${props.me.role}) may run none of this UPS's commands.</p>`
        : null
    }
    <ul class="commands">
      ${mine.map(
        (c) =>
          html`<li key=${c.name}>
            <button
              type="button"
              class=${c.confirm ? 'danger' : 'secondary'}
              onClick=${() => {
                setResult(null);
                setPending(c);
              }}
            >
              ${c.name}
            </button>
            <span class="muted small">${c.description}${c.access === 'admin' ? ' (admin)' : ''}</span>
          </li>`,
      )}
    </ul>
    ${result ? html`<p class=${`banner ${result.ok ? 'ok' : 'bad'}`} role="status">${result.text}</p>` : null}
    <${ConfirmDialog}
      open=${pending !== null}
      title=${pending ? `Run ${pending.name} on ${props.ups}?` : ''}
      confirmLabel=${pending ? `Run ${pending.name}` : 'Run'}
      typed=${pending?.confirm ? props.ups : undefined}
      danger=${pending?.confirm === true}
      busy=${busy}
      onConfirm=${() => {
        if (pending) void run(pending);
      }}
      onCancel=${() => {
        setPending(null);
      }}
    >
      <p>${pending?.description}</p>
      ${pending?.confirm ? html`<p><strong>This may cut power to what the UPS feeds.</strong></p>` : null}
    <//>
  </section>`;
}

export function NutView(props: { me: Me }) {
  const s = useLiveStatus();
  const [nut, setNut] = useState<NutStateResponse | null>(null);
  const [error, setError] = useState<string | null>(null);
  useEffect(() => {
    getJson<NutStateResponse>('/api/nut').then(setNut, (e: unknown) => {
      setError(e instanceof Error ? e.message : String(e));
    });
  }, []);
  const canCommand = RANK[props.me.role] >= RANK.operator;

  return html`<section class="view" aria-labelledby="nut-title">
    <h1 id="nut-title">NUT server</h1>
    ${error ? html`<p class="banner bad" role="alert">NUT state not available: ${error}</p>` : null}
    ${
      nut
        ? html`<p data-testid="nut-state">
              ${
                nut.state === 'listening'
                  ? html`<span class="badge ok">listening</span> on ${nut.host}:${nut.port}`
                  : nut.state === 'disabled'
                    ? html`<span class="badge unknown">disabled</span> ${nut.reason ?? ''}`
                    : html`<span class="badge bad">not listening</span> ${nut.reason ?? ''}`
              }
            </p>
            ${nut.mdns ? html`<p data-testid="nut-mdns">${mdnsWords(nut.mdns)}</p>` : null}
            <div class="table-wrap">
              <table>
                <caption>
                  UPSes served
                </caption>
                <thead>
                  <tr>
                    <th scope="col">UPS</th>
                    <th scope="col">FSD</th>
                    <th scope="col">Logins</th>
                  </tr>
                </thead>
                <tbody>
                  ${nut.ups.map(
                    (u) =>
                      html`<tr key=${u.name}>
                        <td>${u.name}</td>
                        <td>${u.fsd ? html`<span class="badge bad">FSD set</span>` : 'no'}</td>
                        <td>${u.logins}</td>
                      </tr>`,
                  )}
                </tbody>
              </table>
            </div>
            <h2>Connected clients</h2>
            ${
              nut.clients.length
                ? html`<div class="table-wrap">
                    <table>
                      <thead>
                        <tr>
                          <th scope="col">Address</th>
                          <th scope="col">User</th>
                          <th scope="col">Role</th>
                          <th scope="col">UPS</th>
                          <th scope="col">Since</th>
                        </tr>
                      </thead>
                      <tbody>
                        ${nut.clients.map(
                          (c, i) =>
                            html`<tr key=${i}>
                              <td>${c.address}</td>
                              <td>${c.user}</td>
                              <td>${c.upsmon ?? 'reader'}</td>
                              <td>${c.ups}</td>
                              <td>${time(c.since)}</td>
                            </tr>`,
                        )}
                      </tbody>
                    </table>
                  </div>`
                : html`<p class="muted">No NUT client is logged in.</p>`
            }`
        : null
    }
    <h2>UPS commands</h2>
    ${
      canCommand
        ? s.ups.map((u) => html`<${Commands} key=${u.name} ups=${u.name} me=${props.me} />`)
        : html`<p class="muted">Viewers see the NUT state; running UPS commands needs an operator or admin.</p>`
    }
  </section>`;
}
