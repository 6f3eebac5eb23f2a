import { afterAll, beforeAll, expect, it } from 'vitest';
import type { IpmiConfig } from '../../src/config/restore-schema.js';
import { ErrorCode, UpsguardError } from '../../src/errors.js';
import { IpmiPower } from '../../src/shutdown/restore/ipmi.js';
import { bmcHardOff, hostPowerFor } from '../../src/shutdown/restore/host-power-factory.js';
import { withBmcHardOff } from '../../src/shutdown/drivers/bmc-fallback.js';
import type { ShutdownDriver, Target } from '../../src/shutdown/drivers/driver.js';
import { restoreSchema } from '../../src/config/restore-schema.js';
import { createLogger } from '../../src/log.js';
import { haveIpmiSim, startIpmiSim, type IpmiSim } from '../helpers/ipmi-sim.js';
import { describeWithPeers } from '../helpers/peers.js';

const describePeers = describeWithPeers({ 'OpenIPMI ipmi_sim and ipmitool': haveIpmiSim });

describePeers('IPMI over LAN against ipmi_sim as a BMC', () => {
  let bmc: IpmiSim;
  const cfg = (over: Partial<IpmiConfig> = {}): IpmiConfig => ({
    address: '127.0.0.1',
    port: bmc.port,
    username: bmc.username,
    password: bmc.password,
    interface: 'lanplus',
    cipher_suite: 3,
    hard_off: false,
    ...over,
  });

  beforeAll(async () => {
    bmc = await startIpmiSim();
  }, 30_000);
  afterAll(async () => {
    // Undefined when the simulator never came up; the suite has failed then already.
    await (bmc as IpmiSim | undefined)?.stop();
  });

  it('reads off, powers the host on, reads on, cuts it off hard, reads off', async () => {
    const p = new IpmiPower('pve1', cfg(), { timeoutMs: 10_000 });
    expect(await p.powerStatus()).toBe('off');
    expect(bmc.hostRunning()).toBe(false);
    await p.powerOn();
    expect(await p.powerStatus()).toBe('on');
    expect(bmc.hostRunning()).toBe(true);
    await p.hardOff();
    expect(await p.powerStatus()).toBe('off');
    expect(bmc.hostRunning()).toBe(false);
  });

  it('a wrong password is a typed auth error naming the host, never the password', async () => {
    const p = new IpmiPower('pve1', cfg({ password: 'wrong-secret-9' }), { timeoutMs: 10_000 });
    const err = await p.powerStatus().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(UpsguardError);
    expect((err as UpsguardError).code).toBe(ErrorCode.DriverAuth);
    expect((err as Error).message).toMatch(/^pve1: ipmi power status/);
    expect((err as Error).message).not.toContain('wrong-secret-9');
    expect((err as Error).message).not.toContain(bmc.password);
  });

  it('a BMC that does not answer is a typed error within the call timeout', async () => {
    const p = new IpmiPower('pve2', cfg({ port: 9 }), { timeoutMs: 3000 });
    const err = await p.powerOn().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(UpsguardError);
    expect([ErrorCode.DriverUnreachable, ErrorCode.DriverTimeout]).toContain((err as UpsguardError).code);
    expect(bmc.hostRunning()).toBe(false);
  });

  it('the factory prefers the BMC; a host whose driver cannot cut power falls back to its BMC where hard_off allows', async () => {
    const log = createLogger({ level: 'fatal' });
    const restore = restoreSchema.parse({
      hosts: [
        { name: 'pve1', ipmi: { ...cfg(), hard_off: true } },
        { name: 'pve2', ipmi: cfg() },
        { name: 'nas', wol: { mac: '52:54:00:12:34:56' } },
      ],
    });
    const pve1 = hostPowerFor(restore.hosts[0]!, { log, callTimeoutMs: 10_000 });
    expect(pve1.describe).toBe(`ipmi 127.0.0.1:${bmc.port}`);
    await pve1.powerOn();
    expect(bmc.hostRunning()).toBe(true);

    // An SSH host that hangs while halting: its driver refuses a hard power-off, the BMC does it.
    const refused: string[] = [];
    const ssh: ShutdownDriver = {
      name: 'hosts',
      discover: () => Promise.resolve([]),
      check: () => Promise.resolve([]),
      powerState: () => Promise.resolve('on'),
      shutdown: () => Promise.resolve(),
      powerOff: (t) => {
        refused.push(t.name);
        return Promise.reject(new UpsguardError(ErrorCode.DriverUnsupported, 'no hard power-off over SSH'));
      },
      powerOn: () => Promise.resolve(),
    };
    const wrapped = withBmcHardOff(ssh, restore, { log, callTimeoutMs: 10_000 });
    const host = (name: string): Target => ({ driver: 'hosts', name, kind: 'host', tags: [], macs: [] });
    await wrapped.powerOff(host('pve1'));
    expect(refused).toEqual(['pve1']);
    expect(bmc.hostRunning()).toBe(false);
    // Without hard_off (pve2) or a BMC (nas), the driver's refusal stands.
    await expect(wrapped.powerOff(host('pve2'))).rejects.toThrow(/no hard power-off over SSH/);
    await expect(wrapped.powerOff(host('nas'))).rejects.toThrow(/no hard power-off over SSH/);
    expect(bmcHardOff('pve2', restore, { log, callTimeoutMs: 10_000 })).toBeUndefined();
    expect(await wrapped.powerState(host('pve1'))).toBe('on');
    // No host with hard_off: the driver is used as it is.
    expect(withBmcHardOff(ssh, restoreSchema.parse({}), { log, callTimeoutMs: 1 })).toBe(ssh);
    // Wake-on-LAN can only power on: no status, no hard off.
    const nas = hostPowerFor(restore.hosts[2]!, { log, callTimeoutMs: 1000 });
    expect(['powerStatus' in nas, 'hardOff' in nas]).toEqual([false, false]);
  });
});
