import { describe, expect, it } from 'vitest';
import { formatDuration } from '../../src/shutdown/forecast.js';
import { duration } from '../../src/web/client/format.js';
import { liveSentence, secondsLeft } from '../../src/web/client/live-sentence.js';
import type { DecisionResponse } from '../../src/web/api-types/decision.js';

// The overview moves the server's decision sentence on between messages: the page's pure part, in Node.
const base: DecisionResponse = {
  level: 'warning',
  sentence:
    'On battery 20 s. Plan homelab starts in 10 min (runtime-aware rule: runtime 9 min 20 s < plan 4 min × 1.5 + 60 s)',
  startsAt: '2026-12-02T00:10:00.000Z',
  startsInS: 600,
  rule: 'runtime_vs_plan',
  ups: 'demo',
  onBatteryS: 20,
  running: false,
  latched: false,
  asOf: '2026-12-02T00:00:00.000Z',
};

describe('the live decision sentence', () => {
  it('counts the start down and the time on battery up, leaving the rule text as the server wrote it', () => {
    expect(liveSentence(base, 0)).toBe(base.sentence);
    expect(liveSentence(base, 130)).toBe(
      'On battery 2 min 30 s. Plan homelab starts in 7 min 50 s (runtime-aware rule: runtime 9 min 20 s < plan 4 min × 1.5 + 60 s)',
    );
    expect(secondsLeft(base, 130)).toBe(470);
    // Past the start: zero, never negative.
    expect(liveSentence(base, 700)).toContain('starts in 0 s (runtime-aware');
    expect(secondsLeft(base, 700)).toBe(0);
  });

  it('moves the low-battery clock of an unreached UPS, and leaves a sentence without a start alone', () => {
    const dead: DecisionResponse = {
      ...base,
      sentence:
        'UPS demo not reached for 30 s while on battery: treated as low battery in 5 s. Plan homelab starts then.',
      startsInS: 5,
      onBatteryS: null,
    };
    expect(liveSentence(dead, 3)).toBe(
      'UPS demo not reached for 30 s while on battery: treated as low battery in 2 s. Plan homelab starts then.',
    );
    const mains: DecisionResponse = {
      ...base,
      sentence: 'On mains. Nothing will shut down.',
      startsAt: null,
      startsInS: null,
      onBatteryS: null,
    };
    expect(liveSentence(mains, 50)).toBe('On mains. Nothing will shut down.');
    expect(secondsLeft(mains, 50)).toBeNull();
  });

  it('writes durations exactly as the server does', () => {
    for (const s of [0, 1, 59, 60, 61, 130, 599, 600, 3599, 3600, 3660, 7322, 200_000]) {
      expect(duration(s), String(s)).toBe(formatDuration(s));
    }
  });
});
