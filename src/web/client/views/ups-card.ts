// One UPS at a glance: state in words and colour, the numbers that matter in an outage, and where it is read from.
import { duration, time } from '../format.js';
import { html } from '../html.js';
import { charge, COMMS_WORDS, commsTone, relayText, STATUS_WORDS, upsState } from '../status-words.js';
import type { UpsStatus } from '../types.js';

function withUnit(u: UpsStatus, value: number | null, unit: string): string {
  if (value !== null) return `${value} ${unit}`;
  // "not reported" is a fact about a UPS that answered; one never reached has reported nothing at all.
  return u.lastContact ? 'not reported' : '–';
}

function Metric(props: { label: string; value: string; field: string; stale?: boolean }) {
  return html`<div class=${props.stale ? 'stale' : ''}>
    <dt>${props.label}</dt>
    <dd data-field=${props.field}>
      ${props.value}${props.stale ? html` <span class="badge warn">stale</span>` : null}
    </dd>
  </div>`;
}

export function UpsCard(props: { ups: UpsStatus; receivedAt: number; now: number }) {
  const u = props.ups;
  const sinceReceived = Math.max(0, (props.now - props.receivedAt) / 1000);
  const state = upsState(u);
  const c = charge(u);
  const runtime = u.runtimeS;
  // Ages and the time on battery move on between snapshots; the server's figures are as of the snapshot.
  const age = u.dataAgeS === null ? null : u.dataAgeS + sinceReceived;
  const stale = u.stale;
  const onBattS = u.onBatteryS === null ? null : u.onBatteryS + sinceReceived;
  const t = u.lastSelfTest;
  const selfTest = t ? `${t.result}${t.at ? ` (${time(t.at)})` : ''}` : 'not reported';
  const model = [u.maker, u.model].filter((x) => x !== null).join(' ');
  const serial = u.serial;
  const headingId = `ups-${u.name}`;
  return html`<article class="panel ups" data-ups=${u.name} aria-labelledby=${headingId}>
    <div class="ups-head">
      <h2 class="ups-name" id=${headingId}>${u.name}</h2>
      <span class=${`badge state ${state.tone}`} data-field="state">${state.words}</span>
      <span class=${`badge comms ${commsTone(u.comms)}`} data-field="comms">${COMMS_WORDS[u.comms] ?? u.comms}</span>
    </div>
    ${u.description ? html`<p class="muted desc">${u.description}</p>` : null}
    <meter
      class="gauge"
      min="0"
      max="100"
      low="21"
      high="51"
      optimum="100"
      value=${c ?? 0}
      aria-label="Battery charge"
    ></meter>
    <dl class="metrics">
      <${Metric} label="Charge" field="charge" value=${c === null ? '–' : `${c} %`} stale=${stale && c !== null} />
      <${Metric}
        label="Runtime"
        field="runtime"
        value=${runtime === null ? '–' : duration(runtime)}
        stale=${stale && runtime !== null}
      />
      <${Metric} label="Load" field="load" value=${withUnit(u, u.loadPct, '%')} />
      <${Metric} label="Input" field="input" value=${withUnit(u, u.inputVoltage, 'V')} />
      <${Metric} label="Output" field="output" value=${withUnit(u, u.outputVoltage, 'V')} />
      <${Metric} label="Battery" field="battery-voltage" value=${withUnit(u, u.batteryVoltage, 'V')} />
      <${Metric}
        label="On battery"
        field="on-battery"
        value=${onBattS !== null ? duration(onBattS) : u.status.includes('OB') ? 'yes' : 'no'}
      />
      <${Metric} label="Self-test" field="self-test" value=${selfTest} />
      <div>
        <dt>Status</dt>
        <dd data-field="status" title=${u.status.map((t) => STATUS_WORDS[t] ?? t).join(', ')}>
          ${u.status.length ? u.status.join(' ') : '–'}
        </dd>
      </div>
      <${Metric}
        label="Data age"
        field="updated"
        value=${age === null ? 'never' : `${duration(age)} ago`}
        stale=${stale}
      />
    </dl>
    ${
      model || serial
        ? html`<p class="muted small" data-field="model">
            ${model || 'model not reported'}${serial ? ` · serial ${serial}` : ''}
          </p>`
        : null
    }
    ${u.problem ? html`<p class="problem" data-field="problem">${u.problem}</p>` : null}
    <p class="muted small" data-field="source">${relayText(u) ?? `${u.source.kind}: ${u.source.location}`}</p>
  </article>`;
}
