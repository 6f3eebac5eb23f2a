// The restore as a timeline, in the order it brings things back: the hosts, then the plan's phases (the last to go
// down first), then what stays off. Each target carries its state, why it failed, and when it was back.
import type { RestoreTargetStateView, RestoreTargetView, RestoreTierView } from '../../api-types/restore.js';
import { html } from '../html.js';
import { when } from './format.js';

const TONE: Record<RestoreTargetStateView, 'ok' | 'bad' | 'warn' | 'unknown'> = {
  pending: 'unknown',
  starting: 'warn',
  done: 'ok',
  already_on: 'ok',
  failed: 'bad',
  left_off: 'unknown',
};

const WORDS: Record<RestoreTargetStateView, string> = {
  pending: 'pending',
  starting: 'starting…',
  done: 'done',
  already_on: 'already on',
  failed: 'failed',
  left_off: 'left off',
};

const BAR_WORDS = { first: 'first battery bar', other: 'other tiers’ battery bar' } as const;

function TargetLine(props: { t: RestoreTargetView }) {
  const { t } = props;
  return html`<li class="rt-target" data-target=${t.name} data-state=${t.state}>
    <span class="rt-name">${t.name}</span>
    <span class="muted small">${t.kind}${t.host ? ` on ${t.host}` : ''} · ${t.driver}</span>
    <span class=${`badge ${TONE[t.state]}`} data-restore-state>${WORDS[t.state]}</span>
    ${t.before ? html`<span class="small muted">before the outage: ${t.before}</span>` : null}
    ${t.backAt ? html`<span class="small">back at ${when(t.backAt)}</span>` : null}
    ${t.error ? html`<span class="small problem" data-restore-error>${t.error}</span>` : null}
  </li>`;
}

export function RestoreTimeline(props: { tiers: readonly RestoreTierView[] }) {
  if (props.tiers.length === 0) return html`<p class="muted">Nothing to bring back.</p>`;
  return html`<ol class="restore-timeline" aria-label="Restore timeline">
    ${props.tiers.map(
      (tier) =>
        html`<li class="rt-tier" key=${tier.name} data-tier=${tier.name}>
          <div class="rt-head">
            <strong>${tier.name}</strong>
            <span class="small muted">
              ${`${tier.bar ? `gated by the ${BAR_WORDS[tier.bar]}` : 'off before the outage: stays off'} · ${tier.targets.length} target${tier.targets.length === 1 ? '' : 's'}`}
            </span>
          </div>
          <ul class="rt-targets">
            ${tier.targets.map((t) => html`<${TargetLine} key=${t.name} t=${t} />`)}
          </ul>
        </li>`,
    )}
  </ol>`;
}
