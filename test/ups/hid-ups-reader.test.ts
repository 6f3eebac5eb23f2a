import { describe, expect, it } from 'vitest';
import { createLogger } from '../../src/log.js';
import { trackAll, type PolicyState } from '../../src/shutdown/policy.js';
import type { UpsEvent, UpsSnapshot } from '../../src/ups/events.js';
import { HidUpsReader } from '../../src/ups/hid-ups-reader.js';
import { UpsMonitor } from '../../src/ups/monitor.js';
import { parseScenario } from '../../src/ups/sim/scenario.js';
import { SimulatedUps, findRecordedDevice } from '../../src/ups/sim/simulated-ups.js';
import type { HidDeviceInfo, HidTransport, HidTransportEvents } from '../../src/ups/transport/hid-transport.js';
import { SimTransport } from '../../src/ups/transport/sim-transport.js';
import type { SourceReading } from '../../src/ups/ups-source.js';
import { ManualClock } from '../../src/util/clock.js';
import { Listeners } from '../../src/util/listeners.js';

const T0 = Date.UTC(2026, 10, 21);
const settle = async (): Promise<void> => {
  for (let i = 0; i < 5; i++) await new Promise((r) => setImmediate(r));
};

function sim(device = 'apc-back-ups-cs-500') {
  const clock = new ManualClock(T0);
  const ups = new SimulatedUps({
    device: findRecordedDevice(device),
    scenario: parseScenario('0 mains on\n0 load 20'),
    timeScale: 1,
    clock,
  });
  const transport = new SimTransport(ups);
  return { clock, ups, transport };
}

/** The sim UPS, the reader and a monitor on one manual clock, with every event, snapshot and the policy's track. */
async function watched(device?: string) {
  const s = sim(device);
  const reader = new HidUpsReader({ transport: s.transport });
  let nextId = 1;
  const monitor = new UpsMonitor(
    'u',
    reader,
    { recordSnapshot: () => undefined, recordEvent: (e) => ({ ...e, id: nextId++ }) },
    { quickIntervalMs: 2000, fullIntervalMs: 30_000, noCommMs: 300_000 },
    s.clock,
    createLogger({ level: 'silent' }),
  );
  const events: UpsEvent[] = [];
  const snapshots: UpsSnapshot[] = [];
  let policy: PolicyState = {};
  const onBatterySince: (number | null)[] = [];
  monitor.events.on('event', (e) => events.push(e));
  monitor.events.on('snapshot', (x) => {
    snapshots.push(x);
    policy = trackAll(policy, x);
    onBatterySince.push(policy.u!.onBatterySince);
  });
  await monitor.start();
  const run = async (ms: number): Promise<void> => {
    for (let t = 0; t < ms; t += 500) {
      s.clock.advance(500);
      await settle();
    }
  };
  const types = (): string[] => events.map((e) => e.type);
  return { ...s, reader, monitor, events, snapshots, onBatterySince, run, types, policy: () => policy };
}

