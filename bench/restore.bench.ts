/**
 * The restore after an outage on 1,000 simulated VMs on 50 hosts in 3 tiers: power returns, the hosts boot, and the
 * restore starts every VM that was running, tier by tier (the last phase down first) under its concurrency, each
 * journaled before and after. Its wall time over the restore plan's critical path (the slowest host's boot, then each
 * tier's makespan of VM boots under the same concurrency, with zero overhead), and its CPU time per VM.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { restoreSchema } from '../src/config/restore-schema.js';
import { shutdownSchema } from '../src/config/shutdown-schema.js';
import { createLogger } from '../src/log.js';
import { openDatabase } from '../src/store/database.js';
import { RunsStore } from '../src/store/shutdown-runs.js';
import { SimDriver } from '../src/shutdown/drivers/sim.js';
import { Estimates, makespanMs } from '../src/shutdown/estimates.js';
import { resolvePlan } from '../src/shutdown/plan.js';
import { planTargets } from '../src/shutdown/restore/record-before.js';
import { RestoreRunner } from '../src/shutdown/restore/restore-runner.js';
import { SimCluster } from '../src/shutdown/sim-cluster.js';
import { systemClock } from '../src/util/clock.js';

const HOSTS = 50;
const VMS_PER_HOST = 20;
const SCALE = 50;
const CONCURRENCY = 50;

function input(): unknown {
  const tier = (i: number): string => (i < 8 ? 'tier3' : i < 14 ? 'tier2' : 'tier1');
  const host = (h: number): string => `host-${String(h).padStart(2, '0')}`;
  return {
    sim_cluster: {
      time_scale: SCALE,
      call_latency_ms: 0,
      hosts: Array.from({ length: HOSTS }, (_, h) => ({
        name: host(h),
        boot_s: 20 + (h % 5) * 2,
        vms: Array.from({ length: VMS_PER_HOST }, (_, v) => ({
          name: `vm-${h}-${v}`,
          tags: [tier(v)],
          boot_s: 10 + ((h + v) % 7),
          autostart: false,
        })),
      })),
    },
    plan: {
      name: 'bench',
      ups_host: 'host-00',
      off_delay_s: 60,
      on_delay_s: 90,
      phases: [
        { name: 'tier3', targets: [{ tags: ['tier3'] }], concurrency: 60 },
        { name: 'tier2', targets: [{ tags: ['tier2'] }], concurrency: 40 },
        { name: 'tier1', targets: [{ tags: ['tier1'] }], concurrency: 40 },
        {
          name: 'hosts',
          targets: [{ driver: 'sim', kind: 'host', names: Array.from({ length: HOSTS }, (_, h) => host(h)) }],
        },
      ],
    },
  };
}

export async function run(): Promise<Record<string, number>> {
  const hold = setInterval(() => undefined, 1000);
  const dir = mkdtempSync(join(tmpdir(), 'upsguard-bench-'));
  try {
    const cfg = shutdownSchema.parse(input());
    const cluster = new SimCluster(cfg.sim_cluster!, systemClock);
    const driver = new SimDriver('sim', cluster, systemClock, 0);
    const journal = new RunsStore(openDatabase(join(dir, 'bench.db')));
    const estimates = new Estimates(new Map(), { vm: 1000, host: 1000 });
    const plan = resolvePlan(cfg, await driver.discover(), { macs: [], hostname: '-' }, estimates, 'ups');
    // The outage's run, as the journal holds it once completed: everything was on before it, all is dark now.
    const now = systemClock.now();
    const runId = journal.createRun({
      plan: plan.name,
      mode: 'real',
      reason: 'bench outage',
      startedAt: now,
      estimateS: null,
      runtimeLeftS: null,
      subset: null,
      planJson: JSON.stringify(plan),
    });
    journal.recordBefore(
      planTargets(plan).map(({ target: t, phase }) => ({
        runId,
        target: t.name,
        driver: t.driver,
        kind: t.kind,
        host: t.host ?? null,
        phase,
        power: 'on' as const,
        platform: null,
        at: now,
      })),
    );
    journal.finishRun(runId, 'completed', now, 'all targets done');
    cluster.setFeed('ups', false);

    const restoreCfg = restoreSchema.parse({
      mains_steady_s: 0,
      first_tier: {},
      other_tiers: {},
      concurrency: CONCURRENCY,
      vm_start_timeout_s: 600,
    });
    let finished: (() => void) | null = null;
    const restored = new Promise<void>((resolve) => (finished = resolve));
    const restore = new RestoreRunner({
      journal,
      drivers: new Map([['sim', driver]]),
      clock: systemClock,
      log: createLogger({ level: 'silent' }),
      config: () => restoreCfg,
      ups: { mainsOnline: () => true, battery: () => ({ chargePct: 100, runtimeS: 3600 }) },
      hostPower: () => {
        throw new Error('no out-of-band power in the bench');
      },
      timings: { pollIntervalMs: 1000, callTimeoutMs: 10_000 },
      realRunActive: () => false,
      latched: () => false,
      notify: (type) => {
        if (type === 'RESTORED' || type === 'RESTORE_INCOMPLETE') finished?.();
      },
    });
    const subject = restore.subject();
    if (!subject) throw new Error('nothing to restore');
    const wallOf = (modelS: number): number => (modelS * 1000) / SCALE;
    const hostsMs = Math.max(...subject.plan.hosts.map((h) => wallOf(cluster.node(h.name)!.bootS)));
    const criticalMs =
      hostsMs +
      subject.plan.tiers.reduce(
        (sum, tier) =>
          sum +
          makespanMs(
            tier.targets.map((t) => ({ durationMs: wallOf(cluster.node(t.name)!.bootS), driver: t.driver })),
            CONCURRENCY,
            {},
          ),
        0,
      );
    const cpu0 = process.cpuUsage();
    const t0 = performance.now();
    // Power returns and the restore looks at once (its loop would look within a poll interval).
    cluster.setFeed('ups', true);
    restore.tick();
    await restored;
    const wallMs = performance.now() - t0;
    const cpu = process.cpuUsage(cpu0);
    const row = journal.restore(runId);
    if (row?.status !== 'restored') throw new Error(`bench restore ${row?.status ?? '?'}: ${row?.summary ?? ''}`);
    const vms = subject.plan.tiers.reduce((n, t) => n + t.targets.length, 0);
    return {
      hosts: subject.plan.hosts.length,
      vms,
      steps_journaled: journal.steps(runId).length,
      critical_path_s: criticalMs / 1000,
      restore_wall_s: wallMs / 1000,
      wall_over_critical_path: wallMs / criticalMs,
      restore_cpu_ms: (cpu.user + cpu.system) / 1000,
      restore_cpu_per_vm_ms: (cpu.user + cpu.system) / 1000 / vms,
    };
  } finally {
    clearInterval(hold);
    rmSync(dir, { recursive: true, force: true });
  }
}
