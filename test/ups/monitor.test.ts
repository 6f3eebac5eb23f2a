import { describe, expect, it } from 'vitest';
import { createLogger } from '../../src/log.js';
import { openDatabase } from '../../src/store/database.js';
import { EventsStore } from '../../src/store/events.js';
import { ReadingsStore } from '../../src/store/readings.js';
import type { UpsEvent, UpsSnapshot } from '../../src/ups/events.js';
import { UpsMonitor, type MonitorSinks } from '../../src/ups/monitor.js';
import type { UpsCommand, UpsReading } from '../../src/ups/pdc/index.js';
import type { UpsSource, UpsSourceEvents } from '../../src/ups/ups-source.js';
import { ManualClock } from '../../src/util/clock.js';
import { Listeners } from '../../src/util/listeners.js';

/** A UPS source whose next reading the test sets; `fail` makes polls reject as a lost device does. */
class ScriptedSource implements UpsSource {
  readonly events = new Listeners<UpsSourceEvents>();
  reading: UpsReading = { variables: { 'battery.charge': '100' }, status: ['OL'] };
  fail = false;
  polls: ('quick' | 'full')[] = [];
  start(): Promise<void> {
    return Promise.resolve();
  }
  stop(): Promise<void> {
    return Promise.resolve();
  }
  poll(kind: 'quick' | 'full'): Promise<UpsReading> {
    this.polls.push(kind);
    return this.fail ? Promise.reject(new Error('device gone')) : Promise.resolve(this.reading);
  }
  command(_cmd: UpsCommand): Promise<void> {
    return Promise.resolve();
  }
  supportedCommands(): readonly UpsCommand[] {
    return [];
  }
  info() {
    return { kind: 'sim' as const, location: 'scripted' };
  }
}

async function setup(opts: { failFirst?: boolean; sinks?: (real: MonitorSinks) => MonitorSinks } = {}) {
  const clock = new ManualClock(Date.UTC(2026, 10, 21));
  const db = openDatabase(':memory:');
  const readings = new ReadingsStore(db);
  const store = new EventsStore(db);
  const source = new ScriptedSource();
  source.fail = opts.failFirst ?? false;
  const real: MonitorSinks = { recordSnapshot: (s) => readings.record(s), recordEvent: (e) => store.add(e) };
  const monitor = new UpsMonitor(
    'u',
    source,
    opts.sinks ? opts.sinks(real) : real,
    { quickIntervalMs: 2000, fullIntervalMs: 30_000, deadTimeMs: 15_000, noCommMs: 300_000 },
    clock,
    createLogger({ level: 'silent' }),
  );
  const events: UpsEvent[] = [];
  const snapshots: UpsSnapshot[] = [];
  monitor.events.on('event', (e) => events.push(e));
  monitor.events.on('snapshot', (s) => snapshots.push(s));
  await monitor.start();
  /** Advance in poll-sized steps, letting each poll's promise settle. */
  const run = async (ms: number): Promise<void> => {
    for (let t = 0; t < ms; t += 1000) {
      clock.advance(1000);
      await new Promise((r) => setImmediate(r));
    }
  };
  return { clock, source, monitor, events, snapshots, store, readings, run };
}

