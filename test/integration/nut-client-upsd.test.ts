// upsguard's NUT client reading a real NUT 2.8 upsd, with dummy-ups replaying a recorded device and a scripted outage.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, expect, test } from 'vitest';
import { policySchema } from '../../src/config/shutdown-schema.js';
import { createLogger } from '../../src/log.js';
import { decide, trackAll, type PolicyState } from '../../src/shutdown/policy.js';
import type { NewUpsEvent, UpsEvent, UpsSnapshot } from '../../src/ups/events.js';
import { UpsMonitor } from '../../src/ups/monitor.js';
import { NutSource } from '../../src/ups/nut/nut-source.js';
import { systemClock } from '../../src/util/clock.js';
import { haveNut, run, startUpsd, type Upsd } from '../helpers/nut-peers.js';
import { until } from '../helpers/until.js';
import { tempDir } from '../helpers/tmp.js';
import { describeWithPeers } from '../helpers/peers.js';

const fixture = (name: string): string => readFileSync(join(import.meta.dirname, '../fixtures/nut', name), 'utf8');

const OUTAGE = `device.mfr: Dummy
device.model: SimUPS 1500
ups.mfr: Dummy
ups.model: SimUPS 1500
ups.status: OL
battery.charge: 100
battery.charge.low: 20
battery.runtime: 1800
input.voltage: 230.0
TIMER 3
ups.status: OB DISCHRG
battery.charge: 60
input.voltage: 0.0
TIMER 3
ups.status: OB DISCHRG LB
battery.charge: 15
TIMER 86400
`;

function watch(upsd: Upsd, ups: string) {
  const events: UpsEvent[] = [];
  const snapshots: UpsSnapshot[] = [];
  const log = createLogger({ level: 'silent' });
  const source = new NutSource({
    target: { user: 'monuser', host: '127.0.0.1', port: upsd.port, ups },
    password: 'monpass',
    starttls: 'try',
    login: true,
    pollMs: 500,
    onBatteryPollMs: 250,
    ioTimeoutMs: 3000,
    reconnectBaseMs: 200,
    reconnectMaxMs: 1000,
    allowedCommands: [],
    clock: systemClock,
    log,
  });
  let id = 0;
  const monitor = new UpsMonitor(
    ups,
    source,
    {
      recordSnapshot: (s) => snapshots.push(s),
      recordEvent: (e: NewUpsEvent) => ({ ...e, id: ++id }),
    },
    { quickIntervalMs: 500, fullIntervalMs: 5000, deadTimeMs: 15_000, noCommMs: 300_000 },
    systemClock,
    log,
  );
  monitor.events.on('event', (e) => events.push(e));
  return { source, monitor, events, snapshots };
}

describeWithPeers({ 'NUT 2.8 (upsd, dummy-ups) as root': haveNut })('our NUT client against a real upsd', () => {
  const dir = tempDir();
  let upsd: Upsd | undefined;
  let stopMonitor: (() => Promise<void>) | undefined;
  afterEach(async () => {
    await stopMonitor?.();
    await upsd?.stop();
    stopMonitor = undefined;
    upsd = undefined;
  });

  test('a recorded Eaton device reads exactly as upsc prints it', async () => {
    upsd = await startUpsd(dir, [
      {
        name: 'eaton',
        desc: 'Eaton 5E',
        file: 'eaton.dev',
        text: fixture('Eaton__5E1100iUSB__usbhid-ups__2.7.1__01.dev'),
      },
    ]);
    const w = watch(upsd, 'eaton');
    stopMonitor = () => w.monitor.stop();
    await w.monitor.start();
    await until('first snapshot', () => (w.monitor.snapshot().comms === 'ok' ? true : undefined));
    const upsc = await run('upsc', [`eaton@127.0.0.1:${upsd.port}`]);
    const s = w.monitor.snapshot();
    expect(
      Object.keys(s.variables)
        .sort()
        .map((k) => `${k}: ${s.variables[k]}`)
        .join('\n') + '\n',
    ).toBe(upsc.stdout);
    expect(s.status).toEqual(['OL', 'CHRG']);
    expect(s.variables['device.model']).toBe('5E 1100i');
    expect(w.source.info()).toEqual({ kind: 'nut', location: `nut://monuser@127.0.0.1:${upsd.port}/eaton` });
    expect(w.events).toEqual([]);
  });

  test('start-up wait, then OL, OB, OB LB: unknown first, then ONBATT and LOWBATT, and the policy goes critical', async () => {
    // Our client starts before upsd is ready: DRIVER-NOT-CONNECTED and WAIT must read as unknown, never as power.
    upsd = await startUpsd(
      dir,
      [{ name: 'dummy', desc: 'Scripted outage', file: 'dummy.seq', text: OUTAGE, mode: 'dummy-once' }],
      {
        waitReady: false,
      },
    );
    const w = watch(upsd, 'dummy');
    stopMonitor = () => w.monitor.stop();
    await w.monitor.start();
    await until('LOWBATT', () => (w.events.some((e) => e.type === 'LOWBATT') ? true : undefined), 20_000);

    const types = w.events.map((e) => e.type);
    // upsd not ready yet is no contact: NOCOMM if it lasts past the first quick interval, then COMMOK; never power.
    expect(types.filter((t) => t !== 'NOCOMM' && t !== 'COMMOK')).toEqual(['ONBATT', 'LOWBATT']);
    const comms = types.filter((t) => t === 'NOCOMM' || t === 'COMMOK');
    expect([[], ['NOCOMM', 'COMMOK']]).toContainEqual(comms);
    if (comms.length > 0) expect(types.indexOf('COMMOK')).toBeLessThan(types.indexOf('ONBATT'));
    // Only readings are recorded: whatever came before the first one read as unknown, with no power status.
    const firstOk = w.snapshots.findIndex((s) => s.comms === 'ok');
    expect(firstOk).toBeGreaterThanOrEqual(0);
    expect(w.snapshots.slice(0, firstOk).every((s) => s.comms === 'unknown' && s.status.length === 0)).toBe(true);
    const statuses = [...new Set(w.snapshots.filter((s) => s.comms === 'ok').map((s) => s.status.join(' ')))];
    expect(statuses).toEqual(['OL', 'OB DISCHRG', 'OB DISCHRG LB']);
    expect(w.monitor.snapshot().variables['battery.charge']).toBe('15');
    // The policy, fed the snapshots our client made of the real upsd, is critical exactly from OB LB on.
    const policy = policySchema.parse({ runtime_factor: 0 });
    let state: PolicyState = {};
    const levels: string[] = [];
    for (const snap of w.snapshots.filter((x) => x.comms === 'ok')) {
      state = trackAll(state, snap);
      levels.push(`${snap.status.join(' ')}:${decide(state, policy, snap.at).level}`);
    }
    expect([...new Set(levels)]).toEqual(['OL:normal', 'OB DISCHRG:warning', 'OB DISCHRG LB:critical']);
    const last = w.snapshots.at(-1)!;
    expect(decide(state, policy, last.at).reasons.map((r) => r.trigger)).toContain('ob_lb');
    // The client logged in as upsmon does, so upsd counts it.
    expect((await run('upsc', ['-c', `dummy@127.0.0.1:${upsd.port}`])).stdout).toBe('127.0.0.1\n');
  }, 40_000);
});
