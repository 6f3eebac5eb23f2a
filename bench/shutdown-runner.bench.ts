/**
 * The shutdown runner on 1,000 simulated VMs on 50 hosts in 4 phases under concurrency limits, shutdown times drawn
 * from a log-normal distribution, at time scale 200: its wall time over the critical path (the same order and limits
 * with zero overhead), the same steps one after another as a simple script would run them (measured at a 20× faster
 * time scale and scaled back), and the runner's own CPU time.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { shutdownSchema } from '../src/config/shutdown-schema.js';
import { createLogger } from '../src/log.js';
import { openDatabase } from '../src/store/database.js';
import { RunsStore } from '../src/store/shutdown-runs.js';
import { SimDriver } from '../src/shutdown/drivers/sim.js';
import { Estimates, makespanMs } from '../src/shutdown/estimates.js';
import { resolvePlan } from '../src/shutdown/plan.js';
import { ShutdownRunner } from '../src/shutdown/runner.js';
import { SimCluster } from '../src/shutdown/sim-cluster.js';
import { systemClock } from '../src/util/clock.js';

const HOSTS = 50;
const VMS_PER_HOST = 20;
const SCALE = 200;
const SEQ_FACTOR = 20;

function input(timeScale: number): unknown {
  const tier = (i: number): string => (i < 8 ? 'tier3' : i < 14 ? 'tier2' : 'tier1');
  return {
    sim_cluster: {
      time_scale: timeScale,
      call_latency_ms: 0,
      hosts: Array.from({ length: HOSTS }, (_, h) => ({
        name: `host-${String(h).padStart(2, '0')}`,
        halt_s: { median: 30, p90: 50 },
        vms: Array.from({ length: VMS_PER_HOST }, (_, v) => ({
          name: `vm-${h}-${v}`,
          tags: [tier(v)],
          shutdown_s: { median: 20, p90: 40 },
        })),
      })),
    },
    plan: {
      name: 'bench',
      ups_host: 'host-00',
      off_delay_s: 60,
      on_delay_s: 90,
      driver_limits: { sim: 100 },
      phases: [
        { name: 'tier3', targets: [{ tags: ['tier3'] }], concurrency: 60, timeout_s: 60 },
        { name: 'tier2', targets: [{ tags: ['tier2'] }], concurrency: 40, timeout_s: 60 },
        { name: 'tier1', targets: [{ tags: ['tier1'] }], concurrency: 40, timeout_s: 60 },
        {
          name: 'hosts',
          targets: [
            {
              driver: 'sim',
              kind: 'host',
              names: Array.from({ length: HOSTS }, (_, h) => `host-${String(h).padStart(2, '0')}`),
            },
          ],
          concurrency: 10,
          timeout_s: 60,
        },
      ],
    },
    poll_interval_ms: 1000,
    call_timeout_ms: 10_000,
  };
}

export async function run(): Promise<Record<string, number>> {
  // The system clock's timers are unref'd; hold the process while the runs wait on them.
  const hold = setInterval(() => undefined, 1000);
  const dir = mkdtempSync(join(tmpdir(), 'upsguard-bench-'));
  try {
    const cfg = shutdownSchema.parse(input(SCALE));
    const cluster = new SimCluster(cfg.sim_cluster!, systemClock);
    const driver = new SimDriver('sim', cluster, systemClock, 0);
    const journal = new RunsStore(openDatabase(join(dir, 'bench.db')));
    const estimates = new Estimates(new Map(), { vm: 1000, host: 1000 });
    const plan = resolvePlan(cfg, await driver.discover(), { macs: [], hostname: '-' }, estimates, 'ups');
    const criticalMs =
      plan.phases.reduce(
        (sum, p) =>
          sum +
          makespanMs(
            p.targets.map((t) => ({ durationMs: cluster.stopMs(t.name, 1), driver: t.driver })),
            p.concurrency,
            plan.driverLimits,
          ),
        0,
      ) + plan.finalHosts.reduce((s, h) => s + cluster.stopMs(h.name, 1), 0);
    const runner = new ShutdownRunner({
      journal,
      drivers: new Map([['sim', driver]]),
      clock: systemClock,
      log: createLogger({ level: 'silent' }),
      ups: { loadOff: () => Promise.resolve(), loadOffPending: () => null, mainsOnline: () => false },
      timings: { pollIntervalMs: 1000, callTimeoutMs: 10_000, hardOffTimeoutMs: 10_000 },
      estimateSamples: 20,
      notify: () => undefined,
    });
    const cpu0 = process.cpuUsage();
    const t0 = performance.now();
    const row = await runner.start(plan, { mode: 'real', reason: 'bench' }).done;
    const wallMs = performance.now() - t0;
    const cpu = process.cpuUsage(cpu0);
    if (row.status !== 'completed') throw new Error(`bench run ${row.status}: ${row.summary ?? ''}`);

    // The simple script: each target in plan order, shut down and waited for, one at a time.
    const seqCfg = shutdownSchema.parse(input(SCALE * SEQ_FACTOR));
    const seqCluster = new SimCluster(seqCfg.sim_cluster!, systemClock);
    const seqDriver = new SimDriver('sim', seqCluster, systemClock, 0);
    const order = [...plan.phases.flatMap((p) => p.targets), ...plan.finalHosts];
    const s0 = performance.now();
    for (const t of order) {
      await seqDriver.shutdown(t);
      let st = await seqDriver.powerState(t);
      while (st !== 'off') st = await seqDriver.waitForChange(t, st, 1000);
    }
    const seqMs = (performance.now() - s0) * SEQ_FACTOR;
    return {
      targets: order.length,
      steps_journaled: journal.steps(row.id).length,
      critical_path_s: criticalMs / 1000,
      runner_wall_s: wallMs / 1000,
      wall_over_critical_path: wallMs / criticalMs,
      sequential_script_s: seqMs / 1000,
      sequential_over_runner: seqMs / wallMs,
      runner_cpu_ms: (cpu.user + cpu.system) / 1000,
      runner_cpu_per_target_ms: (cpu.user + cpu.system) / 1000 / order.length,
    };
  } finally {
    clearInterval(hold);
    rmSync(dir, { recursive: true, force: true });
  }
}
