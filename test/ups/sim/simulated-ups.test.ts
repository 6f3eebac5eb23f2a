import { describe, expect, it } from 'vitest';
import { readValue } from '../../../src/ups/hid/report-codec.js';
import { createUpsModel } from '../../../src/ups/pdc/index.js';
import { HidUpsReader } from '../../../src/ups/hid-ups-reader.js';
import { recordedDevices } from '../../../src/ups/sim/recorded-devices.js';
import { parseScenario } from '../../../src/ups/sim/scenario.js';
import { SimulatedUps, findRecordedDevice } from '../../../src/ups/sim/simulated-ups.js';
import { SimTransport } from '../../../src/ups/transport/sim-transport.js';
import { ManualClock } from '../../../src/util/clock.js';

function sim(device = 'apc-back-ups-cs-500', scenario = '0 mains on\n0 load 20', timeScale = 1) {
  const clock = new ManualClock(0);
  const ups = new SimulatedUps({
    device: findRecordedDevice(device),
    scenario: parseScenario(scenario),
    timeScale,
    clock,
  });
  const transport = new SimTransport(ups);
  const reader = new HidUpsReader({ transport });
  return { clock, ups, transport, reader };
}

describe('simulated UPS', () => {
  it.each(recordedDevices.map((d) => d.name))(
    '%s reads as a healthy UPS on mains through the HID engine',
    async (name) => {
      const s = sim(name);
      await s.reader.start();
      const r = await s.reader.poll('full');
      expect(r.status).toContain('OL');
      expect(r.status).not.toContain('OB');
      expect(r.variables['battery.charge']).toBe('100');
      expect(Number(r.variables['battery.runtime'])).toBeGreaterThan(0);
      expect(r.variables['ups.vendorid']).toBe(findRecordedDevice(name).vendorId.toString(16).padStart(4, '0'));
    },
  );

  it('drains on battery, raises the UPS low-battery flag below its own limit, and recharges on mains', async () => {
    const s = sim('apc-back-ups-cs-500', '0 mains on\n0 load 20\n10 mains off');
    await s.reader.start();
    const inputs: Uint8Array[] = [];
    s.transport.events.on('input', (r) => inputs.push(r));
    s.ups.advance(11);
    expect(inputs.length).toBeGreaterThan(0);
    let r = await s.reader.poll('quick');
    expect(r.status).toEqual(expect.arrayContaining(['OB', 'DISCHRG']));
    s.ups.advance(2580 * 0.5);
    r = await s.reader.poll('quick');
    expect(Number(r.variables['battery.charge'])).toBeCloseTo(50, -1);
    expect(r.status).not.toContain('LB');
    s.ups.advance(2580 * 0.45);
    r = await s.reader.poll('quick');
    expect(Number(r.variables['battery.charge'])).toBeLessThanOrEqual(10);
    expect(r.status).toContain('LB');
    s.ups.setMains(true);
    s.ups.advance(3600);
    r = await s.reader.poll('quick');
    expect(r.status).toEqual(expect.arrayContaining(['OL', 'CHRG']));
    expect(r.status).not.toContain('LB');
  });

  it('pushes an input report on change, as a real UPS does on its interrupt pipe, and the reader decodes it', async () => {
    const s = sim();
    await s.reader.start();
    await s.reader.poll('full');
    const readings: string[][] = [];
    s.reader.events.on('reading', (r) => readings.push(r.status));
    s.ups.setMains(false);
    expect(readings.at(-1)).toEqual(expect.arrayContaining(['OB', 'DISCHRG']));
    s.ups.setMains(true);
    expect(readings.at(-1)).toContain('OL');
    expect(readings.at(-1)).not.toContain('OB');
  });

  it('follows the scenario with its time scale on the clock', () => {
    const s = sim('apc-back-ups-cs-500', '0 mains on\n100 mains off\n200 mains on', 10);
    s.ups.start();
    s.clock.advance(9_000);
    expect(s.ups.state.mains).toBe(true);
    s.clock.advance(2_000);
    expect(s.ups.state.mains).toBe(false);
    s.clock.advance(10_000);
    expect(s.ups.state.mains).toBe(true);
    s.ups.stop();
  });

  it('CyberPower: shutdown.return cuts the output after the off delay and restores it after the start delay', async () => {
    const s = sim('cyberpower-cp1500pfclcd', '0 mains on\n0 load 20');
    await s.reader.start();
    await s.reader.poll('full');
    s.ups.setMains(false);
    await s.reader.command('shutdown.return', { offDelay: 60, onDelay: 120 });
    const model = createUpsModel(s.ups.descriptorBytes, { vendorId: 0x0764, productId: 0x0501 });
    const timer = model.fieldFor('ups.timer.shutdown')!;
    expect(readValue(timer, s.ups.getReport('feature', timer.reportId)!)).toBe(60);
    expect((await s.reader.poll('full')).variables['ups.timer.shutdown']).toBe('60');
    s.ups.advance(59);
    expect(s.ups.state.outputOn).toBe(true);
    s.ups.advance(2);
    expect(s.ups.state.outputOn).toBe(false);
    s.ups.advance(600);
    expect(s.ups.state.outputOn).toBe(false);
    s.ups.setMains(true);
    s.ups.advance(119);
    expect(s.ups.state.outputOn).toBe(false);
    s.ups.advance(2);
    expect(s.ups.state.outputOn).toBe(true);
  });

  it('APC Back-UPS: the native shutdown.return cycles the output once mains is back', async () => {
    const s = sim('apc-back-ups-cs-500');
    await s.reader.start();
    await s.reader.poll('full');
    expect(s.reader.supportedCommands()).toEqual(['shutdown.return']);
    s.ups.setMains(false);
    await s.reader.command('shutdown.return');
    s.ups.advance(2);
    expect(s.ups.state.outputOn).toBe(false);
    s.ups.advance(60);
    expect(s.ups.state.outputOn).toBe(false);
    s.ups.setMains(true);
    s.ups.advance(1);
    expect(s.ups.state.outputOn).toBe(true);
  });

  it('shutdown.stop cancels a running countdown', async () => {
    const s = sim('cyberpower-cp1500pfclcd');
    await s.reader.start();
    await s.reader.command('shutdown.return', { offDelay: 60, onDelay: 120 });
    s.ups.advance(30);
    await s.reader.command('shutdown.stop');
    s.ups.advance(120);
    expect(s.ups.state.outputOn).toBe(true);
    expect((await s.reader.poll('full')).variables['ups.timer.shutdown']).toBe('-60');
  });

  it('rejects a feature write of the wrong length with a typed error and keeps running', async () => {
    const s = sim();
    await s.reader.start();
    await expect(s.transport.sendFeatureReport(Uint8Array.of(0x0c))).rejects.toThrow(
      /feature report 12 is 1 bytes, the device expects 6/,
    );
    await expect(s.transport.sendFeatureReport(Uint8Array.of(0x99, 1))).rejects.toThrow(/no feature report 153/);
    expect((await s.reader.poll('quick')).status).toContain('OL');
  });

  it('reports a missing device as closed, not as a crash', async () => {
    const s = sim();
    await s.reader.start();
    s.transport.unplug();
    await expect(s.reader.poll('quick')).rejects.toThrow(/not connected/);
    await s.transport.replug();
    expect((await s.reader.poll('quick')).status).toContain('OL');
  });
});
