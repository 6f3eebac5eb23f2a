// Events: newest first, filtered by type and UPS, paged by id (older/newer), new ones arriving live on page one.
import { useEffect, useState } from 'preact/hooks';
import { getJson } from '../api.js';
import { html } from '../html.js';
import { onLive } from '../live.js';
import { useLiveStatus } from '../status-store.js';
import type { EventItem, EventsResponse } from '../types.js';
import { UPS_EVENT_TYPES } from '../../../ups/events.js';

const PAGE = 50;

// Every event type the server records, from its one list (a pure, import-free module), so the filter never lags it.
const TYPES: readonly string[] = UPS_EVENT_TYPES;

const SEVERITY_CLASS: Record<EventItem['severity'], string> = { critical: 'bad', warning: 'warn', info: 'ok' };

function params(type: string, ups: string, before: number | null, limit?: number): string {
  const p = new URLSearchParams();
  if (type) p.set('type', type);
  if (ups) p.set('ups', ups);
  if (before !== null) p.set('before', String(before));
  if (limit !== undefined) p.set('limit', String(limit));
  return p.toString();
}

export function EventsView() {
  const s = useLiveStatus();
  const [type, setType] = useState('');
  const [ups, setUps] = useState('');
  // The `before` of each page shown so far: [null] is the newest page; going older pushes, newer pops.
  const [pages, setPages] = useState<(number | null)[]>([null]);
  const [data, setData] = useState<EventsResponse | null>(null);
  const [error, setError] = useState<string | null>(null);
  const before = pages[pages.length - 1] ?? null;

  useEffect(() => {
    let cancelled = false;
    getJson<EventsResponse>(`/api/events?${params(type, ups, before, PAGE)}`).then(
      (r) => {
        if (!cancelled) {
          setData(r);
          setError(null);
        }
      },
      (e: unknown) => {
        if (!cancelled) setError(e instanceof Error ? e.message : String(e));
      },
    );
    return () => {
      cancelled = true;
    };
  }, [type, ups, before]);

  useEffect(
    () =>
      onLive('event', (d) => {
        const e = d as EventItem;
        if (before !== null) return;
        if (type && !type.split(',').includes(e.type)) return;
        if (ups && e.ups !== ups) return;
        setData((cur) =>
          cur && !cur.events.some((x) => x.id === e.id) ? { ...cur, events: [e, ...cur.events].slice(0, PAGE) } : cur,
        );
      }),
    [type, ups, before],
  );

  const resetTo = (next: () => void): void => {
    next();
    setPages([null]);
  };

  return html`<section class="view" aria-labelledby="events-title">
    <h1 id="events-title">Events</h1>
    <div class="toolbar">
      <label
        >Type
        <select
          value=${type}
          onChange=${(e: Event) => {
            resetTo(() => {
              setType((e.target as HTMLSelectElement).value);
            });
          }}
        >
          <option value="">all</option>
          ${TYPES.map((t) => html`<option key=${t} value=${t}>${t}</option>`)}
        </select>
      </label>
      <label
        >UPS
        <select
          value=${ups}
          onChange=${(e: Event) => {
            resetTo(() => {
              setUps((e.target as HTMLSelectElement).value);
            });
          }}
        >
          <option value="">all</option>
          ${s.ups.map((u) => html`<option key=${u.name} value=${u.name}>${u.name}</option>`)}
        </select>
      </label>
      <a class="csv" href=${`/api/events.csv?${params(type, ups, null)}`}>Export CSV</a>
    </div>
    ${error ? html`<p class="banner bad" role="alert">Events not available: ${error}</p>` : null}
    ${data && !data.events.length ? html`<p class="muted">No events${type || ups ? ' match the filter' : ' yet'}.</p>` : null}
    ${
      data && data.events.length
        ? html`<div class="table-wrap">
            <table class="events">
              <thead>
                <tr>
                  <th scope="col">When</th>
                  <th scope="col">Type</th>
                  <th scope="col">UPS</th>
                  <th scope="col">What happened</th>
                </tr>
              </thead>
              <tbody>
                ${data.events.map(
                  (e) =>
                    html`<tr key=${e.id} data-type=${e.type}>
                      <td><time datetime=${e.at}>${new Date(e.at).toLocaleString()}</time></td>
                      <td><span class=${`badge ${SEVERITY_CLASS[e.severity]}`}>${e.type}</span></td>
                      <td>${e.ups}</td>
                      <td class="message">${e.message}</td>
                    </tr>`,
                )}
              </tbody>
            </table>
          </div>`
        : null
    }
    <nav class="pager" aria-label="Event pages">
      <button
        type="button"
        class="secondary"
        disabled=${pages.length <= 1}
        onClick=${() => {
          setPages(pages.slice(0, -1));
        }}
      >
        Newer
      </button>
      <button
        type="button"
        class="secondary"
        disabled=${!data || data.nextBefore === null}
        onClick=${() => {
          if (data && data.nextBefore !== null) setPages([...pages, data.nextBefore]);
        }}
      >
        Older
      </button>
    </nav>
  </section>`;
}
