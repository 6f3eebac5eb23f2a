/**
 * The vSphere driver against vcsim (govmomi 0.24.2 from Debian, built by test/helpers/vcsim.ts), vCenter and
 * standalone-ESXi models. Marked [front] are the behaviours vcsim lacks and the test front adds as the real API
 * behaves (see the helper's header): delayed/hung guest shutdown, ToolsUnavailable, ShutdownHost_Task,
 * RestrictedVersion, session expiry. Everything else is vcsim's own answer.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { VsphereDriverConfig } from '../../src/config/driver-schema.js';
import { ErrorCode, UpsguardError } from '../../src/errors.js';
import type { PowerState, Target } from '../../src/shutdown/drivers/driver.js';
import { VsphereDriver } from '../../src/shutdown/drivers/vsphere.js';
import { sleep, until } from '../helpers/until.js';
import { startVcsim, vcsimBinary, vsphereConfig, type Vcsim } from '../helpers/vcsim.js';

async function rejection(p: Promise<unknown>): Promise<UpsguardError> {
  try {
    await p;
  } catch (err) {
    expect(err).toBeInstanceOf(UpsguardError);
    return err as UpsguardError;
  }
  throw new Error('expected a rejection');
}

/** The power state once it is `want`; fails naming the target if it is not within `ms`. */
async function reaches(d: VsphereDriver, t: Target, want: PowerState, ms: number): Promise<PowerState> {
  return until(
    `${t.name} to be ${want}`,
    async () => {
      const s = await d.powerState(t);
      return s === want ? s : undefined;
    },
    ms,
    100,
  );
}

const byName = (ts: Target[], n: string): Target => {
  const t = ts.find((x) => x.name === n);
  if (!t) throw new Error(`${n} not discovered`);
  return t;
};

/** How long a guest that does shut down takes on the vCenter model. */
const GUEST_DELAY_MS = 500;
let vc: Vcsim;
let esx: Vcsim;
const drivers: VsphereDriver[] = [];
const sims: Vcsim[] = [];
const driver = (sim: Vcsim, over: Partial<VsphereDriverConfig> = {}): VsphereDriver => {
  const d = new VsphereDriver(vsphereConfig(sim, over), { taskPollMs: 50 });
  drivers.push(d);
  return d;
};

beforeAll(async () => {
  vcsimBinary(); // the first run builds (~15 s), later runs find it cached
  vc = await startVcsim({ tools: 'VM0$', hang: '^DC0_C0_RP0_VM0$', guestDelayMs: GUEST_DELAY_MS });
  sims.push(vc);
  esx = await startVcsim({ esx: true, vms: 2, tools: 'VM0$' });
  sims.push(esx);
}, 180_000);

afterAll(async () => {
  await Promise.all(drivers.map((d) => d.close()));
  await Promise.all(sims.map((s) => s.stop()));
});