describe('HID UPS reader: partial decodes never change the power state', () => {
  it('after a re-plug, emits nothing decoded from an emptied cache; the mains-back input is applied once the full read completes', async () => {
    const s = sim();
    const reader = new HidUpsReader({ transport: s.transport });
    await reader.start();
    await reader.poll('full');
    const readings: SourceReading[] = [];
    reader.events.on('reading', (r) => readings.push(r));
    s.ups.setMains(false);
    expect(readings.at(-1)?.status).toContain('OB');
    s.transport.unplug();
    await s.transport.replug();
    const before = readings.length;
    // Mains returns at the re-plug: the device pushes the change before anyone read it in full.
    s.ups.setMains(true);
    for (const r of readings.slice(before)) expect(r.status.length).toBeGreaterThan(0);
    await settle();
    // Not lost either: the reader read in full on its own and reports the mains-back state.
    const after = readings.slice(before);
    expect(after.length).toBeGreaterThan(0);
    expect(after.every((r) => r.status.length > 0 && r.complete === true)).toBe(true);
    expect(after.at(-1)?.status).toContain('OL');
    expect(after.at(-1)?.status).not.toContain('OB');
    await reader.stop();
  });

  it('an input report held during the full read is applied over it: a read that lags the device does not lose mains-back', async () => {
    const s = sim();
    // As a relay agent's report cache can: feature reads answer what the device said a moment ago.
    const frozen = new Map<number, Uint8Array>();
    const live = s.transport.getFeatureReport.bind(s.transport);
    s.transport.getFeatureReport = async (id, length) => frozen.get(id) ?? live(id, length);
    const reader = new HidUpsReader({ transport: s.transport });
    await reader.start();
    await reader.poll('full');
    s.ups.setMains(false);
    for (const id of [6, 12, 19, 20, 64]) frozen.set(id, await live(id, 64));
    s.transport.unplug();
    await s.transport.replug();
    const readings: SourceReading[] = [];
    reader.events.on('reading', (r) => readings.push(r));
    s.ups.setMains(true);
    await settle();
    expect(readings.at(-1)?.status).toContain('OL');
    expect(readings.at(-1)?.status).not.toContain('OB');
    // And the poll that follows, still answered from the lagging cache, does not undo it either.
    expect((await reader.poll('quick')).status).toContain('OL');
    await reader.stop();
  });

  it('a command does not empty the cache: input reports after it decode in full', async () => {
    const s = sim('cyberpower-cp1500pfclcd');
    const reader = new HidUpsReader({ transport: s.transport });
    await reader.start();
    await reader.poll('full');
    s.ups.setMains(false);
    const readings: SourceReading[] = [];
    reader.events.on('reading', (r) => readings.push(r));
    await reader.command('beeper.disable');
    s.ups.setLoad(35);
    s.ups.setLoad(50);
    await settle();
    expect(readings.length).toBeGreaterThan(0);
    for (const r of readings) expect(r.status).toEqual(expect.arrayContaining(['OB']));
    await reader.stop();
  });

  it('sim re-plug mid-outage with mains back at the re-plug: one ONBATT, one ONLINE, the policy clock never restarts', async () => {
    const m = await watched();
    await m.run(4000);
    m.ups.setMains(false);
    await m.run(4000);
    expect(m.types()).toEqual(['ONBATT']);
    const since = m.policy().u!.onBatterySince;
    expect(since).not.toBeNull();
    m.transport.unplug();
    await m.run(4000);
    expect(m.types()).toEqual(['ONBATT', 'COMMBAD']);
    const replugged = m.transport.replug();
    m.ups.setMains(true);
    await replugged;
    await m.run(4000);
    expect(m.types().filter((t) => t === 'ONBATT')).toHaveLength(1);
    expect(m.types().filter((t) => t === 'ONLINE')).toHaveLength(1);
    expect(m.types()).toEqual(['ONBATT', 'COMMBAD', 'COMMOK', 'ONLINE']);
    // Until mains came back, the policy's on-battery clock stayed where the outage started.
    const onlineAt = m.snapshots.findIndex((x) => x.comms === 'ok' && x.status.includes('OL'));
    const during = m.onBatterySince.slice(m.onBatterySince.indexOf(since), onlineAt);
    expect(during.every((v) => v === since)).toBe(true);
    expect(m.snapshots.every((x) => x.comms !== 'ok' || x.status.length > 0)).toBe(true);
    await m.monitor.stop();
  });

  it('a command mid-outage (beeper) followed by input reports: no duplicate ONBATT', async () => {
    const m = await watched('cyberpower-cp1500pfclcd');
    await m.run(2000);
    m.ups.setMains(false);
    await m.run(2000);
    const since = m.policy().u!.onBatterySince;
    await m.reader.command('beeper.disable');
    m.ups.setLoad(35);
    await m.run(1000);
    m.ups.setLoad(45);
    await m.run(4000);
    expect(m.types()).toEqual(['ONBATT']);
    expect(m.policy().u!.onBatterySince).toBe(since);
    expect(m.snapshots.every((x) => x.comms !== 'ok' || x.status.length > 0)).toBe(true);
    await m.monitor.stop();
  });
});

/**
 * A device with the beeper control and the battery test in one feature report (as some units have), whose reads take
 * a turn of the event loop, so two commands can read the report before either writes it back.
 */
class SharedReportDevice implements HidTransport {
  readonly kind = 'sim' as const;
  readonly events = new Listeners<HidTransportEvents>();
  report = Uint8Array.from([1, 0, 0]);
  writes: number[][] = [];
  private readonly descriptor = Uint8Array.from([
    0x05, 0x84, 0x09, 0x04, 0xa1, 0x01, 0x85, 0x01, 0x09, 0x5a, 0x15, 0x00, 0x25, 0x07, 0x75, 0x08, 0x95, 0x01, 0xb1,
    0x02, 0x09, 0x12, 0xa1, 0x00, 0x09, 0x58, 0x15, 0x00, 0x25, 0x07, 0x75, 0x08, 0x95, 0x01, 0xb1, 0x02, 0xc0, 0xc0,
  ]);
  open(): Promise<void> {
    return Promise.resolve();
  }
  close(): Promise<void> {
    return Promise.resolve();
  }
  isConnected(): boolean {
    return true;
  }
  info(): HidDeviceInfo {
    return { vendorId: 0x1234, productId: 0x5678, location: 'test:shared-report' };
  }
  reportDescriptor(): Promise<Uint8Array> {
    return Promise.resolve(Uint8Array.from(this.descriptor));
  }
  async getFeatureReport(reportId: number): Promise<Uint8Array> {
    if (reportId !== 1) throw new Error(`no report ${reportId}`);
    const copy = Uint8Array.from(this.report);
    await settle();
    return copy;
  }
  async sendFeatureReport(data: Uint8Array): Promise<void> {
    await settle();
    this.writes.push(Array.from(data));
    this.report = Uint8Array.from(data);
  }
  getString(): Promise<string | undefined> {
    return Promise.resolve(undefined);
  }
}

describe('HID UPS reader: one command queue per device', () => {
  it('two commands sharing a feature report, issued together: both writes land', async () => {
    const device = new SharedReportDevice();
    const reader = new HidUpsReader({ transport: device });
    await reader.start();
    await reader.poll('full');
    expect(reader.supportedCommands()).toEqual(expect.arrayContaining(['beeper.disable', 'test.battery.start.quick']));
    await Promise.all([reader.command('beeper.disable'), reader.command('test.battery.start.quick')]);
    // Beeper (byte 1) disabled and the quick test (byte 2) requested: neither write undid the other.
    expect(Array.from(device.report)).toEqual([1, 1, 1]);
    expect(device.writes).toEqual([
      [1, 1, 0],
      [1, 1, 1],
    ]);
    await reader.stop();
  });
});
