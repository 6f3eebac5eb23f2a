/**
 * The vSphere driver's restore side against vcsim (vCenter model): PowerOnVM_Task (already on counted done),
 * maintenance mode recorded and ExitMaintenanceMode_Task, host readiness, and the autostart read. vcsim 0.24.2 models
 * a host's `config.autoStart` (defaults with autostart not enabled, no per-VM entries) but not the
 * HostAutoStartManager's ReconfigureAutostart, so against vcsim autostart reads `false`; the enabled/powerOn reading is
 * pinned on a vim25-shaped reply below.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { PowerState, Target } from '../../src/shutdown/drivers/driver.js';
import { VsphereDriver } from '../../src/shutdown/drivers/vsphere.js';
import { autostartOf } from '../../src/shutdown/drivers/vsphere/host-restore.js';
import type { ObjectProps } from '../../src/shutdown/drivers/vsphere/inventory.js';
import { descendant, parseXml } from '../../src/shutdown/drivers/vsphere/xml.js';
import { until } from '../helpers/until.js';
import { startVcsim, vcsimBinary, vsphereConfig, type Vcsim } from '../helpers/vcsim.js';

let vc: Vcsim;
const drivers: VsphereDriver[] = [];
const driver = (over: Parameters<typeof vsphereConfig>[1] = {}): VsphereDriver => {
  const d = new VsphereDriver(vsphereConfig(vc, over), { taskPollMs: 50 });
  drivers.push(d);
  return d;
};
const byName = (ts: Target[], n: string): Target => {
  const t = ts.find((x) => x.name === n);
  if (!t) throw new Error(`${n} not discovered`);
  return t;
};
const reaches = (d: VsphereDriver, t: Target, want: PowerState): Promise<PowerState> =>
  until(`${t.name} to be ${want}`, async () => ((await d.powerState(t)) === want ? want : undefined), 5000, 50);

beforeAll(async () => {
  vcsimBinary();
  vc = await startVcsim({ tools: 'VM0$', guestDelayMs: 100 });
}, 180_000);

afterAll(async () => {
  await Promise.all(drivers.map((d) => d.close()));
  await vc.stop();
});

describe('vSphere restore against vcsim', () => {
  it('powers a VM on with PowerOnVM_Task and counts an already running VM as done', async () => {
    const d = driver();
    const vm = byName(await d.discover(), 'DC0_H0_VM1');
    await d.powerOff(vm);
    await reaches(d, vm, 'off');
    await d.powerOn(vm);
    expect(await d.powerState(vm)).toBe('on');
    await d.powerOn(vm); // InvalidPowerState from the task: already on, not an error
    expect(await d.powerState(vm)).toBe('on');
  });

  it('records maintenance mode before, takes the host out after the shutdown put it in, and only once', async () => {
    const d = driver({ maintenance_mode: true });
    const ts = await d.discover();
    const host = byName(ts, 'DC0_C0_H2');
    const before = await d.platformState(host);
    expect(before).toEqual({ maintenance: false });
    expect(await d.platformState(byName(ts, 'DC0_C0_RP0_VM0'))).toEqual({});

    await d.shutdown(host); // EnterMaintenanceMode_Task, then the front's ShutdownHost_Task
    await reaches(d, host, 'off');
    expect(await d.platformState(host)).toEqual({ maintenance: true });
    const down = await d.hostReady(host);
    expect(down.ready).toBe(false);
    expect(down.message).toContain('poweredOff');

    // A host that was in maintenance before the run is left there.
    expect(await d.restorePlatform(host, { maintenance: true })).toBeUndefined();
    expect(await d.platformState(host)).toEqual({ maintenance: true });

    expect(await d.restorePlatform(host, before)).toMatch(/DC0_C0_H2: out of maintenance mode/);
    expect(await d.platformState(host)).toEqual({ maintenance: false });
    expect(await d.restorePlatform(host, before)).toBeUndefined(); // already holds: nothing done twice
  });

  it('reports a connected, powered-on host as ready', async () => {
    const d = driver();
    const r = await d.hostReady(byName(await d.discover(), 'DC0_H0'));
    expect(r).toEqual({ ready: true, message: 'DC0_H0: connected, powered on' });
  });

  it('reports an unknown host as not ready with the reason, not a rejection', async () => {
    const d = driver();
    await d.discover();
    const ghost: Target = { driver: 'vc', name: 'esx-gone', kind: 'host', tags: [], macs: [] };
    const r = await d.hostReady(ghost);
    expect(r.ready).toBe(false);
    expect(r.message).toContain('esx-gone');
  });

  it('reads autostart from the host vcsim models (autostart not enabled -> false)', async () => {
    const d = driver();
    const ts = await d.discover();
    expect(await d.autostart(byName(ts, 'DC0_H0_VM0'))).toBe(false);
    expect(await d.autostart(byName(ts, 'DC0_H0'))).toBeUndefined(); // a host has no autostart entry
  });
});

describe('vSphere autostart reading (HostAutoStartManagerConfig)', () => {
  const hostWith = (autoStart: string | undefined): ObjectProps => {
    const doc = parseXml(`<r>${autoStart ?? ''}</r>`);
    const val = descendant(doc, 'val');
    return { ref: { type: 'HostSystem', value: 'host-1' }, props: new Map(val ? [['config.autoStart', val]] : []) };
  };
  const cfg = (enabled: string, action: string | undefined): string =>
    `<val xsi:type="HostAutoStartManagerConfig"><defaults><enabled>${enabled}</enabled><startDelay>120</startDelay></defaults>` +
    (action === undefined
      ? ''
      : `<powerInfo><key type="VirtualMachine">vm-7</key><startOrder>1</startOrder><startAction>${action}</startAction></powerInfo>`) +
    `<powerInfo><key type="VirtualMachine">vm-8</key><startOrder>2</startOrder><startAction>none</startAction></powerInfo></val>`;
  const vm7 = { type: 'VirtualMachine', value: 'vm-7' };

  it('is true only with autostart enabled on the host and the VM set to powerOn', () => {
    expect(autostartOf(hostWith(cfg('true', 'powerOn')), vm7)).toBe(true);
    expect(autostartOf(hostWith(cfg('false', 'powerOn')), vm7)).toBe(false);
    expect(autostartOf(hostWith(cfg('true', 'none')), vm7)).toBe(false);
    expect(autostartOf(hostWith(cfg('true', undefined)), vm7)).toBe(false); // manual startup group
    expect(autostartOf(hostWith(undefined), vm7)).toBeUndefined();
  });
});
