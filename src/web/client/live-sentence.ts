// The decision sentence, moved on between server messages. Pure (no DOM), so it is unit-tested in Node.
import { duration } from './format.js';
import type { Decision } from './types.js';

// "2 min 10 s", "1 h 5 min", "20 s": the server's durations (src/util/duration-words.ts, shared). Must start
// at a digit, and a space belongs to the unit after it, so "10 min (…" keeps its space.
const DURATION = String.raw`(?=\d)(?:\d+ h)?(?: ?\d+ min)?(?: ?\d+ s)?`;

/**
 * The server writes the sentence as of `asOf`; the page moves its two clocks on by the seconds since the message
 * arrived (not by this machine's clock against the appliance's, which may differ): the time left before the plan
 * starts, and the time on battery.
 */
export function liveSentence(d: Decision, elapsedS: number): string {
  const elapsed = Math.max(0, elapsedS);
  let text = d.sentence;
  const left = secondsLeft(d, elapsed);
  if (left !== null) {
    // "Plan homelab starts in …", "treated as low battery in …": the first such clock.
    text = text.replace(new RegExp(`((?:starts|trips|low battery) in )${DURATION}`), `$1${duration(left)}`);
  }
  if (d.onBatteryS !== null) {
    text = text.replace(new RegExp(`^(On battery )${DURATION}`), `$1${duration(d.onBatteryS + elapsed)}`);
  }
  return text;
}

/** Seconds until the plan starts, moved on from the message; null when no start is forecast. */
export function secondsLeft(d: Decision, elapsedS: number): number | null {
  return d.startsInS === null ? null : Math.max(0, d.startsInS - Math.max(0, elapsedS));
}
