// upsguard's NUT view of each simulated HID UPS against the NUT dump of the same device or family: the variable
// set, the instant commands and the RW variables. The differences are pinned (docs/nut-parity.md explains each), so
// a change in what upsguard serves shows up here.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, test } from 'vitest';
import type { NutServer } from '../../../src/ups/nut/nut-server.js';
import { ManualClock } from '../../../src/util/clock.js';
import { minus, parseNutDump, simulatedServedUps } from './parity-rig.js';
import { LineClient, startServer } from './server-harness.js';

const fixtures = join(import.meta.dirname, '../../fixtures');
const dumpOf = (file: string) => parseNutDump(readFileSync(join(fixtures, file), 'utf8'));

interface Served {
  vars: Map<string, string>;
  cmds: string[];
  rw: string[];
  client: LineClient;
}

let stops: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const s of stops.reverse()) await s();
  stops = [];
});

async function serve(device: string): Promise<Served & { server: NutServer }> {
  const sim = await simulatedServedUps(device);
  const { server, port } = await startServer(new ManualClock(1_000_000), [sim.ups]);
  const client = await LineClient.open(port);
  stops.push(
    sim.stop,
    () => server.stop(),
    () => {
      client.end();
      return Promise.resolve();
    },
  );
  const rest = (line: string) => line.split(' ').slice(2);
  const vars = new Map(
    (await client.ask('LIST VAR ups')).slice(1, -1).map((l) => {
      const [name = '', ...value] = rest(l);
      return [name, JSON.parse(value.join(' ')) as string] as const;
    }),
  );
  const cmds = (await client.ask('LIST CMD ups')).slice(1, -1).map((l) => rest(l)[0]!);
  const rw = (await client.ask('LIST RW ups')).slice(1, -1).map((l) => rest(l)[0]!);
  return { vars, cmds, rw, client, server };
}

describe('NUT parity with usbhid-ups dumps', () => {
  test('APC Back-UPS CS 500 against its own NUT 2.8.0 dump: the same variables but two newer driver ones', async () => {
    const dump = dumpOf('hid/apc-back-ups-cs-500.upsc.txt');
    const s = await serve('apc-back-ups-cs-500');
    // driver.state and driver.version.usb are newer than NUT 2.8.0 (the dump is 2.8.0-355, a development build).
    expect(minus(dump.variables.keys(), s.vars.keys())).toEqual(['driver.state', 'driver.version.usb']);
    expect(minus(s.vars.keys(), dump.variables.keys())).toEqual([]);
    const same = [...s.vars].filter(([k, v]) => dump.variables.get(k) === v).map(([k]) => k);
    expect(minus(s.vars.keys(), same)).toEqual(['driver.version', 'driver.version.data', 'driver.version.internal']);
    expect(s.vars.get('driver.name')).toBe('usbhid-ups');
    // The CS 500's only load-off is its native shutdown.return; no delay registers, so no ups.delay.* either.
    expect(s.cmds).toEqual(['shutdown.return']);
    expect(s.rw).toEqual(['battery.charge.low', 'battery.charge.warning']);
    expect(await s.client.ask('GET TYPE ups battery.charge.low')).toEqual(['TYPE ups battery.charge.low RW STRING:10']);
  });

  test('CyberPower CP1500PFCLCD against the EC850LCD dump (cps-hid, NUT 2.7.4)', async () => {
    const dump = dumpOf('nut/Cyber_Power_Systems__EC850LCD__usbhid-ups__2.7.4__01.dev');
    const s = await serve('cyberpower-cp1500pfclcd');
    expect(minus(dump.variables.keys(), s.vars.keys())).toEqual([]);
    // The CP1500 names its model and serial in USB strings; the EC850LCD reported neither.
    expect(minus(s.vars.keys(), dump.variables.keys())).toEqual([
      'device.model',
      'device.serial',
      'ups.model',
      'ups.serial',
    ]);
    // The CP1500's descriptor marks RemainingCapacityLimit Constant, so upsguard does not offer it (NUT 2.7.4 did).
    expect(minus(dump.writable ?? [], s.rw)).toEqual(['battery.charge.low']);
    expect(minus(s.rw, dump.writable ?? [])).toEqual([]);
    expect(s.cmds).toEqual([
      'beeper.disable',
      'beeper.enable',
      'beeper.mute',
      'beeper.off',
      'beeper.on',
      'load.off',
      'load.off.delay',
      'load.on',
      'load.on.delay',
      'shutdown.return',
      'shutdown.stayoff',
      'shutdown.stop',
      'test.battery.start.deep',
      'test.battery.start.quick',
      'test.battery.stop',
    ]);
    // The descriptor's own limits become a RANGE; upsd checks it before the write reaches the UPS.
    expect(await s.client.ask('GET TYPE ups input.transfer.low')).toEqual([
      'TYPE ups input.transfer.low RW RANGE STRING:10',
    ]);
    expect(await s.client.ask('LIST RANGE ups input.transfer.low')).toEqual([
      'BEGIN LIST RANGE ups input.transfer.low',
      'RANGE ups input.transfer.low "78" "88"',
      'END LIST RANGE ups input.transfer.low',
    ]);
    expect(await s.client.ask('GET TYPE ups ups.status')).toEqual(['TYPE ups ups.status NUMBER']);
  });

  test('Eaton 3S 700 against the 5E1100iUSB dump (mge-hid, NUT 2.7.1)', async () => {
    const dump = dumpOf('nut/Eaton__5E1100iUSB__usbhid-ups__2.7.1__01.dev');
    const s = await serve('eaton-3s-700');
    // mge-hid's outlet.* now map: the 3S has the main outlet and one PowerShare group (the 5E only the main one, its
    // outlet.1.status following the mains). ups.start.battery needs Input.[3].StartOnBattery, which the 3S lacks.
    expect(minus(dump.variables.keys(), s.vars.keys())).toEqual([
      'battery.type',
      'driver.parameter.vendorid',
      'input.voltage',
      'output.frequency',
      'ups.firmware',
      'ups.start.battery',
    ]);
    expect(minus(s.vars.keys(), dump.variables.keys())).toEqual([
      'battery.charge.low',
      'device.serial',
      'driver.parameter.synchronous',
      'input.transfer.high',
      'input.transfer.low',
      'outlet.1.desc',
      'outlet.1.id',
      'outlet.1.switchable',
      'ups.delay.start',
      'ups.serial',
      'ups.timer.start',
    ]);
    expect(s.vars.get('outlet.desc')).toBe(dump.variables.get('outlet.desc'));
    expect(s.vars.get('outlet.1.desc')).toBe('PowerShare Outlet 1');
    // The recorded report 0x0c says the 3S's main outlet is switchable (the 5E's is not).
    expect(s.vars.get('outlet.switchable')).toBe('yes');
    // Every command of the 5E is served; the 3S also has a start-up delay register, hence load.on and shutdown.*.
    expect(minus(dump.commands ?? [], s.cmds)).toEqual([]);
    expect(minus(s.cmds, dump.commands ?? [])).toEqual([
      'load.on',
      'load.on.delay',
      'shutdown.return',
      'shutdown.stayoff',
    ]);
    expect(minus(dump.writable ?? [], s.rw)).toEqual(['ups.start.battery']);
    expect(minus(s.rw, dump.writable ?? [])).toEqual([
      'battery.charge.low',
      'input.transfer.high',
      'input.transfer.low',
      'outlet.1.desc',
      'ups.delay.start',
    ]);
    expect(await s.client.ask('GET TYPE ups outlet.desc')).toEqual(['TYPE ups outlet.desc RW STRING:20']);
    expect(await s.client.ask('GET TYPE ups output.voltage.nominal')).toEqual([
      'TYPE ups output.voltage.nominal RW ENUM STRING:5',
    ]);
    expect(await s.client.ask('LIST ENUM ups output.voltage.nominal')).toEqual([
      'BEGIN LIST ENUM ups output.voltage.nominal',
      ...['200', '208', '220', '230', '240'].map((v) => `ENUM ups output.voltage.nominal "${v}"`),
      'END LIST ENUM ups output.voltage.nominal',
    ]);
  });

  test('Tripp Lite ECO850LCD: no simulated device of that family to compare with', () => {
    const dump = dumpOf('nut/Tripp_Lite__ECO850LCD__usbhid-ups__2.6.3__01.dev');
    // No recorded Tripp Lite reports, so no simulated one: test/ups/pdc/tripplite-descriptor.test.ts compares a real
    // Tripp Lite descriptor through the model instead. Here: the dump parses.
    expect(dump.commands).toContain('test.battery.start.deep');
    expect(dump.variables.get('driver.name')).toBe('usbhid-ups');
  });
});

