// The decision in one sentence, above everything, counting down between server messages.
import { duration } from '../format.js';
import { liveSentence, secondsLeft } from '../live-sentence.js';
import { html } from '../html.js';
import type { Decision } from '../types.js';

const TONE: Record<Decision['level'], string> = { normal: 'ok', warning: 'warn', critical: 'bad' };

export function DecisionLine(props: { decision: Decision | null; receivedAt: number; now: number }) {
  const d = props.decision;
  if (!d) return null;
  const elapsed = (props.now - props.receivedAt) / 1000;
  const left = secondsLeft(d, elapsed);
  return html`<section class=${`decision ${TONE[d.level]}`} aria-labelledby="decision-title">
    <h2 id="decision-title" class="visually-hidden">What will happen</h2>
    <p class="decision-sentence" data-testid="decision">${liveSentence(d, elapsed)}</p>
    ${
      left !== null
        ? html`<p class="countdown" role="timer" aria-live="off">
            ${left > 0 ? `Starts in ${duration(left)}` : 'Starting now'}
          </p>`
        : null
    }
  </section>`;
}