describe('vSphere driver against vcsim', () => {
  it('discovers VMs (power, host, tools, MACs) and hosts on the vCenter model', async () => {
    const d = driver(vc);
    const ts = await d.discover();
    expect(
      ts
        .filter((t) => t.kind === 'vm')
        .map((t) => t.name)
        .sort(),
    ).toEqual(['DC0_C0_RP0_VM0', 'DC0_C0_RP0_VM1', 'DC0_H0_VM0', 'DC0_H0_VM1']);
    expect(ts.filter((t) => t.kind === 'host')).toHaveLength(4);
    const vm0 = byName(ts, 'DC0_H0_VM0');
    expect(vm0).toMatchObject({ kind: 'vm', host: 'DC0_H0', tags: ['vsphere', 'tools'] });
    expect(vm0.macs[0]).toMatch(/^([0-9a-f]{2}:){5}[0-9a-f]{2}$/);
    expect(byName(ts, 'DC0_H0_VM1').tags).toContain('no-tools');
    expect(d.toolsState('DC0_H0_VM1')).toBe('guestToolsNotRunning');
    expect(await d.powerState(vm0)).toBe('on');
    expect(await d.powerState(byName(ts, 'DC0_H0'))).toBe('on');
    const check = await d.check();
    expect(check[0]).toMatchObject({ ok: true });
    expect(check[0]?.message).toContain('VirtualCenter');
    expect(check.find((c) => c.target === 'DC0_H0_VM1')?.ok).toBe(false);
  });

  it('discovers the standalone-ESXi model (HostAgent, ha-* morefs)', async () => {
    const d = driver(esx);
    const ts = await d.discover();
    expect(ts.map((t) => t.name).sort()).toEqual(['ha-host_VM0', 'ha-host_VM1', 'localhost.localdomain']);
    expect(byName(ts, 'ha-host_VM0').host).toBe('localhost.localdomain');
    expect((await d.check())[0]?.message).toContain('HostAgent');
  });

  it('reports a wrong password as the typed authentication error, without the password', async () => {
    const d = driver(vc, { password: 'wrong-secret' });
    const err = await rejection(d.discover());
    expect(err.code).toBe(ErrorCode.DriverAuth);
    expect(err.message).not.toContain('wrong-secret');
    expect((await d.check())[0]).toMatchObject({ ok: false });
  });

  it('refuses a certificate that does not match the pinned thumbprint, and names a closed port unreachable', async () => {
    const d = driver(vc, { thumbprint_sha256: '00'.repeat(32) });
    const err = await rejection(d.discover());
    expect(err.code).toBe(ErrorCode.DriverCertificate);
    expect(d.logins).toBe(0);
    const closed = driver(vc, { url: 'https://127.0.0.1:1/sdk' });
    expect((await rejection(closed.discover())).code).toBe(ErrorCode.DriverUnreachable);
  });

  it('[front] logs in again when the session has expired, for calls and for property reads (missingSet)', async () => {
    const d = driver(vc);
    const ts = await d.discover();
    expect(d.logins).toBe(1);
    await vc.expireSessions();
    expect(await d.discover()).toHaveLength(ts.length); // CreateContainerView -> NotAuthenticated fault
    expect(d.logins).toBe(2);
    await vc.expireSessions();
    expect(await d.powerState(byName(ts, 'DC0_H0'))).toBe('on'); // RetrievePropertiesEx -> missingSet
    expect(d.logins).toBe(3);
  });

  it('[front] shuts a guest with Tools down gracefully: accepted at once, stopping, then off', async () => {
    const d = driver(vc);
    const vm = byName(await d.discover(), 'DC0_H0_VM0');
    const t0 = Date.now();
    await d.shutdown(vm);
    expect(Date.now() - t0).toBeLessThan(400);
    expect(await d.powerState(vm)).toBe('stopping');
    expect(await reaches(d, vm, 'off', 5000)).toBe('off');
    await d.shutdown(vm); // already off: nothing to do (vcsim's InvalidPowerState)
  });

  it('[front] a guest without Tools gets the typed error, then PowerOffVM_Task (vcsim) turns it off', async () => {
    const d = driver(vc);
    const vm = byName(await d.discover(), 'DC0_H0_VM1');
    const err = await rejection(d.shutdown(vm));
    expect(err.code).toBe(ErrorCode.DriverToolsMissing);
    expect(await d.powerState(vm)).toBe('on');
    await d.powerOff(vm);
    expect(await d.powerState(vm)).toBe('off');
    await d.powerOn(vm);
    expect(await d.powerState(vm)).toBe('on');
  });

  it('[front] a hung guest stays on after the graceful request until the hard power-off', async () => {
    const d = driver(vc);
    const vm = byName(await d.discover(), 'DC0_C0_RP0_VM0');
    await d.shutdown(vm);
    // That it does not go off can only be shown over a bounded time: past when a guest that does shut down is off.
    await sleep(GUEST_DELAY_MS + 400);
    expect(await d.powerState(vm)).toBe('stopping');
    await d.powerOff(vm);
    expect(await d.powerState(vm)).toBe('off');
  });

  it('[front] shuts hosts down: maintenance mode (vcsim) then ShutdownHost_Task, or forced', async () => {
    const maint = driver(vc, { maintenance_mode: true });
    const ts = await maint.discover();
    const clustered = byName(ts, 'DC0_C0_H1');
    await maint.shutdown(clustered);
    expect(await maint.powerState(clustered)).toBe('off');
    const forced = driver(vc);
    await forced.discover();
    const standalone = byName(ts, 'DC0_H0');
    await forced.shutdown(standalone);
    expect(await forced.powerState(standalone)).toBe('off');
    const missing = await rejection(forced.powerState({ ...standalone, name: 'no-such-host' }));
    expect(missing.code).toBe(ErrorCode.DriverNotFound);
  });

  it('[front] says plainly when a free-licence ESXi refuses a write (RestrictedVersion); reads still work', async () => {
    const d = driver(esx);
    const ts = await d.discover();
    await esx.setRestricted(true);
    try {
      const vmErr = await rejection(d.shutdown(byName(ts, 'ha-host_VM0')));
      expect(vmErr.code).toBe(ErrorCode.DriverLicence);
      expect(vmErr.message).toMatch(/free-licence ESXi/);
      expect((await rejection(d.powerOff(byName(ts, 'ha-host_VM1')))).code).toBe(ErrorCode.DriverLicence);
      expect((await rejection(d.shutdown(byName(ts, 'localhost.localdomain')))).code).toBe(ErrorCode.DriverLicence);
      expect(await d.powerState(byName(ts, 'ha-host_VM0'))).toBe('on');
    } finally {
      await esx.setRestricted(false);
    }
  });
});
