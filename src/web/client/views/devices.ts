// Devices: what each relay agent exports (state, who holds the claim), the link and its round trip, the agent
// host's USB devices; and the UPSes on this machine's own USB.
import { useEffect, useState } from 'preact/hooks';
import { getJson } from '../api.js';
import { time } from '../format.js';
import { html } from '../html.js';
import type { DevicesResponse } from '../types.js';

const STATE_TONE: Record<string, string> = {
  available: 'ok',
  attached: 'ok',
  attaching: 'warn',
  failed: 'bad',
  missing: 'bad',
};

const LINK_TONE: Record<string, string> = {
  connected: 'ok',
  connecting: 'warn',
  reconnecting: 'warn',
  unreachable: 'bad',
};

function id(vendor: string | null, product: string | null): string {
  return vendor && product ? `${vendor}:${product}` : '–';
}

export function DevicesView() {
  const [data, setData] = useState<DevicesResponse | null>(null);
  const [error, setError] = useState<string | null>(null);
  useEffect(() => {
    getJson<DevicesResponse>('/api/devices').then(setData, (e: unknown) => {
      setError(e instanceof Error ? e.message : String(e));
    });
  }, []);

  return html`<section class="view" aria-labelledby="devices-title">
    <h1 id="devices-title">Devices</h1>
    ${error ? html`<p class="banner bad" role="alert">Devices not available: ${error}</p>` : null}
    ${!data && !error ? html`<p class="muted">Loading…</p>` : null}
    ${
      data
        ? html`<section aria-labelledby="relays-title">
              <h2 id="relays-title">Relay agents</h2>
              ${data.relays.length ? null : html`<p class="muted">No UPS is read through a relay agent.</p>`}
              ${data.relays.map(
                (r) =>
                  html`<article class="panel" key=${r.ups} data-relay=${r.ups}>
                    <h3>${r.ups} <span class="muted small">via ${r.link.agentHost ?? r.link.url}</span></h3>
                    <p>
                      <span class=${`badge ${LINK_TONE[r.link.link] ?? 'unknown'}`}>link ${r.link.link}</span>
                      ${r.link.rttMs !== null ? html` round trip ${r.link.rttMs.toFixed(2)} ms` : null} · claim
                      ${r.link.claim}${r.link.claimProblem ? html`: <strong>${r.link.claimProblem}</strong>` : null}
                    </p>
                    ${r.problem ? html`<p class="problem">${r.problem}</p>` : null}
                    ${
                      r.devices.length
                        ? html`<div class="table-wrap">
                            <table>
                              <caption>
                                Exported devices
                              </caption>
                              <thead>
                                <tr>
                                  <th scope="col">Name</th>
                                  <th scope="col">Device</th>
                                  <th scope="col">State</th>
                                  <th scope="col">Controller</th>
                                  <th scope="col">Since</th>
                                </tr>
                              </thead>
                              <tbody>
                                ${r.devices.map(
                                  (d) =>
                                    html`<tr key=${d.name}>
                                      <td>${d.name}</td>
                                      <td>
                                        ${[d.manufacturer, d.product].filter(Boolean).join(' ') || d.identity}
                                        <span class="muted small">
                                          ${id(d.vendorId, d.productId)}${d.serial ? ` · ${d.serial}` : ''}</span
                                        >
                                      </td>
                                      <td>
                                        <span class=${`badge ${STATE_TONE[d.state] ?? 'unknown'}`}>${d.state}</span>
                                      </td>
                                      <td>
                                        ${d.controller ?? html`<span class="muted">nobody</span>`}${
                                          d.leaseUntil
                                            ? html`<span class="muted small"> until ${time(d.leaseUntil)}</span>`
                                            : null
                                        }
                                      </td>
                                      <td>${time(d.stateChangedAt)}</td>
                                    </tr>`,
                                )}
                              </tbody>
                            </table>
                          </div>`
                        : html`<p class="muted">The agent exports no device.</p>`
                    }
                    ${
                      r.host.length
                        ? html`<div class="table-wrap">
                            <table>
                              <caption>
                                USB devices on the agent's host
                              </caption>
                              <thead>
                                <tr>
                                  <th scope="col">Port</th>
                                  <th scope="col">Device</th>
                                  <th scope="col">HID</th>
                                  <th scope="col">Relay</th>
                                </tr>
                              </thead>
                              <tbody>
                                ${r.host.map(
                                  (h) =>
                                    html`<tr key=${`${h.bus}-${h.deviceNumber}`}>
                                      <td>${h.portPath}</td>
                                      <td>
                                        ${[h.manufacturer, h.product].filter(Boolean).join(' ') || 'unnamed'}
                                        <span class="muted small"> ${id(h.vendorId, h.productId)}</span>
                                      </td>
                                      <td>${h.isHid ? 'yes' : 'no'}</td>
                                      <td>${h.claim}</td>
                                    </tr>`,
                                )}
                              </tbody>
                            </table>
                          </div>`
                        : null
                    }
                  </article>`,
              )}
            </section>
            <section aria-labelledby="local-title">
              <h2 id="local-title">This machine's USB</h2>
              ${
                data.local.length
                  ? html`<ul>
                      ${data.local.map(
                        (l) =>
                          html`<li key=${l.ups}>
                            <strong>${l.ups}</strong>: ${l.location} (${id(l.vendorId, l.productId)})
                          </li>`,
                      )}
                    </ul>`
                  : html`<p class="muted">No UPS on this machine's own USB.</p>`
              }
            </section>`
        : null
    }
  </section>`;
}
