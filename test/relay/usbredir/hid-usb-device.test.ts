import { readFileSync } from 'node:fs';
import { Writable } from 'node:stream';
import fc from 'fast-check';
import { afterEach, describe, expect, it } from 'vitest';
import { createLogger } from '../../../src/log.js';
import { ExportedDevice } from '../../../src/relay/exported-device.js';
import { HidUsbDevice, transferStatusOf } from '../../../src/relay/usbredir/hid-usb-device.js';
import { ErrorCode, UpsguardError } from '../../../src/errors.js';
import type { UsbControlSetup, UsbTransferResult } from '../../../src/relay/usbredir/usb-device.js';
import { writableReportIds } from '../../../src/relay/write-allowlist.js';
import { parseReportDescriptor } from '../../../src/ups/hid/descriptor-parser.js';
import { readValue, setValue } from '../../../src/ups/hid/report-codec.js';
import type { RecordedDevice } from '../../../src/ups/sim/recorded-device.js';
import { recordedDevices } from '../../../src/ups/sim/recorded-devices.js';
import { parseScenario } from '../../../src/ups/sim/scenario.js';
import { SimulatedUps, findRecordedDevice } from '../../../src/ups/sim/simulated-ups.js';
import { SimTransport } from '../../../src/ups/transport/sim-transport.js';
import { ManualClock } from '../../../src/util/clock.js';
import { until } from '../../helpers/until.js';
import {
  readConfigurationDescriptor,
  readDeviceDescriptor,
  readLanguages,
  readStringDescriptor,
} from './descriptor-reader.js';

const FIXTURES = new URL('../../../../shared/fixtures/hid/', import.meta.url);
const closers: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of closers.splice(0).reverse()) await c();
});

// bmRequestType values as a host sends them.
const STD_DEVICE_IN = 0x80;
const STD_DEVICE_OUT = 0x00;
const STD_INTERFACE_IN = 0x81;
const STD_INTERFACE_OUT = 0x01;
const STD_ENDPOINT_IN = 0x82;
const STD_ENDPOINT_OUT = 0x02;
const CLASS_INTERFACE_IN = 0xa1;
const CLASS_INTERFACE_OUT = 0x21;

async function rig(name: string | RecordedDevice, scenario = '0 mains on\n0 load 20') {
  const warnings: Record<string, unknown>[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _enc, cb) {
      for (const l of chunk.toString().split('\n').filter(Boolean)) {
        const rec = JSON.parse(l) as Record<string, unknown>;
        if ((rec.level as number) >= 40) warnings.push(rec);
      }
      cb();
    },
  });
  const log = createLogger({ level: 'info', destination: sink });
  const sim = new SimulatedUps({
    device: typeof name === 'string' ? findRecordedDevice(name) : name,
    scenario: parseScenario(scenario),
    timeScale: 1,
    clock: new ManualClock(),
  });
  const exported = new ExportedDevice({
    name: 'ups',
    transport: new SimTransport(sim),
    log,
    now: () => 0,
    featureCacheMs: 0,
    ringSize: 64,
  });
  await exported.start();
  await until('the exported device to read its descriptor', () => exported.isConnected(), 2000, 5);
  const usb = new HidUsbDevice({ device: exported, log });
  await usb.start();
  closers.push(async () => {
    usb.stop();
    await exported.stop();
  });
  const control = (setup: UsbControlSetup, data: Uint8Array = new Uint8Array(0)) => usb.control(setup, data);
  const getDescriptor = (type: number, index: number, length: number, requestType = STD_DEVICE_IN, wIndex = 0) =>
    control({ requestType, request: 6, value: (type << 8) | index, index: wIndex, length });
  const getReport = (type: number, id: number, length: number) =>
    control({ requestType: CLASS_INTERFACE_IN, request: 1, value: (type << 8) | id, index: 0, length });
  const setReport = (type: number, id: number, data: Uint8Array) =>
    control(
      { requestType: CLASS_INTERFACE_OUT, request: 9, value: (type << 8) | id, index: 0, length: data.length },
      data,
    );
  const configure = () => control({ requestType: STD_DEVICE_OUT, request: 9, value: 1, index: 0, length: 0 });
  return { sim, exported, usb, control, getDescriptor, getReport, setReport, configure, warnings };
}

