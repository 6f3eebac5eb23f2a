import { describe, expect, it } from 'vitest';
import { ErrorCode, UpsguardError } from '../../../src/errors.js';
import { builtinScenarios, dueSteps, parseScenario } from '../../../src/ups/sim/scenario.js';
import fc from 'fast-check';

describe('scenario files', () => {
  it('parses steps and a loop', () => {
    const s = parseScenario('# outage\n0 mains on\n0 load 40\n10 mains off # cut\n30 mains on\n40 loop\n', 't');
    expect(s.loopAtS).toBe(40);
    expect(s.steps).toEqual([
      { atS: 0, action: { kind: 'mains', on: true } },
      { atS: 0, action: { kind: 'load', pct: 40 } },
      { atS: 10, action: { kind: 'mains', on: false } },
      { atS: 30, action: { kind: 'mains', on: true } },
    ]);
  });

  it.each([
    ['x mains on', /line 1: time "x" is not a number/],
    ['5 mains on\n3 mains off', /line 2: time 3 goes back before 5/],
    ['1 mains maybe', /line 1: mains needs on or off/],
    ['1 load 140', /line 1: load needs a percentage/],
    ['1 dance', /line 1: unknown action "dance"/],
    ['5 loop\n6 mains on', /line 2: nothing may follow loop/],
    ['0 loop', /loop at 0 would never advance/],
  ])('rejects %j naming the line', (text, message) => {
    expect(() => parseScenario(text, 't')).toThrow(message);
    try {
      parseScenario(text, 't');
    } catch (e) {
      expect(e).toBeInstanceOf(UpsguardError);
      expect((e as UpsguardError).code).toBe(ErrorCode.ScenarioInvalid);
    }
  });

  it('unrolls loops when asked for the steps due in an interval', () => {
    const s = parseScenario(builtinScenarios['demo-loop']!, 'demo');
    const due = dueSteps(s, 0, 1600).map(
      (x) => `${x.atS}:${x.action.kind === 'mains' ? (x.action.on ? 'on' : 'off') : x.action.kind}`,
    );
    expect(due).toEqual(['150:off', '450:on', '750:on', '750:load', '900:off', '1200:on', '1500:on', '1500:load']);
  });

  it('never throws anything but the typed error on arbitrary text', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 200 }), (text) => {
        try {
          parseScenario(text, 'fuzz');
        } catch (e) {
          expect(e).toBeInstanceOf(UpsguardError);
        }
      }),
      { numRuns: 300 },
    );
  });
});
