// The decision in one sentence, above everything, its clocks counting on between server messages.
import { liveSentence } from '../live-sentence.js';
import { html } from '../html.js';
import type { Decision } from '../types.js';

const TONE: Record<Decision['level'], string> = { normal: 'ok', warning: 'warn', critical: 'bad' };

export function DecisionLine(props: { decision: Decision | null; receivedAt: number; now: number }) {
  const d = props.decision;
  if (!d) return null;
  const elapsed = (props.now - props.receivedAt) / 1000;
  // The countdown is in the sentence itself ("… starts in 3 min 40 s (…)"), moved on each second: one line, said once.
  return html`<section class=${`decision ${TONE[d.level]}`} aria-labelledby="decision-title">
    <h2 id="decision-title" class="visually-hidden">What will happen</h2>
    <p class="decision-sentence" data-testid="decision">${liveSentence(d, elapsed)}</p>
  </section>`;
}
