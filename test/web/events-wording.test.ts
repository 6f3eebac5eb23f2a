import { describe, expect, it } from 'vitest';
import { createLogger } from '../../src/log.js';
import { openDatabase } from '../../src/store/database.js';
import { EventsStore } from '../../src/store/events.js';
import type { UpsEvent } from '../../src/ups/events.js';
import { PolicyWatcher } from '../../src/shutdown/policy-watcher.js';
import { UpsMonitor } from '../../src/ups/monitor.js';
import type { UpsCommand, UpsReading } from '../../src/ups/pdc/index.js';
import { describeDuration, namedMessage, statusChanges } from '../../src/ups/status-events.js';
import type { UpsSource, UpsSourceEvents } from '../../src/ups/ups-source.js';
import { ManualClock } from '../../src/util/clock.js';
import { Listeners } from '../../src/util/listeners.js';
import { serviceConfig, serviceShutdown } from '../shutdown/service-rig.js';

class ScriptedSource implements UpsSource {
  readonly events = new Listeners<UpsSourceEvents>();
  reading: UpsReading = { variables: { 'battery.charge': '100' }, status: ['OL'] };
  start(): Promise<void> {
    return Promise.resolve();
  }
  stop(): Promise<void> {
    return Promise.resolve();
  }
  poll(): Promise<UpsReading> {
    return Promise.resolve(this.reading);
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

describe('describeDuration', () => {
  it('says durations as people do, the two largest units', () => {
    expect(describeDuration(0)).toBe('0 s');
    expect(describeDuration(-5000)).toBe('0 s');
    expect(describeDuration(Number.NaN)).toBe('0 s');
    expect(describeDuration(45_400)).toBe('45 s');
    expect(describeDuration(130_000)).toBe('2 min 10 s');
    expect(describeDuration(120_000)).toBe('2 min');
    expect(describeDuration(3_900_000)).toBe('1 h 5 min');
    expect(describeDuration(3_600_000 + 59_000)).toBe('1 h');
    expect(describeDuration(3_600_000 + 60_000)).toBe('1 h 1 min');
    expect(describeDuration((3 * 24 + 2) * 3_600_000 + 999_000)).toBe('3 d 2 h');
  });
});

describe('status change wording', () => {
  it('says "on battery" without a duration, and "back on mains after …" when the outage length is known', () => {
    expect(statusChanges(['OL'], ['OB'])).toEqual([{ type: 'ONBATT', message: 'on battery' }]);
    expect(statusChanges(['OB'], ['OL'], 130_000)).toEqual([
      { type: 'ONLINE', message: 'back on mains after 2 min 10 s' },
    ]);
    expect(statusChanges(['OB'], ['OL'], 400)).toEqual([{ type: 'ONLINE', message: 'back on mains' }]);
    expect(statusChanges(['OB'], ['OL'])).toEqual([{ type: 'ONLINE', message: 'back on mains' }]);
  });

  it('names the UPS once', () => {
    expect(namedMessage('ups1', 'on battery')).toBe('ups1: on battery');
    expect(namedMessage('ups1', 'ups1: on battery')).toBe('ups1: on battery');
    expect(namedMessage('', 'history is kept again')).toBe('history is kept again');
  });

  it('the monitor names its UPS in every event and says how long the outage lasted', async () => {
    const clock = new ManualClock(Date.UTC(2026, 11, 2));
    const db = openDatabase(':memory:');
    const store = new EventsStore(db);
    const source = new ScriptedSource();
    const monitor = new UpsMonitor(
      'rack-ups',
      source,
      { recordSnapshot: () => undefined, recordEvent: (e) => store.add(e) },
      { quickIntervalMs: 2000, fullIntervalMs: 30_000, noCommMs: 300_000 },
      clock,
      createLogger({ level: 'silent' }),
    );
    const events: UpsEvent[] = [];
    monitor.events.on('event', (e) => events.push(e));
    await monitor.start();
    const run = async (ms: number): Promise<void> => {
      for (let t = 0; t < ms; t += 1000) {
        clock.advance(1000);
        await new Promise((r) => setImmediate(r));
      }
    };
    await run(4000);
    source.reading = { variables: { 'battery.charge': '90' }, status: ['OB', 'DISCHRG'] };
    await run(130_000);
    source.reading = { variables: { 'battery.charge': '80' }, status: ['OL', 'CHRG'] };
    await run(4000);
    await monitor.stop();
    expect(events.map((e) => [e.type, e.message])).toEqual([
      ['ONBATT', 'rack-ups: on battery'],
      ['ONLINE', 'rack-ups: back on mains after 2 min 10 s'],
    ]);
    // Written as worded: the page, the CSV export and notifications read the stored text.
    expect(store.recent(10).map((e) => e.message)).toEqual(events.map((e) => e.message));
    db.close();
  });
});

describe('policy warning wording', () => {
  it('names the UPS once and says "on battery", not "warning: gone: on battery for 0 s"', () => {
    const clock = new ManualClock(Date.UTC(2026, 11, 2));
    const config = serviceConfig(serviceShutdown(), {
      ups: [{ name: 'gone', source: { kind: 'sim', scenario: 'steady' } }],
    });
    const recorded: [string, string, string][] = [];
    const w = new PolicyWatcher({
      config,
      latch: { latch: () => null, setLatch: () => undefined, clearLatch: () => undefined },
      clock,
      log: createLogger({ level: 'silent' }),
      planEstimateS: () => null,
      realRunActive: () => false,
      trigger: () => undefined,
      event: (type, ups, message) => recorded.push([type, ups, message]),
    });
    w.arm();
    const at = clock.now();
    const reading = { 'battery.charge': '90', 'battery.runtime': '1800' };
    w.onSnapshot({ ups: 'gone', at, variables: reading, status: ['OL'], comms: 'ok', lastContactAt: at });
    w.onSnapshot({ ups: 'gone', at, variables: reading, status: ['OB', 'DISCHRG'], comms: 'ok', lastContactAt: at });
    expect(recorded.filter(([type]) => type === 'POLICY_WARNING')).toEqual([
      ['POLICY_WARNING', 'gone', 'gone: on battery'],
    ]);
  });
});
