// Restore: after an outage run, what upsguard brings back and in what order, what it waits for now (mains steady,
// the battery bars), each target's state, and whether the cluster is as it was before the outage.
import type { BatteryBarView, RestoreConditionsView } from '../../api-types/restore.js';
import { RESTORE_TONE, RESTORE_WORDS, useRestore } from '../components/restore-state.js';
import { RestoreTimeline } from '../components/restore-timeline.js';
import { secs, when } from '../components/format.js';
import { duration } from '../format.js';
import { html } from '../html.js';

function Bar(props: { label: string; bar: BatteryBarView }) {
  return html`<li data-bar=${props.label}>
    <span class=${`badge ${props.bar.met ? 'ok' : 'warn'}`}>${props.bar.met ? 'met' : 'not met'}</span>
    ${props.label}: ${props.bar.why}
  </li>`;
}

/** `waiting`: whether the restore waits on these conditions now (say if they hold). */
function Conditions(props: { c: RestoreConditionsView; waiting: boolean }) {
  const { c } = props;
  return html`<section class="panel" aria-labelledby="restore-conditions-title" data-testid="restore-conditions">
    <h2 id="restore-conditions-title">Return conditions now (UPS ${c.ups})</h2>
    <ul class="rt-conditions">
      <li data-condition="mains">
        <span class=${`badge ${c.mainsOnline && (c.mainsSteadyForS ?? 0) >= c.mainsSteadyNeededS ? 'ok' : 'warn'}`}
          >${c.mainsOnline ? 'mains present' : 'mains absent'}</span
        >
        ${
          c.mainsSteadyForS === null
            ? ` mains must be steady for ${secs(c.mainsSteadyNeededS)}`
            : ` mains steady for ${secs(c.mainsSteadyForS)} of ${secs(c.mainsSteadyNeededS)}`
        }
      </li>
      <li data-condition="battery">
        battery now: charge ${c.chargePct === null ? '–' : `${c.chargePct} %`}, runtime ${secs(c.runtimeS)}
      </li>
      <${Bar} label="hosts and the last phase" bar=${c.firstTier} />
      <${Bar} label="earlier phases" bar=${c.otherTiers} />
    </ul>
    ${props.waiting ? html`<p class="small">${c.ready ? 'Ready: the restore may begin.' : 'Not ready yet.'}</p>` : null}
  </section>`;
}

export function RestoreView() {
  const { data: r, error } = useRestore();
  return html`<section class="view" aria-labelledby="restore-title">
    <h1 id="restore-title">Restore after an outage</h1>
    ${error ? html`<p class="banner bad" role="alert">Restore not available: ${error}</p>` : null}
    ${!r && !error ? html`<p class="muted">Loading…</p>` : null}
    ${
      r && (r.state === 'none' || r.state === 'disabled')
        ? html`<p class="panel muted" data-testid="restore-summary" data-state=${r.state}>
            ${
              r.state === 'none'
                ? 'No outage has shut the cluster down yet: there is nothing to restore.'
                : 'The restore is off (restore.enabled: false): after an outage, nothing is started again from here.'
            }
          </p>`
        : null
    }
    ${
      r && r.state !== 'none' && r.state !== 'disabled'
        ? html`<div class="panel" data-testid="restore-summary" data-state=${r.state}>
              <p>
                <span class=${`badge ${RESTORE_TONE[r.state]}`} data-testid="restore-state"
                  >${RESTORE_WORDS[r.state]}</span
                >
                <strong data-testid="restore-as-before"> ${r.asBefore}</strong>
              </p>
              ${r.waitingFor ? html`<p data-testid="restore-waiting">Waiting for ${r.waitingFor}</p>` : null}
              ${r.summary ? html`<p data-testid="restore-text">${r.summary}</p>` : null}
              ${
                r.durationS !== null
                  ? html`<p data-testid="restore-duration">Back in ${duration(r.durationS)} from mains returning.</p>`
                  : null
              }
              <p class="small muted">
                ${r.runId !== null ? `Outage run #${r.runId}` : ''}
                ${r.mainsBackAt ? ` · mains back ${when(r.mainsBackAt)}` : ''}
                ${r.startedAt ? ` · started ${when(r.startedAt)}` : ''}
                ${r.finishedAt ? ` · finished ${when(r.finishedAt)}` : ''}
              </p>
            </div>
            ${r.conditions ? html`<${Conditions} c=${r.conditions} waiting=${r.state === 'waiting' || r.state === 'interrupted'} />` : null}
            <h2>What comes back, in order</h2>
            <${RestoreTimeline} tiers=${r.tiers} />`
        : null
    }
  </section>`;
}
