import { restoreSchema, type RestoreConfig, type RestoreHostConfig } from '../../../src/config/restore-schema.js';
import { createLogger } from '../../../src/log.js';
import type { HostPower } from '../../../src/shutdown/restore/host-power.js';
import { RestoreRunner } from '../../../src/shutdown/restore/restore-runner.js';
import type { BatteryNow } from '../../../src/shutdown/restore/return-conditions.js';
import type { ShutdownDriver } from '../../../src/shutdown/drivers/driver.js';
import { SimDriver } from '../../../src/shutdown/drivers/sim.js';
import type { UpsEventType } from '../../../src/ups/events.js';
import type { ManualClock } from '../../../src/util/clock.js';
import { clusterInput, rig, type Rig } from '../fixtures.js';

/**
 * The runner tests' cluster with a restore beside it: db1, web1 and web2 have no autostart (the restore must start
 * them), web3 and the appliance do (the platform starts them: counted done).
 */
export function restoreClusterInput(): unknown {
  const input = clusterInput({
    vms: [
      { name: 'web1', tags: ['tier3'], shutdown_s: 10, boot_s: 20, autostart: false },
      { name: 'web2', tags: ['tier3'], shutdown_s: 15, boot_s: 20, autostart: false },
      { name: 'web3', tags: ['tier3'], shutdown_s: 10, boot_s: 20 },
    ],
  }) as { sim_cluster: { hosts: { vms: Record<string, unknown>[] }[] } };
  const db1 = input.sim_cluster.hosts[0]!.vms[1]!;
  db1.autostart = false;
  db1.boot_s = 25;
  return input;
}

/** A fake out-of-band power switch that powers a simulated host on (the sim cluster's "wake"). */
export class FakeHostPower implements HostPower {
  calls = 0;
  constructor(
    readonly describe: string,
    private readonly on: () => void,
  ) {}
  powerOn(): Promise<void> {
    this.calls++;
    this.on();
    return Promise.resolve();
  }
}

export interface RestoreRig extends Rig {
  restore: RestoreRunner;
  battery: BatteryNow;
  restoreCfg: RestoreConfig;
  notified: { type: UpsEventType; message: string }[];
  hostPowers: Map<string, FakeHostPower>;
  /** The outage latch as the policy holds it; the restore waits while it is tripped. */
  latched: boolean;
  fsdCleared: number;
}

export async function restoreRig(
  clock: ManualClock,
  restoreInput: Record<string, unknown> = {},
  opts: { input?: unknown; drivers?: ReadonlyMap<string, ShutdownDriver>; dbPath?: string } = {},
): Promise<RestoreRig> {
  const r = await rig(clock, opts.input ?? restoreClusterInput(), undefined, opts.dbPath);
  const restoreCfg = restoreSchema.parse({
    mains_steady_s: 30,
    first_tier: { charge_pct: 20 },
    other_tiers: { charge_pct: 50 },
    vm_start_timeout_s: 120,
    host_ready_timeout_s: 300,
    concurrency: 2,
    ...restoreInput,
  });
  const out: RestoreRig = {
    ...r,
    restore: undefined as unknown as RestoreRunner,
    battery: { chargePct: 80, runtimeS: null },
    restoreCfg,
    notified: [],
    hostPowers: new Map(),
    latched: false,
    fsdCleared: 0,
  };
  out.restore = new RestoreRunner({
    journal: r.journal,
    drivers:
      opts.drivers ?? new Map([['sim', new SimDriver('sim', r.cluster, clock, r.cfg.sim_cluster!.call_latency_ms)]]),
    clock,
    log: createLogger({ level: 'silent' }),
    config: () => restoreCfg,
    ups: {
      mainsOnline: () => r.ups.mains,
      battery: () => out.battery,
      clearFsd: () => {
        out.fsdCleared++;
        return Promise.resolve();
      },
    },
    hostPower: (h: RestoreHostConfig) => {
      let p = out.hostPowers.get(h.name);
      if (!p) {
        p = new FakeHostPower(`wol ${h.wol?.mac ?? '?'}`, () => {
          r.cluster.powerOn(h.name);
        });
        out.hostPowers.set(h.name, p);
      }
      return p;
    },
    timings: { pollIntervalMs: 1000, callTimeoutMs: 5000 },
    realRunActive: () => r.runner.activeRuns().length > 0,
    latched: () => out.latched,
    notify: (type, _ups, message) => out.notified.push({ type, message }),
  });
  return out;
}
