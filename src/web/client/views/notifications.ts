// Notifications: each channel (where it goes, what it takes, quiet hours) and how its queue stands (waiting,
// failing, expired, last delivered, last error), then the latest messages. Admins may send a test per channel.
import { useEffect, useState } from 'preact/hooks';
import type {
  NotifyChannelView,
  NotifyMessageView,
  NotifyOverview,
  NotifyTestResponse,
} from '../../api-types/notify.js';
import { ApiError, send } from '../api.js';
import { secs, when } from '../components/format.js';
import { useLoad } from '../components/use-load.js';
import { html } from '../html.js';
import type { Me } from '../types.js';

const STATE_TONE: Record<NotifyMessageView['state'], 'ok' | 'warn' | 'bad'> = {
  sent: 'ok',
  pending: 'warn',
  expired: 'bad',
};

/** Queued messages move on by themselves (retries, deliveries): the view asks again this often while shown. */
const REFRESH_MS = 5000;

function TestButton(props: { channel: string; onSent: () => void }) {
  const [busy, setBusy] = useState(false);
  const [result, setResult] = useState<{ ok: boolean; text: string } | null>(null);
  const test = async (): Promise<void> => {
    setBusy(true);
    setResult(null);
    try {
      const r = await send<NotifyTestResponse>('POST', `/api/notify/${encodeURIComponent(props.channel)}/test`);
      setResult({ ok: true, text: `Test queued for ${r.channel} (message ${r.messageId}).` });
      props.onSent();
    } catch (e) {
      setResult({ ok: false, text: `Test not queued: ${e instanceof ApiError ? e.message : String(e)}` });
    } finally {
      setBusy(false);
    }
  };
  return html`<div class="notify-test">
    <button type="button" class="secondary" disabled=${busy} onClick=${() => void test()}>
      Send a test to ${props.channel}
    </button>
    ${
      result
        ? html`<p class=${`banner ${result.ok ? 'ok' : 'bad'}`} role="status" data-testid="notify-test-result">
            ${result.text}
          </p>`
        : null
    }
  </div>`;
}

function Channel(props: { c: NotifyChannelView; admin: boolean; onSent: () => void }) {
  const { c } = props;
  const id = `channel-${c.name}`;
  return html`<section class="panel notify-channel" aria-labelledby=${id} data-channel=${c.name}>
    <h2 id=${id}>
      ${c.name} <span class="muted small">${c.kind}</span>
      ${c.failing ? html` <span class="badge bad" data-testid="notify-failing">failing</span>` : null}
      ${!c.failing && c.pending === 0 ? html` <span class="badge ok">up to date</span>` : null}
    </h2>
    <dl class="notify-facts">
      <dt>Goes to</dt>
      <dd>${c.target}</dd>
      <dt>Events</dt>
      <dd>${c.events ? c.events.join(', ') : 'all'}, severity ${c.minSeverity} and above</dd>
      <dt>Quiet hours</dt>
      <dd>${c.quietHours ? `${c.quietHours.from}–${c.quietHours.to} (never for a shutdown)` : 'none'}</dd>
      <dt>Waiting</dt>
      <dd data-testid="notify-pending">
        ${c.pending}${c.oldestPendingAt ? `, the oldest since ${when(c.oldestPendingAt)}` : ''}
      </dd>
      <dt>Expired</dt>
      <dd>${c.expired}</dd>
      <dt>Last delivered</dt>
      <dd data-testid="notify-last-delivered">${c.lastDeliveredAt ? when(c.lastDeliveredAt) : 'never'}</dd>
      <dt>Last error</dt>
      <dd>${c.lastError ? html`<span class="problem">${c.lastError}</span>` : 'none'}</dd>
    </dl>
    ${props.admin ? html`<${TestButton} channel=${c.name} onSent=${props.onSent} />` : null}
  </section>`;
}

function Recent(props: { recent: readonly NotifyMessageView[] }) {
  if (props.recent.length === 0) return html`<p class="muted">No message has been queued yet.</p>`;
  return html`<div class="table-wrap">
    <table data-testid="notify-recent">
      <caption class="visually-hidden">
        Latest messages, newest first
      </caption>
      <thead>
        <tr>
          <th scope="col">Queued</th>
          <th scope="col">Channel</th>
          <th scope="col">Event</th>
          <th scope="col">UPS</th>
          <th scope="col">State</th>
          <th scope="col">Attempts</th>
          <th scope="col">Next attempt</th>
          <th scope="col">Last error</th>
        </tr>
      </thead>
      <tbody>
        ${props.recent.map(
          (m) =>
            html`<tr key=${m.id} data-message=${m.id} data-state=${m.state}>
              <td>${when(m.createdAt)}</td>
              <td>${m.channel}</td>
              <td>${m.eventType}</td>
              <td>${m.ups}</td>
              <td><span class=${`badge ${STATE_TONE[m.state]}`}>${m.state}</span></td>
              <td>${m.attempts}</td>
              <td>${m.state === 'pending' ? when(m.nextAttemptAt) : '–'}</td>
              <td>${m.lastError ?? ''}</td>
            </tr>`,
        )}
      </tbody>
    </table>
  </div>`;
}

export function NotificationsView(props: { me: Me }) {
  const { data, error, reload } = useLoad<NotifyOverview>('/api/notify');
  useEffect(() => {
    const timer = setInterval(reload, REFRESH_MS);
    return () => {
      clearInterval(timer);
    };
  }, [reload]);
  const admin = props.me.role === 'admin';
  return html`<section class="view" aria-labelledby="notify-title">
    <h1 id="notify-title">Notifications</h1>
    ${error ? html`<p class="banner bad" role="alert">Notifications not available: ${error}</p>` : null}
    ${!data && !error ? html`<p class="muted">Loading…</p>` : null}
    ${
      data
        ? html`<p class="small muted">
              Every message is queued on disk before it is sent and retried (at most every ${secs(data.retryMaxS)})
              until delivered, or expired after ${secs(data.expireAfterS)}.
            </p>
            ${data.channels.length === 0 ? html`<p class="muted">No notification channel is configured.</p>` : null}
            ${data.channels.map((c) => html`<${Channel} key=${c.name} c=${c} admin=${admin} onSent=${reload} />`)}
            <h2>Latest messages</h2>
            <${Recent} recent=${data.recent} />`
        : null
    }
  </section>`;
}