describe('SET VAR and INSTCMD reach the simulated device', () => {
  test('a RW variable inside its RANGE is written to the UPS; outside it is INVALID-VALUE', async () => {
    const sim = await simulatedServedUps('cyberpower-cp1500pfclcd');
    const { server, port } = await startServer(new ManualClock(1_000_000), [sim.ups]);
    const c = await LineClient.open(port);
    stops.push(
      sim.stop,
      () => server.stop(),
      () => {
        c.end();
        return Promise.resolve();
      },
    );
    await c.ask('USERNAME admin');
    await c.ask('PASSWORD adminpass');
    expect(await c.ask('SET VAR UPS INPUT.TRANSFER.LOW 85')).toEqual(['OK']);
    expect((await sim.reader.poll('full')).variables['input.transfer.low']).toBe('85');
    expect(await c.ask('SET VAR ups input.transfer.low 95')).toEqual(['ERR INVALID-VALUE']);
    expect(await c.ask('SET VAR ups input.transfer.low 12345678901')).toEqual(['ERR TOO-LONG']);
    expect(await c.ask('SET VAR ups battery.charge 5')).toEqual(['ERR READONLY']);
    expect((await sim.reader.poll('full')).variables['input.transfer.low']).toBe('85');
  });

  test("outlet.desc is kept by the server, as usbhid-ups keeps it: the device's reports are not written", async () => {
    const sim = await simulatedServedUps('eaton-3s-700');
    const { server, port } = await startServer(new ManualClock(1_000_000), [sim.ups]);
    const c = await LineClient.open(port);
    stops.push(
      sim.stop,
      () => server.stop(),
      () => {
        c.end();
        return Promise.resolve();
      },
    );
    await c.ask('USERNAME admin');
    await c.ask('PASSWORD adminpass');
    const before = JSON.stringify((await sim.reader.poll('full')).variables);
    expect(await c.ask('SET VAR ups outlet.desc "Rack A"')).toEqual(['OK']);
    expect(await c.ask('GET VAR ups outlet.desc')).toEqual(['VAR ups outlet.desc "Rack A"']);
    expect(await c.ask('SET VAR ups outlet.1.desc "123456789012345678901"')).toEqual(['ERR TOO-LONG']);
    expect(await c.ask('GET VAR ups outlet.1.desc')).toEqual(['VAR ups outlet.1.desc "PowerShare Outlet 1"']);
    // Nothing reached the device: its own reading is unchanged, the name lives in the server.
    expect(JSON.stringify((await sim.reader.poll('full')).variables)).toBe(before);
  });
});
