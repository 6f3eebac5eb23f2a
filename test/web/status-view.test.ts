import { describe, expect, it } from 'vitest';
import type { StatusResponse, UpsStatusView } from '../../src/web/api-types/status.js';
import { stateOf } from '../../src/web/views.js';
import { as, readRig, snap, T0, type FakeUps } from './read-apis-rig.js';

const VARS = {
  'battery.charge': '87',
  'battery.runtime': '1260',
  'ups.load': '23',
  'input.voltage': '231.5',
  'output.voltage': '230',
  'battery.voltage': '13.4',
  'device.model': 'Back-UPS CS 500',
  'device.mfr': 'American Power Conversion',
  'device.serial': '3B1234',
};

async function status(ups: FakeUps[], setup?: (r: Awaited<ReturnType<typeof readRig>>) => void) {
  const r = await readRig(ups);
  setup?.(r);
  const res = await r.app.inject({ url: '/api/status', headers: as('viewer') });
  expect(res.statusCode).toBe(200);
  return { r, body: res.json<StatusResponse>() };
}

describe('GET /api/status', () => {
  it('adds what the overview shows to the fields it had', async () => {
    const { body } = await status([{ name: 'ups1', snapshot: snap('ups1', T0 - 1000, ['OL', 'CHRG'], VARS) }]);
    const u = body.ups[0]!;
    expect(u).toMatchObject({
      name: 'ups1',
      status: ['OL', 'CHRG'],
      comms: 'ok',
      variables: VARS,
      lastUpdate: new Date(T0 - 1000).toISOString(),
      state: { state: 'online', words: 'On mains', tone: 'ok' },
      charge: 87,
      runtimeS: 1260,
      loadPct: 23,
      inputVoltage: 231.5,
      outputVoltage: 230,
      batteryVoltage: 13.4,
      onBatteryS: null,
      lastSelfTest: null,
      model: 'Back-UPS CS 500',
      maker: 'American Power Conversion',
      serial: '3B1234',
      link: { comms: 'ok', relay: null },
      dataAgeS: 1,
      stale: false,
    } satisfies Partial<UpsStatusView>);
    expect(body.store).toEqual({ historyKept: true, path: null, since: null, reason: null });
  });

  it('time on battery counts from the ONBATT that began this outage', async () => {
    const { body } = await status([{ name: 'ups1', snapshot: snap('ups1', T0, ['OB', 'DISCHRG'], VARS) }], (r) => {
      r.events.add({ at: T0 - 3_600_000, type: 'ONBATT', ups: 'ups1', message: 'ups1: on battery' });
      r.events.add({ at: T0 - 3_000_000, type: 'ONLINE', ups: 'ups1', message: 'ups1: back on mains' });
      r.events.add({ at: T0 - 130_000, type: 'ONBATT', ups: 'ups1', message: 'ups1: on battery' });
      r.events.add({ at: T0 - 100_000, type: 'ONBATT', ups: 'other', message: 'other: on battery' });
    });
    expect(body.ups[0]).toMatchObject({
      state: { state: 'on-battery', words: 'On battery', tone: 'warn' },
      onBatteryS: 130,
    });
  });

  it('is stale past three quick intervals (6 s here) or when comms say so; ages in seconds', async () => {
    const { body } = await status([
      { name: 'fresh', snapshot: snap('fresh', T0 - 6000, ['OL']) },
      { name: 'old', snapshot: snap('old', T0 - 6001, ['OL']) },
      { name: 'flagged', snapshot: { ...snap('flagged', T0, ['OL']), comms: 'stale' } },
      { name: 'never', snapshot: { ...snap('never', 0, []), comms: 'unknown', lastContactAt: 0 } },
    ]);
    expect(body.ups.map((u) => [u.name, u.dataAgeS, u.stale])).toEqual([
      ['fresh', 6, false],
      ['old', 6, true],
      ['flagged', 0, true],
      ['never', null, false],
    ]);
    expect(body.ups[3]!.state).toEqual({ state: 'unknown', words: 'Not reached yet', tone: 'muted' });
  });

  it('the last self-test: from ups.test.result, else the last BATTERY_TEST event', async () => {
    const { body } = await status(
      [
        { name: 'var', snapshot: snap('var', T0, ['OL'], { 'ups.test.result': 'Done and passed' }) },
        { name: 'ev', snapshot: snap('ev', T0, ['OL'], { 'ups.test.result': 'No test initiated' }) },
      ],
      (r) => {
        r.events.add({ at: T0 - 86_400_000, type: 'BATTERY_TEST', ups: 'ev', message: 'ev: battery test passed' });
        r.events.add({ at: T0 - 3_600_000, type: 'BATTERY_TEST', ups: 'var', message: 'var: battery test started' });
      },
    );
    expect(body.ups[0]!.lastSelfTest).toEqual({
      result: 'Done and passed',
      at: new Date(T0 - 3_600_000).toISOString(),
    });
    expect(body.ups[1]!.lastSelfTest).toEqual({
      result: 'ev: battery test passed',
      at: new Date(T0 - 86_400_000).toISOString(),
    });
  });

  it('needs a viewer', async () => {
    const r = await readRig([]);
    expect((await r.app.inject({ url: '/api/status' })).statusCode).toBe(401);
  });
});

describe('state in words', () => {
  it('the most serious token wins', () => {
    const s = (status: string[], comms: 'ok' | 'lost' = 'ok') => stateOf({ status, comms, at: 1 }).state;
    expect(s(['OL'])).toBe('online');
    expect(s(['OB', 'DISCHRG'])).toBe('on-battery');
    expect(s(['OB', 'LB'])).toBe('low-battery');
    expect(s(['FSD', 'OB', 'LB'])).toBe('forced-shutdown');
    expect(s(['OL', 'OFF'])).toBe('output-off');
    expect(s(['OL', 'OVER'])).toBe('overload');
    expect(s(['OL', 'BYPASS'])).toBe('bypass');
    expect(s(['OL', 'CAL'])).toBe('calibrating');
    expect(s([], 'lost')).toBe('comms-lost');
    expect(stateOf({ status: [], comms: 'lost', at: 1 })).toEqual({
      state: 'comms-lost',
      words: 'Not reached',
      tone: 'bad',
    });
  });
});