function bytesOf(r: UsbTransferResult): Uint8Array {
  expect(r.status).toBe('success');
  return r.data!;
}

const hex = (b: Uint8Array | undefined): string => Buffer.from(b ?? []).toString('hex');

/** What NUT's upsc printed for the recorded device (the independent record of its identity). */
function upscValues(name: string): Map<string, string> {
  const text = readFileSync(new URL(`${name}.upsc.txt`, FIXTURES), 'utf8');
  return new Map(
    text
      .split('\n')
      .filter((l) => l.includes(': '))
      .map((l) => [l.slice(0, l.indexOf(': ')), l.slice(l.indexOf(': ') + 2)] as [string, string]),
  );
}

describe('HidUsbDevice: the simulated UPS as a whole USB device', () => {
  it.each(recordedDevices.map((d) => d.name))(
    '%s: its descriptors parse back and match the recording',
    async (name) => {
      const r = await rig(name);
      const recorded = findRecordedDevice(name);
      const report = parseReportDescriptor(r.sim.descriptorBytes);
      expect(r.usb.isConnected()).toBe(true);

      const device = readDeviceDescriptor(bytesOf(await r.getDescriptor(1, 0, 18)));
      expect(device).toMatchObject({ vendorId: recorded.vendorId, productId: recorded.productId, deviceClass: 0 });
      expect([0x0110, 0x0200]).toContain(device.bcdUSB);
      expect([8, 64]).toContain(device.maxPacketSize0);
      const str = async (i: number) =>
        readStringDescriptor(bytesOf(await r.getDescriptor(3, i, 255, STD_DEVICE_IN, 0x0409)));
      // The recorded devices keep product, serial and manufacturer at 1, 2, 3 (as CyberPower's lsusb shows).
      expect(device).toMatchObject({ iProduct: 1, iSerial: 2, iManufacturer: 3 });
      expect(await str(device.iManufacturer)).toBe(recorded.strings['3']);
      expect(await str(device.iProduct)).toBe(recorded.strings['1']);
      expect(await str(device.iSerial)).toBe(recorded.strings['2']);
      expect(await str(4)).toBe(recorded.strings['4']); // iDeviceChemistry's string, where PDC reports point
      expect(readLanguages(bytesOf(await r.getDescriptor(3, 0, 255)))).toEqual([0x0409]);

      const configBytes = bytesOf(await r.getDescriptor(2, 0, 255));
      const config = readConfigurationDescriptor(configBytes);
      const iface = config.interfaces[0]!;
      expect(config.interfaces).toHaveLength(1);
      expect(iface).toMatchObject({ number: 0, alt: 0, interfaceClass: 3, subclass: 0, protocol: 0 });
      expect(iface.hid!.reportType).toBe(0x22);
      expect(iface.hid!.reportLength).toBe(recorded.descriptorHex.trim().split(/\s+/).length);
      const largestInput = Math.max(...report.reportIds('input').map((id) => report.reportLength('input', id)));
      expect(iface.endpoints).toEqual([
        { address: 0x81, attributes: 3, maxPacketSize: Math.min(64, largestInput), interval: 10 },
      ]);
      expect(config.attributes & 0x40).toBe(0x40); // self-powered, as UPSes are
      expect(config.maxPowerMa).toBeLessThanOrEqual(100);

      const reportBytes = bytesOf(await r.getDescriptor(0x22, 0, iface.hid!.reportLength, STD_INTERFACE_IN, 0));
      expect(hex(reportBytes)).toBe(hex(r.sim.descriptorBytes));
      const hidAlone = bytesOf(await r.getDescriptor(0x21, 0, 9, STD_INTERFACE_IN, 0));
      expect(hex(hidAlone)).toBe(hex(configBytes.subarray(18, 27)));

      // The session's view agrees with the descriptors the guest reads.
      expect(r.usb.description()).toMatchObject({
        speed: 'full',
        vendorId: recorded.vendorId,
        productId: recorded.productId,
        interfaces: [{ number: 0, interfaceClass: 3, interfaceSubclass: 0, interfaceProtocol: 0 }],
        endpoints: [
          {
            address: 0x81,
            type: 'interrupt',
            interval: 10,
            interfaceNumber: 0,
            maxPacketSize: iface.endpoints[0]!.maxPacketSize,
          },
        ],
      });
      const set = r.usb.descriptors()!;
      expect(hex(set.configuration)).toBe(hex(configBytes));
    },
  );

  it('APC Back-UPS: the string indexes in its PDC feature reports lead to what NUT read from the real unit', async () => {
    const r = await rig('apc-back-ups-cs-500');
    const upsc = upscValues('apc-back-ups-cs-500');
    const report = parseReportDescriptor(r.sim.descriptorBytes);
    const device = readDeviceDescriptor(bytesOf(await r.getDescriptor(1, 0, 18)));
    expect(device.vendorId.toString(16).padStart(4, '0')).toBe(upsc.get('ups.vendorid'));
    expect(device.productId.toString(16).padStart(4, '0')).toBe(upsc.get('ups.productid'));
    const str = async (i: number) => readStringDescriptor(bytesOf(await r.getDescriptor(3, i, 255)));
    expect(await str(device.iManufacturer)).toBe(upsc.get('device.mfr'));
    const serialField = report.find('UPS.PowerSummary.iSerialNumber', 'feature')!;
    const serialReport = bytesOf(await r.getReport(3, serialField.reportId, 64));
    expect(await str(readValue(serialField, serialReport))).toBe(upsc.get('ups.serial'));
    const chemistry = report.find('UPS.PowerSummary.iDeviceChemistry', 'feature')!;
    const chemistryReport = bytesOf(await r.getReport(3, chemistry.reportId, 64));
    expect(await str(readValue(chemistry, chemistryReport))).toBe(upsc.get('battery.type'));
  });

  it('cuts IN answers to wLength, and answers a longer wLength with the whole (short) descriptor', async () => {
    const r = await rig('cyberpower-cp1500pfclcd');
    const head = bytesOf(await r.getDescriptor(1, 0, 8));
    expect(head.length).toBe(8);
    expect(head[7]).toBe(64); // bMaxPacketSize0, what a host's first 8-byte read is for
    const configHead = bytesOf(await r.getDescriptor(2, 0, 9));
    expect(configHead.length).toBe(9);
    const total = configHead[2]! | (configHead[3]! << 8);
    expect(bytesOf(await r.getDescriptor(2, 0, 0xffff)).length).toBe(total);
    expect(bytesOf(await r.getDescriptor(3, 1, 2))).toEqual(Uint8Array.of(2 + 2 * 'CP1500PFCLCD'.length, 3));
    expect(bytesOf(await r.getDescriptor(1, 0, 0)).length).toBe(0);
    const feature = bytesOf(await r.getReport(3, 7, 3));
    expect(hex(feature)).toBe(hex(r.sim.getReport('feature', 7)!.subarray(0, 3)));
  });

  it('stalls descriptors it does not have: qualifier, other-speed, unknown strings and configurations, wrong interface', async () => {
    const r = await rig('eaton-3s-700');
    expect((await r.getDescriptor(6, 0, 10)).status).toBe('stall');
    expect((await r.getDescriptor(7, 0, 9)).status).toBe('stall');
    expect((await r.getDescriptor(3, 200, 255)).status).toBe('stall');
    expect((await r.getDescriptor(2, 1, 255)).status).toBe('stall');
    expect((await r.getDescriptor(0x22, 0, 255, STD_INTERFACE_IN, 1)).status).toBe('stall');
    expect((await r.getDescriptor(0x22, 0, 255, STD_DEVICE_IN)).status).toBe('stall');
  });

  it('answers configuration, interface, status and endpoint-halt requests as USB 2.0 chapter 9 says', async () => {
    const r = await rig('apc-back-ups-cs-500');
    const c = (requestType: number, request: number, value: number, index: number, length = 0) =>
      r.control({ requestType, request, value, index, length });
    expect(hex(bytesOf(await c(STD_DEVICE_IN, 8, 0, 0, 1)))).toBe('00');
    expect((await c(STD_INTERFACE_IN, 0, 0, 0, 2)).status).toBe('stall'); // interface status before configuration
    expect((await c(STD_DEVICE_OUT, 5, 7, 0)).status).toBe('success'); // SET_ADDRESS
    expect((await c(STD_DEVICE_OUT, 9, 2, 0)).status).toBe('stall');
    expect((await c(STD_DEVICE_OUT, 9, 1, 0)).status).toBe('success');
    expect(r.usb.getConfiguration()).toBe(1);
    expect(hex(bytesOf(await c(STD_DEVICE_IN, 8, 0, 0, 1)))).toBe('01');
    expect(hex(bytesOf(await c(STD_DEVICE_IN, 0, 0, 0, 2)))).toBe('0100'); // self-powered
    expect(hex(bytesOf(await c(STD_INTERFACE_IN, 0, 0, 0, 2)))).toBe('0000');
    expect(hex(bytesOf(await c(STD_INTERFACE_IN, 10, 0, 0, 1)))).toBe('00'); // GET_INTERFACE
    expect((await c(STD_INTERFACE_OUT, 11, 0, 0)).status).toBe('success');
    expect((await c(STD_INTERFACE_OUT, 11, 1, 0)).status).toBe('stall');
    expect((await c(STD_INTERFACE_OUT, 11, 0, 1)).status).toBe('stall');
    expect(hex(bytesOf(await c(STD_ENDPOINT_IN, 0, 0, 0x81, 2)))).toBe('0000');
    expect((await c(STD_ENDPOINT_OUT, 3, 0, 0x81)).status).toBe('success'); // SET_FEATURE(ENDPOINT_HALT)
    expect(hex(bytesOf(await c(STD_ENDPOINT_IN, 0, 0, 0x81, 2)))).toBe('0100');
    expect((await c(STD_ENDPOINT_OUT, 1, 0, 0x81)).status).toBe('success'); // CLEAR_FEATURE(ENDPOINT_HALT)
    expect(hex(bytesOf(await c(STD_ENDPOINT_IN, 0, 0, 0x81, 2)))).toBe('0000');
    expect((await c(STD_ENDPOINT_OUT, 1, 0, 0x02)).status).toBe('stall'); // no such endpoint
    expect((await c(STD_DEVICE_OUT, 3, 1, 0)).status).toBe('stall'); // remote wakeup is not offered
    expect((await c(STD_DEVICE_OUT, 7, 0x0100, 0, 18)).status).toBe('stall'); // SET_DESCRIPTOR
    expect((await c(0xc0, 0x01, 0, 0, 4)).status).toBe('stall'); // vendor request
    expect(await r.usb.setConfiguration(3)).toBe('stall');
    expect(await r.usb.setAltSetting(0, 0)).toBe('success');
    expect(await r.usb.setAltSetting(0, 1)).toBe('stall');
    expect(r.usb.getAltSetting(0)).toBe(0);
    await r.usb.reset();
    expect(r.usb.getConfiguration()).toBe(0);
    expect((await r.usb.bulk(0x82, new Uint8Array(0), 64)).status).toBe('stall');
    expect(await r.usb.interruptOut(0x02, Uint8Array.of(1))).toBe('stall');
    const other = await new Promise<UsbTransferResult>((resolve) => r.usb.startInterruptIn(0x82, resolve));
    expect(other.status).toBe('stall');
  });

  it.each(recordedDevices.map((d) => d.name))(
    '%s: GET_REPORT(Feature) answers what the simulated UPS reports',
    async (name) => {
      const r = await rig(name);
      const report = parseReportDescriptor(r.sim.descriptorBytes);
      const ids = report.reportIds('feature');
      expect(ids.length).toBeGreaterThan(3);
      for (const id of ids) {
        const length = report.reportLength('feature', id);
        const got = bytesOf(await r.getReport(3, id, length));
        expect(hex(got), `feature report ${id}`).toBe(hex(r.sim.getReport('feature', id)));
        expect(got[0]).toBe(id);
      }
      expect((await r.getReport(3, 0, 8)).status).toBe('stall'); // no report 0 on a device with report IDs
      const unused = [...Array(255).keys()].map((i) => i + 1).find((i) => report.reportLength('feature', i) === 0)!;
      expect((await r.getReport(3, unused, 8)).status).toBe('stall');
      expect((await r.getReport(2, ids[0]!, 8)).status).toBe('stall'); // output reports cannot be read back
    },
  );

  it.each([
    ['apc-back-ups-cs-500', 'UPS.PowerSummary.ACPresent'],
    ['cyberpower-cp1500pfclcd', 'UPS.PowerSummary.PresentStatus.ACPresent'],
  ])(
    '%s: an input report goes out on 0x81 when the UPS loses mains; GET_REPORT(Input) then answers it',
    async (name, path) => {
      const r = await rig(name);
      const report = parseReportDescriptor(r.sim.descriptorBytes);
      const acPresent = report.find(path, 'input')!;
      expect(acPresent).toBeDefined();
      const before = bytesOf(await r.getReport(1, acPresent.reportId, 64));
      expect(readValue(acPresent, before)).toBe(1);

      const packets: UsbTransferResult[] = [];
      const stop = r.usb.startInterruptIn(0x81, (p) => packets.push(p));
      r.sim.setMains(true);
      r.sim.setMains(false); // not configured yet: a real device's interrupt pipe is not active
      expect(packets).toHaveLength(0);
      r.sim.setMains(true);
      expect((await r.configure()).status).toBe('success');
      r.sim.setMains(false);
      const forAc = packets.filter((p) => p.data?.[0] === acPresent.reportId);
      expect(forAc.length).toBeGreaterThanOrEqual(1);
      const sent = forAc.at(-1)!;
      expect(sent.status).toBe('success');
      expect(readValue(acPresent, sent.data!)).toBe(0);
      expect(hex(sent.data)).toBe(hex(r.sim.getReport('input', acPresent.reportId)));
      for (const p of packets)
        expect(p.data!.length).toBeLessThanOrEqual(r.usb.description().endpoints[0]!.maxPacketSize);
      expect(hex(bytesOf(await r.getReport(1, acPresent.reportId, 64)))).toBe(hex(sent.data));

      // A halted endpoint sends nothing until cleared; a stopped receiver gets nothing.
      await r.control({ requestType: STD_ENDPOINT_OUT, request: 3, value: 0, index: 0x81, length: 0 });
      const count = packets.length;
      r.sim.setMains(true);
      expect(packets.length).toBe(count);
      await r.control({ requestType: STD_ENDPOINT_OUT, request: 1, value: 0, index: 0x81, length: 0 });
      r.sim.setMains(false);
      expect(packets.length).toBeGreaterThan(count);
      stop();
      const after = packets.length;
      r.sim.setMains(true);
      expect(packets.length).toBe(after);
    },
  );

  it('maps unplug and replug of the UPS to disconnect and connect, answering ioerror meanwhile', async () => {
    const r = await rig('cyberpower-cp1500pfclcd', '0 mains on\n10 unplug\n12 replug');
    const events: string[] = [];
    r.usb.events.on('disconnect', (reason) => events.push(`disconnect: ${reason}`));
    r.usb.events.on('connect', () => events.push('connect'));
    await r.configure();
    r.sim.advance(11);
    expect(events).toEqual(['disconnect: device unplugged']);
    expect(r.usb.isConnected()).toBe(false);
    expect(r.usb.descriptors()).toBeNull();
    expect((await r.getDescriptor(1, 0, 18)).status).toBe('ioerror');
    expect(await r.usb.setConfiguration(1)).toBe('ioerror');
    expect((await r.usb.bulk(0x81, new Uint8Array(0), 8)).status).toBe('ioerror');
    r.sim.advance(2);
    await until('the device to come back', () => r.usb.isConnected(), 2000, 5);
    expect(events).toEqual(['disconnect: device unplugged', 'connect']);
    expect(r.usb.getConfiguration()).toBe(0); // a new device to the guest: enumerated afresh
    expect(readDeviceDescriptor(bytesOf(await r.getDescriptor(1, 0, 18))).vendorId).toBe(0x0764);
  });

  it('writes an allow-listed feature report and refuses every other write with a stall', async () => {
    const r = await rig('cyberpower-cp1500pfclcd');
    const report = parseReportDescriptor(r.sim.descriptorBytes);
    const delay = report.find('UPS.Output.DelayBeforeShutdown', 'feature')!;
    expect(writableReportIds(r.sim.descriptorBytes).has(delay.reportId)).toBe(true);
    const length = report.reportLength('feature', delay.reportId);
    const write = new Uint8Array(length);
    write[0] = delay.reportId;
    setValue(delay, write, 60);
    expect((await r.setReport(3, delay.reportId, write)).status).toBe('success');
    expect(readValue(delay, r.sim.getReport('feature', delay.reportId)!)).toBe(60);
    expect(r.sim.state.shutdownTimerS).toBe(60);

    const charge = report.find('UPS.PowerSummary.RemainingCapacityLimit', 'feature')!;
    expect(writableReportIds(r.sim.descriptorBytes).has(charge.reportId)).toBe(false);
    const before = hex(r.sim.getReport('feature', charge.reportId));
    const refused = new Uint8Array(report.reportLength('feature', charge.reportId));
    refused.set(r.sim.getReport('feature', charge.reportId)!);
    setValue(charge, refused, 99);
    expect((await r.setReport(3, charge.reportId, refused)).status).toBe('stall');
    expect(hex(r.sim.getReport('feature', charge.reportId))).toBe(before);
    expect(r.warnings.some((w) => String(w.msg).includes('refused'))).toBe(true);

    expect((await r.setReport(3, delay.reportId, write.subarray(0, length - 1))).status).toBe('stall'); // short
    const wrongId = Uint8Array.from(write);
    wrongId[0] = charge.reportId;
    expect((await r.setReport(3, delay.reportId, wrongId)).status).toBe('stall'); // ID byte disagrees with wValue
    expect((await r.setReport(2, delay.reportId, write)).status).toBe('stall'); // output report
    expect((await r.setReport(1, delay.reportId, write)).status).toBe('stall'); // input report
    expect(r.sim.state.shutdownTimerS).toBe(60);
  });

  it('a UPS without report IDs: reports on the wire carry no ID byte, in either direction and on 0x81', async () => {
    // A minimal Power Device descriptor with no Report ID item: one feature report (capacity, shutdown delay, AC
    // present) and one input report (capacity, AC present), as small UPSes built on one report have.
    const noIds: RecordedDevice = {
      name: 'no-report-ids',
      vendorId: 0x1234,
      productId: 0x0001,
      descriptorHex: [
        '05 84 09 04 a1 01 09 24 a1 00',
        '05 85 09 66 75 08 95 01 15 00 26 ff 00 b1 02 09 66 81 02',
        '05 84 09 57 75 10 15 ff 26 ff 7f b1 02',
        '05 85 09 d0 75 08 15 00 25 01 81 02 b1 02',
        'c0 c0',
      ].join(' '),
      strings: { '1': 'Tiny UPS', '3': 'Maker' },
      reports: { feature: {}, input: {} },
    };
    const r = await rig(noIds);
    const report = parseReportDescriptor(r.sim.descriptorBytes);
    expect(report.usesReportIds).toBe(false);
    const config = readConfigurationDescriptor(bytesOf(await r.getDescriptor(2, 0, 255)));
    expect(config.interfaces[0]!.endpoints[0]!.maxPacketSize).toBe(2);
    const device = readDeviceDescriptor(bytesOf(await r.getDescriptor(1, 0, 18)));
    expect(device).toMatchObject({ iProduct: 1, iManufacturer: 3, iSerial: 0 });

    const feature = bytesOf(await r.getReport(3, 0, 64));
    expect(feature.length).toBe(4);
    expect(hex(feature)).toBe(hex(r.sim.getReport('feature', 0)));
    expect((await r.getReport(3, 1, 64)).status).toBe('stall');

    const delay = report.find('UPS.PowerSummary.DelayBeforeShutdown', 'feature')!;
    const write = Uint8Array.from(feature);
    setValue(delay, write, 30);
    expect((await r.setReport(3, 0, write)).status).toBe('success');
    expect(r.sim.state.shutdownTimerS).toBe(30);

    const packets: UsbTransferResult[] = [];
    r.usb.startInterruptIn(0x81, (p) => packets.push(p));
    await r.configure();
    r.sim.setMains(false);
    const acPresent = report.find('UPS.PowerSummary.ACPresent', 'input')!;
    expect(packets.at(-1)!.data!.length).toBe(2);
    expect(readValue(acPresent, packets.at(-1)!.data!)).toBe(0);
  });

  it('maps a transport failure to the status a device pipe shows: timeout, ioerror when gone, else stall', () => {
    expect(transferStatusOf(new UpsguardError(ErrorCode.TransportTimeout, 't'))).toBe('timeout');
    expect(transferStatusOf(new UpsguardError(ErrorCode.TransportClosed, 'c'))).toBe('ioerror');
    expect(transferStatusOf(new UpsguardError(ErrorCode.TransportIo, 'i'))).toBe('stall');
    expect(transferStatusOf(new UpsguardError(ErrorCode.HidReportMalformed, 'm'))).toBe('stall');
    expect(transferStatusOf(new Error('x'))).toBe('stall');
  });

  it('acks SET_IDLE, GET_IDLE and SET_PROTOCOL; stalls unknown class requests', async () => {
    const r = await rig('eaton-3s-700');
    const c = (requestType: number, request: number, value: number, length = 0) =>
      r.control({ requestType, request, value, index: 0, length });
    expect(hex(bytesOf(await c(CLASS_INTERFACE_IN, 2, 0, 1)))).toBe('00');
    expect((await c(CLASS_INTERFACE_OUT, 0x0a, 0x0000)).status).toBe('success'); // what Linux usbhid sends
    expect((await c(CLASS_INTERFACE_OUT, 0x0a, 0x7d00)).status).toBe('success'); // 500 ms for all reports
    expect(hex(bytesOf(await c(CLASS_INTERFACE_IN, 2, 0x0006, 1)))).toBe('7d');
    expect((await c(CLASS_INTERFACE_OUT, 0x0b, 1)).status).toBe('success');
    expect(hex(bytesOf(await c(CLASS_INTERFACE_IN, 3, 0, 1)))).toBe('01');
    expect((await c(CLASS_INTERFACE_OUT, 0x0b, 2)).status).toBe('stall');
    expect((await c(CLASS_INTERFACE_IN, 0x05, 0, 4)).status).toBe('stall');
    expect(
      (await r.control({ requestType: CLASS_INTERFACE_IN, request: 1, value: 0x0301, index: 1, length: 8 })).status,
    ).toBe('stall'); // another interface
  });

  it('answers ioerror, never throws, when the exported device never came up', async () => {
    const log = createLogger({ level: 'silent' });
    const sim = new SimulatedUps({
      device: findRecordedDevice('eaton-3s-700'),
      scenario: parseScenario('0 mains on'),
      timeScale: 1,
      clock: new ManualClock(),
    });
    const exported = new ExportedDevice({
      name: 'ups',
      transport: new SimTransport(sim),
      log,
      now: () => 0,
      featureCacheMs: 0,
      ringSize: 8,
    });
    const usb = new HidUsbDevice({ device: exported, log });
    await usb.start();
    closers.push(() => usb.stop());
    expect(usb.isConnected()).toBe(false);
    expect(() => usb.description()).toThrow(/not connected/);
    expect(
      (await usb.control({ requestType: 0x80, request: 6, value: 0x0100, index: 0, length: 18 }, new Uint8Array(0)))
        .status,
    ).toBe('ioerror');
  });

  it('property: random control setups never throw, always answer a status, never more than wLength', async () => {
    const r = await rig('apc-back-ups-cs-500');
    const statuses = new Set(['success', 'cancelled', 'inval', 'ioerror', 'stall', 'timeout', 'babble']);
    const seen = new Set<string>();
    let successes = 0;
    await fc.assert(
      fc.asyncProperty(
        fc.record({
          // Half fully random, half the (bmRequestType, bRequest) pairs a host really sends, with random fields.
          pair: fc.oneof(
            fc.tuple(fc.integer({ min: 0, max: 255 }), fc.integer({ min: 0, max: 255 })),
            fc.constantFrom(
              ...[
                [0x80, 6],
                [0x81, 6],
                [0x80, 0],
                [0x81, 0],
                [0x82, 0],
                [0x80, 8],
                [0x00, 9],
                [0x02, 1],
                [0x02, 3],
                [0x00, 5],
                [0x01, 11],
                [0x81, 10],
                [0xa1, 1],
                [0x21, 9],
                [0xa1, 2],
                [0x21, 10],
                [0xa1, 3],
                [0x21, 11],
              ].map(([a, b]) => [a!, b!] as [number, number]),
            ),
          ),
          value: fc.oneof(
            fc.integer({ min: 0, max: 0xffff }),
            fc.integer({ min: 0, max: 0x3ff }),
            // Descriptor types with small indexes, and report type/ID pairs: where the answers are.
            fc.tuple(fc.integer({ min: 1, max: 3 }), fc.integer({ min: 0, max: 0x40 })).map(([t, i]) => (t << 8) | i),
            fc.constantFrom(0x2100, 0x2200),
          ),
          index: fc.oneof(fc.integer({ min: 0, max: 0xffff }), fc.constantFrom(0, 0x81, 0x0409)),
          length: fc.oneof(fc.integer({ min: 0, max: 0xffff }), fc.integer({ min: 0, max: 20 })),
        }),
        fc.uint8Array({ maxLength: 80 }),
        async ({ pair, ...fields }, data) => {
          const setup = { requestType: pair[0], request: pair[1], ...fields };
          const result = await r.control(setup, (setup.requestType & 0x80) === 0 ? data : new Uint8Array(0));
          expect(statuses.has(result.status)).toBe(true);
          seen.add(result.status);
          if (result.status === 'success') successes++;
          if (result.status === 'success') expect(result.data.length).toBeLessThanOrEqual(setup.length);
        },
      ),
      { numRuns: 1500 },
    );
    expect(seen.has('success')).toBe(true);
    expect(seen.has('stall')).toBe(true);
    expect(successes).toBeGreaterThan(100);
    // The device still answers after all that.
    expect(readDeviceDescriptor(bytesOf(await r.getDescriptor(1, 0, 18))).vendorId).toBe(0x051d);
  });
});
