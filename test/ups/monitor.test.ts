import { describe, expect, it } from 'vitest';
import { createLogger } from '../../src/log.js';
import { openDatabase } from '../../src/store/database.js';
import { EventsStore } from '../../src/store/events.js';
import { ReadingsStore } from '../../src/store/readings.js';
import type { UpsEvent, UpsSnapshot } from '../../src/ups/events.js';
import { UpsMonitor } from '../../src/ups/monitor.js';
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

async function setup() {
  const clock = new ManualClock(Date.UTC(2026, 10, 21));
  const db = openDatabase(':memory:');
  const readings = new ReadingsStore(db);
  const store = new EventsStore(db);
  const source = new ScriptedSource();
  const monitor = new UpsMonitor(
    'u',
    source,
    { recordSnapshot: (s) => readings.record(s), recordEvent: (e) => store.add(e) },
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

  it('is stale after a failed poll, COMMBAD after the dead time, COMMOK when contact returns, no ONBATT twice', async () => {
    const m = await setup();
    m.source.reading = { variables: {}, status: ['OB'] };
    await m.run(2000);
    m.source.fail = true;
    await m.run(4000);
    expect(m.monitor.snapshot().comms).toBe('stale');
    expect(m.events.map((e) => e.type)).toEqual(['ONBATT']);
    await m.run(14_000);
    expect(m.monitor.snapshot().comms).toBe('lost');
    expect(m.monitor.snapshot().status).toEqual([]);
    expect(m.events.map((e) => e.type)).toEqual(['ONBATT', 'COMMBAD']);
    m.source.fail = false;
    await m.run(2000);
    expect(m.monitor.snapshot().comms).toBe('ok');
    expect(m.events.map((e) => e.type)).toEqual(['ONBATT', 'COMMBAD', 'COMMOK']);
    await m.monitor.stop();
  });

  it('raises NOCOMM once after five minutes without contact', async () => {
    const m = await setup();
    m.source.fail = true;
    await m.run(320_000);
    expect(m.events.map((e) => e.type)).toEqual(['COMMBAD', 'NOCOMM']);
    expect(m.events[1]?.message).toMatch(/no contact with the UPS for 30\d s/);
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
