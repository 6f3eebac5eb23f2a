// History: the chosen UPS over a range, one chart per variable, events as markers, and the CSV of what is shown.
import { useEffect, useState } from 'preact/hooks';
import { getJson } from '../api.js';
import { html } from '../html.js';
import { useLiveStatus } from '../status-store.js';
import type { HistoryRange, HistoryResponse } from '../types.js';
import { HistoryChart, type ChartSpec } from './history-chart.js';

const RANGES: ReadonlyArray<[id: HistoryRange, label: string]> = [
  ['1h', '1 h'],
  ['24h', '24 h'],
  ['7d', '7 d'],
  ['30d', '30 d'],
  ['1y', '1 y'],
];

const CHARTS: readonly ChartSpec[] = [
  { variable: 'battery.charge', label: 'Charge', unit: '%' },
  { variable: 'battery.runtime', label: 'Runtime', unit: 'min', scale: 60 },
  { variable: 'ups.load', label: 'Load', unit: '%' },
  { variable: 'input.voltage', label: 'Input voltage', unit: 'V' },
  { variable: 'output.voltage', label: 'Output voltage', unit: 'V' },
];

interface Loaded {
  key: string;
  history: HistoryResponse;
}

const VARS = CHARTS.map((c) => c.variable).join(',');

function query(ups: string, range: HistoryRange): string {
  return `ups=${encodeURIComponent(ups)}&var=${encodeURIComponent(VARS)}&range=${range}`;
}

export function HistoryView() {
  const s = useLiveStatus();
  const [ups, setUps] = useState<string | null>(null);
  const [range, setRange] = useState<HistoryRange>('1h');
  const [loaded, setLoaded] = useState<Loaded | null>(null);
  const [error, setError] = useState<string | null>(null);
  const name = ups ?? s.ups[0]?.name ?? null;

  useEffect(() => {
    if (!name) return;
    let cancelled = false;
    const key = `${name} ${range}`;
    getJson<HistoryResponse>(`/api/history?${query(name, range)}`).then(
      (history) => {
        if (cancelled) return;
        setError(null);
        setLoaded({ key, history });
      },
      (e: unknown) => {
        if (!cancelled) setError(e instanceof Error ? e.message : String(e));
      },
    );
    return () => {
      cancelled = true;
    };
  }, [name, range]);

  return html`<section class="view" aria-labelledby="history-title">
    <h1 id="history-title">History</h1>
    <div class="toolbar">
      <label
        >UPS
        <select
          value=${name ?? ''}
          onChange=${(e: Event) => {
            setUps((e.target as HTMLSelectElement).value);
          }}
        >
          ${s.ups.map((u) => html`<option key=${u.name} value=${u.name}>${u.name}</option>`)}
        </select>
      </label>
      <div class="range-buttons" role="group" aria-label="Range">
        ${RANGES.map(
          ([id, label]) =>
            html`<button
              type="button"
              key=${id}
              class=${id === range ? 'selected' : 'secondary'}
              aria-pressed=${id === range}
              onClick=${() => {
                setRange(id);
              }}
            >
              ${label}
            </button>`,
        )}
      </div>
      ${name ? html`<a class="csv" href=${`/api/history.csv?${query(name, range)}`}>Export CSV</a>` : null}
    </div>
    <p class="muted small">Drag across a chart to zoom; double-click to reset. Lines mark events.</p>
    ${error ? html`<p class="banner bad" role="alert">History not available: ${error}</p>` : null}
    ${!name && s.loaded ? html`<p class="muted">No UPS is configured.</p>` : null}
    ${
      loaded && name && loaded.key === `${name} ${range}`
        ? html`<div class="charts">
              ${CHARTS.map((c) => {
                const h = loaded.history;
                const series = h.series.find((x) => x.var === c.variable);
                return series?.at.length
                  ? html`<${HistoryChart}
                      key=${c.variable}
                      spec=${c}
                      series=${series}
                      markers=${h.markers}
                      from=${Date.parse(h.from)}
                      to=${Date.parse(h.to)}
                    />`
                  : html`<p key=${c.variable} class="muted">${c.label}: no readings in this range.</p>`;
              })}
            </div>
            ${
              loaded.history.markers.length
                ? html`<details class="markers">
                    <summary>${loaded.history.markers.length} events in this range</summary>
                    <ul>
                      ${loaded.history.markers.map(
                        (m) =>
                          html`<li key=${m.id}>
                            <time datetime=${m.at}>${new Date(m.at).toLocaleString()}</time> ${m.message}
                          </li>`,
                      )}
                    </ul>
                  </details>`
                : null
            }`
        : name
          ? html`<p class="muted">Loading…</p>`
          : null
    }
  </section>`;
}
