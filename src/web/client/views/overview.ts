// The overview: the decision above all, then every UPS.
import { html } from '../html.js';
import { useLiveStatus, useNow } from '../status-store.js';
import { DecisionLine } from './decision-line.js';
import { RestoreLine } from './restore-line.js';
import { UpsCard } from './ups-card.js';

export function OverviewView() {
  const s = useLiveStatus();
  const now = useNow();
  return html`<section class="view" aria-labelledby="overview-title">
    <h1 id="overview-title" class="visually-hidden">Overview</h1>
    <${DecisionLine} decision=${s.decision} receivedAt=${s.decisionAt} now=${now} />
    <${RestoreLine} />
    ${s.error ? html`<p class="banner bad" role="alert">Status not available: ${s.error}</p>` : null}
    ${s.loaded && !s.ups.length && !s.error ? html`<p class="muted">No UPS is configured.</p>` : null}
    <div class="ups-list">
      ${s.ups.map(
        (u) => html`<${UpsCard} key=${u.name} ups=${u} receivedAt=${s.receivedAt[u.name] ?? now} now=${now} />`,
      )}
    </div>
  </section>`;
}
