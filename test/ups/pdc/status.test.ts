import { describe, expect, it } from 'vitest';
import { statusTokens, type StatusFlag } from '../../../src/ups/pdc/status.js';

const flags = (on: StatusFlag[], off: StatusFlag[] = []): Map<StatusFlag, boolean> =>
  new Map<StatusFlag, boolean>([...on.map((f) => [f, true] as const), ...off.map((f) => [f, false] as const)]);
const ctx = { onlineDischarge: 'online' as const };

describe('ups.status tokens (reference §7.2)', () => {
  it.each([
    ['online only', flags(['online']), ['OL']],
    ['offline', flags([], ['online']), ['OB']],
    ['no AC info but discharging', flags(['dischrg']), ['OB', 'DISCHRG']],
    ['no AC info, not discharging', flags([]), []],
    ['OL + DISCHRG default (calibrating?)', flags(['online', 'dischrg']), ['OL', 'DISCHRG']],
    ['depleted suppresses DISCHRG', flags(['dischrg', 'depleted'], ['online']), ['OB']],
    ['cal first', flags(['cal', 'online']), ['CAL', 'OL']],
    ['LB from lowbatt', flags(['lowbatt'], ['online']), ['OB', 'LB']],
    ['LB from timelimitexp', flags(['timelimitexp', 'online']), ['OL', 'LB']],
    ['LB from shutdownimm', flags(['shutdownimm', 'online']), ['OL', 'LB']],
    ['RB from replacebatt', flags(['replacebatt', 'online']), ['OL', 'RB']],
    ['RB from nobattery', flags(['nobattery', 'online']), ['OL', 'RB']],
    ['OVER', flags(['overload', 'online']), ['OL', 'OVER']],
    ['TRIM and BOOST', flags(['trim', 'boost', 'online']), ['OL', 'TRIM', 'BOOST']],
    ['BYPASS auto', flags(['bypassauto', 'online']), ['OL', 'BYPASS']],
    ['BYPASS manual', flags(['bypassman', 'online']), ['OL', 'BYPASS']],
    ['OFF', flags(['off'], ['online']), ['OB', 'OFF']],
    [
      'order of everything',
      flags(['cal', 'dischrg', 'lowbatt', 'overload', 'replacebatt', 'trim', 'boost', 'bypassauto', 'off'], ['online']),
      ['CAL', 'OB', 'DISCHRG', 'LB', 'OVER', 'RB', 'TRIM', 'BOOST', 'BYPASS', 'OFF'],
    ],
  ] as const)('%s', (_name, f, expected) => {
    expect(statusTokens(f, ctx)).toEqual(expected);
  });

  it('OL + DISCHRG with the onbattery option is OB; with the calibration option CAL', () => {
    const f = flags(['online', 'dischrg']);
    expect(statusTokens(f, { onlineDischarge: 'onbattery' })).toEqual(['OB', 'DISCHRG']);
    expect(statusTokens(f, { onlineDischarge: 'calibration' })).toEqual(['CAL', 'DISCHRG']);
  });

  it('CHRG needs "not fully charged", or 0 < charge < 100 when the device has no such bit', () => {
    expect(statusTokens(flags(['online', 'chrg'], ['fullycharged']), ctx)).toEqual(['OL', 'CHRG']);
    expect(statusTokens(flags(['online', 'chrg', 'fullycharged']), ctx)).toEqual(['OL']);
    expect(statusTokens(flags(['online', 'chrg']), { ...ctx, charge: 92 })).toEqual(['OL', 'CHRG']);
    expect(statusTokens(flags(['online', 'chrg']), { ...ctx, charge: 100 })).toEqual(['OL']);
    expect(statusTokens(flags(['online', 'chrg']), { ...ctx, charge: 0 })).toEqual(['OL']);
    expect(statusTokens(flags(['online', 'chrg']), ctx)).toEqual(['OL', 'CHRG']);
  });
});