describe('UPS monitor', () => {
  it('polls quick every 2 s and full every 30 s', async () => {
    const m = await setup();
    await m.run(60_000);
    const full = m.source.polls.filter((p) => p === 'full').length;
    const quick = m.source.polls.filter((p) => p === 'quick').length;
    expect(full).toBe(3);
    expect(full + quick).toBe(31);
    await m.monitor.stop();
  });

  it('raises ONBATT, LOWBATT and ONLINE once each, written to the store before they are emitted', async () => {
    const m = await setup();
    const storedAtEmit: number[] = [];
    m.monitor.events.on('event', (e) => storedAtEmit.push(m.store.list(e.id - 1, 1).length));
    await m.run(4000);
    m.source.reading = { variables: {}, status: ['OB', 'DISCHRG'] };
    await m.run(6000);
    m.source.reading = { variables: {}, status: ['OB', 'DISCHRG', 'LB'] };
    await m.run(4000);
    m.source.reading = { variables: {}, status: ['OL', 'CHRG'] };
    await m.run(6000);
    expect(m.events.map((e) => e.type)).toEqual(['ONBATT', 'LOWBATT', 'ONLINE']);
    expect(storedAtEmit).toEqual([1, 1, 1]);
    expect(m.store.list(0, 10).map((e) => e.type)).toEqual(['ONBATT', 'LOWBATT', 'ONLINE']);
    await m.monitor.stop();
  });

  it('takes a pushed reading at once, between polls', async () => {
    const m = await setup();
    await m.run(1000);
    m.source.events.emit('reading', { variables: {}, status: ['OB'] });
    expect(m.events.map((e) => e.type)).toEqual(['ONBATT']);
    expect(m.monitor.snapshot().status).toEqual(['OB']);
    await m.monitor.stop();
  });

  it('is lost at the first failed poll (COMMBAD at once, not after the dead time), COMMOK at the first good read, no ONBATT twice', async () => {
    const m = await setup();
    m.source.reading = { variables: { 'battery.charge': '80' }, status: ['OB'] };
    await m.run(2000);
    const contact = m.monitor.snapshot().lastContactAt;
    m.source.fail = true;
    await m.run(2000);
    expect(m.monitor.snapshot().comms).toBe('lost');
    expect(m.events.map((e) => e.type)).toEqual(['ONBATT', 'COMMBAD']);
    expect(m.events[1]?.message).toMatch(/device gone/);
    // The last variables stay; the status is not claimed while lost; the time is that of the last reading.
    expect(m.monitor.snapshot()).toMatchObject({
      status: [],
      variables: { 'battery.charge': '80' },
      lastContactAt: contact,
      at: contact,
    });
    await m.run(20_000);
    expect(m.events.map((e) => e.type)).toEqual(['ONBATT', 'COMMBAD']);
    m.source.fail = false;
    await m.run(2000);
    expect(m.monitor.snapshot().comms).toBe('ok');
    expect(m.monitor.snapshot().status).toEqual(['OB']);
    expect(m.events.map((e) => e.type)).toEqual(['ONBATT', 'COMMBAD', 'COMMOK']);
    await m.monitor.stop();
  });

  it('is lost at once when the source reports a disconnect, before any poll fails', async () => {
    const m = await setup();
    await m.run(2000);
    m.source.events.emit('connection', false, 'device unplugged');
    expect(m.monitor.snapshot().comms).toBe('lost');
    expect(m.events.map((e) => e.type)).toEqual(['COMMBAD']);
    expect(m.events[0]?.message).toMatch(/device unplugged/);
    // The poll that follows fails too: still one COMMBAD.
    m.source.fail = true;
    await m.run(4000);
    expect(m.events.map((e) => e.type)).toEqual(['COMMBAD']);
    await m.monitor.stop();
  });

  it('a UPS never reached is NOCOMM at once (the first failed poll after start-up), no COMMBAD, and shows nothing read (at and lastContactAt 0)', async () => {
    const m = await setup({ failFirst: true });
    // The poll at start-up may race a source's own first connection; the next one decides.
    expect(m.events).toEqual([]);
    expect(m.monitor.snapshot()).toMatchObject({ comms: 'unknown', at: 0, lastContactAt: 0 });
    await m.run(2000);
    expect(m.events.map((e) => e.type)).toEqual(['NOCOMM']);
    expect(m.events[0]?.message).toMatch(/never reached.*device gone/);
    expect(m.monitor.snapshot()).toMatchObject({ comms: 'unknown', at: 0, lastContactAt: 0, status: [] });
    await m.run(400_000);
    expect(m.events.map((e) => e.type)).toEqual(['NOCOMM']);
    expect(m.monitor.snapshot()).toMatchObject({ at: 0, lastContactAt: 0 });
    // Nothing was read, so nothing was written as a reading.
    expect(m.readings.latest('u')).toBeUndefined();
    m.source.fail = false;
    await m.run(2000);
    expect(m.events.map((e) => e.type)).toEqual(['NOCOMM', 'COMMOK']);
    expect(m.monitor.snapshot().comms).toBe('ok');
    await m.monitor.stop();
  });

  it('a source that connects just after start-up is not NOCOMM for it', async () => {
    const m = await setup({ failFirst: true });
    m.source.fail = false;
    m.source.events.emit('connection', true, 'connected');
    await m.run(2000);
    expect(m.events).toEqual([]);
    expect(m.monitor.snapshot().comms).toBe('ok');
    expect(m.monitor.snapshot().at).toBeGreaterThan(0);
    await m.monitor.stop();
  });

  it('a reading without status tokens never replaces a known status: no duplicate ONBATT, no lost ONLINE', async () => {
    const m = await setup();
    m.source.reading = { variables: { 'battery.charge': '90' }, status: ['OB', 'DISCHRG'] };
    await m.run(2000);
    m.source.events.emit('reading', { variables: { 'battery.charge': '89' }, status: [] });
    expect(m.monitor.snapshot().status).toEqual(['OB', 'DISCHRG']);
    expect(m.monitor.snapshot().variables['battery.charge']).toBe('89');
    await m.run(2000);
    expect(m.events.map((e) => e.type)).toEqual(['ONBATT']);
    // A reading the source marks partial is not taken for a power state either.
    m.source.events.emit('reading', { variables: {}, status: ['OL'], complete: false });
    expect(m.monitor.snapshot().status).toEqual(['OB', 'DISCHRG']);
    expect(m.events.map((e) => e.type)).toEqual(['ONBATT']);
    m.source.events.emit('reading', { variables: {}, status: [] });
    m.source.reading = { variables: {}, status: ['OL', 'CHRG'] };
    await m.run(2000);
    expect(m.events.map((e) => e.type)).toEqual(['ONBATT', 'ONLINE']);
    expect(m.snapshots.every((s) => s.comms !== 'ok' || s.status.length > 0)).toBe(true);
    await m.monitor.stop();
  });

  it('survives a store that throws: snapshots and events go on from memory, onStoreError once per failure streak', async () => {
    let full = false;
    const storeErrors: unknown[] = [];
    let recovered = 0;
    const m = await setup({
      sinks: (real) => ({
        recordSnapshot: (s) => {
          if (full) throw new Error('SQLITE_FULL: database or disk is full');
          real.recordSnapshot(s);
        },
        recordEvent: (e) => {
          if (full) throw new Error('SQLITE_FULL: database or disk is full');
          return real.recordEvent(e);
        },
        onStoreError: (err) => storeErrors.push(err),
        onStoreOk: () => recovered++,
      }),
    });
    await m.run(2000);
    full = true;
    const before = m.snapshots.length;
    m.source.reading = { variables: {}, status: ['OB'] };
    await m.run(4000);
    m.source.reading = { variables: {}, status: ['OB', 'LB'] };
    await m.run(2000);
    expect(m.snapshots.length).toBeGreaterThan(before);
    expect(m.monitor.snapshot().status).toEqual(['OB', 'LB']);
    expect(m.events.map((e) => e.type)).toEqual(['ONBATT', 'LOWBATT']);
    expect(m.events.every((e) => e.id < 0)).toBe(true);
    expect(new Set(m.events.map((e) => e.id)).size).toBe(2);
    expect(storeErrors).toHaveLength(1);
    expect(String(storeErrors[0])).toMatch(/SQLITE_FULL/);
    full = false;
    m.source.reading = { variables: {}, status: ['OL'] };
    await m.run(2000);
    expect(recovered).toBe(1);
    expect(m.events.at(-1)).toMatchObject({ type: 'ONLINE' });
    expect(m.events.at(-1)!.id).toBeGreaterThan(0);
    full = true;
    await m.run(2000);
    expect(storeErrors).toHaveLength(2);
    await m.monitor.stop();
  });

  it('raises NOCOMM once after five minutes without contact', async () => {
    const m = await setup();
    m.source.fail = true;
    await m.run(320_000);
    expect(m.events.map((e) => e.type)).toEqual(['COMMBAD', 'NOCOMM']);
    expect(m.events[1]?.message).toMatch(/^u: no contact with the UPS for 5 min \d s$/);
    expect(m.monitor.snapshot().comms).toBe('lost');
    await m.monitor.stop();
  });

  it('survives a listener that throws', async () => {
    const m = await setup();
    m.monitor.events.on('snapshot', () => {
      throw new Error('broken consumer');
    });
    await m.run(4000);
    m.source.reading = { variables: {}, status: ['OB'] };
    await m.run(2000);
    expect(m.events.map((e) => e.type)).toEqual(['ONBATT']);
    await m.monitor.stop();
  });
});
