/**
 * The vSphere driver against vcsim's vCenter model with 200 VMs (two resource pools × 100) on 4 hosts: discovery time
 * (cold: service content + login + view + read; warm: session and view reused) and SOAP calls per target, then the
 * per-target overhead of the shutdown commands: ShutdownGuest (accepted at once, through the test front that
 * delays the guest's power-off), PowerOffVM_Task with task polling, and a power-state read.
 */
import { VsphereDriver } from '../src/shutdown/drivers/vsphere.js';
import type { Target } from '../src/shutdown/drivers/driver.js';
import { startVcsim, vsphereConfig } from '../test/helpers/vcsim.js';

const VMS_PER_POOL = 100;
const ROUNDS = 5;
const SAMPLE = 50;

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)] ?? 0;
};

async function perTarget(
  d: VsphereDriver,
  targets: Target[],
  act: (t: Target) => Promise<unknown>,
): Promise<{ ms: number; calls: number }> {
  const times: number[] = [];
  const before = d.calls;
  for (const t of targets) {
    const t0 = performance.now();
    await act(t);
    times.push(performance.now() - t0);
  }
  return { ms: median(times), calls: (d.calls - before) / targets.length };
}

export async function run(): Promise<Record<string, number>> {
  // Guests take 60 s to go off, so the ShutdownGuest figure is the command alone, as on a real guest.
  const sim = await startVcsim({ vms: VMS_PER_POOL, tools: '.', guestDelayMs: 60_000 });
  const drivers: VsphereDriver[] = [];
  const make = (): VsphereDriver => {
    const d = new VsphereDriver(vsphereConfig(sim), { taskPollMs: 20 });
    drivers.push(d);
    return d;
  };
  try {
    const cold: number[] = [];
    let targets: Target[] = [];
    let coldCalls = 0;
    for (let i = 0; i < ROUNDS; i++) {
      const d = make();
      const t0 = performance.now();
      targets = await d.discover();
      cold.push(performance.now() - t0);
      coldCalls = d.calls;
    }
    const d = make();
    await d.discover();
    const warm: number[] = [];
    const beforeWarm = d.calls;
    for (let i = 0; i < ROUNDS; i++) {
      const t0 = performance.now();
      await d.discover();
      warm.push(performance.now() - t0);
    }
    const warmCalls = (d.calls - beforeWarm) / ROUNDS;
    const vms = targets.filter((t) => t.kind === 'vm');
    const read = await perTarget(d, vms.slice(0, SAMPLE), (t) => d.powerState(t));
    const graceful = await perTarget(d, vms.slice(0, SAMPLE), (t) => d.shutdown(t));
    const hard = await perTarget(d, vms.slice(SAMPLE, 2 * SAMPLE), (t) => d.powerOff(t));
    return {
      targets: targets.length,
      discovery_cold_ms: median(cold),
      discovery_warm_ms: median(warm),
      discovery_cold_calls: coldCalls,
      discovery_warm_calls: warmCalls,
      discovery_calls_per_target: coldCalls / targets.length,
      discovery_ms_per_target: median(cold) / targets.length,
      power_read_ms_per_target: read.ms,
      power_read_calls_per_target: read.calls,
      shutdown_guest_ms_per_target: graceful.ms,
      shutdown_guest_calls_per_target: graceful.calls,
      power_off_task_ms_per_target: hard.ms,
      power_off_task_calls_per_target: hard.calls,
    };
  } finally {
    await Promise.all(drivers.map((x) => x.close()));
    await sim.stop();
  }
}
