import { shutdownSchema, type ShutdownConfig } from '../../src/config/shutdown-schema.js';
import { createLogger } from '../../src/log.js';
import { openDatabase } from '../../src/store/database.js';
import { RunsStore } from '../../src/store/shutdown-runs.js';
import { SimDriver } from '../../src/shutdown/drivers/sim.js';
import { Estimates } from '../../src/shutdown/estimates.js';
import { resolvePlan, type ResolvedPlan } from '../../src/shutdown/plan.js';
import { ShutdownRunner, type UpsControl } from '../../src/shutdown/runner.js';
import { SimCluster, memoryPersistence, type SimClusterPersistence } from '../../src/shutdown/sim-cluster.js';
import type { UpsEventType } from '../../src/ups/events.js';
import type { ManualClock } from '../../src/util/clock.js';

/** Two hosts: h1 (the UPS host, runs the appliance VM) and h2; VMs in two tiers. Model time = wall time. */
export function clusterInput(over: { vms?: Record<string, unknown>[] } = {}): unknown {
  return {
    sim_cluster: {
      time_scale: 1,
      call_latency_ms: 0,
      hosts: [
        {
          name: 'h1',
          halt_s: 20,
          boot_s: 30,
          vms: [
            { name: 'appliance', tags: ['self'], mac: '02:00:00:00:00:01', shutdown_s: 5 },
            { name: 'db1', tags: ['tier1'], shutdown_s: 30 },
          ],
        },
        {
          name: 'h2',
          halt_s: 20,
          boot_s: 30,
          vms: over.vms ?? [
            { name: 'web1', tags: ['tier3'], shutdown_s: 10 },
            { name: 'web2', tags: ['tier3'], shutdown_s: 15 },
            { name: 'web3', tags: ['tier3'], shutdown_s: { median: 10, p90: 20 } },
          ],
        },
      ],
    },
    plan: {
      name: 'lab',
      off_delay_s: 60,
      on_delay_s: 90,
      ups_host: 'h1',
      point_of_no_return: 'hosts',
      phases: [
        { name: 'shed', targets: [{ tags: ['tier3'] }], timeout_s: 60, concurrency: 2 },
        { name: 'core', targets: [{ tags: ['tier1'] }], timeout_s: 60 },
        { name: 'hosts', targets: [{ names: ['h2', 'h1'] }, { names: ['appliance'] }], timeout_s: 120 },
      ],
    },
    poll_interval_ms: 1000,
    call_timeout_ms: 5000,
    hard_off_timeout_s: 10,
  };
}

export function shutdownConfig(input: unknown = clusterInput()): ShutdownConfig {
  return shutdownSchema.parse(input);
}

export class FakeUps implements UpsControl {
  mains = false;
  loadOffs: { ups: string; off: number; on: number; at: number }[] = [];
  constructor(private readonly clock: ManualClock) {}
  loadOff(ups: string, off: number, on: number): Promise<void> {
    this.loadOffs.push({ ups, off, on, at: this.clock.now() });
    return Promise.resolve();
  }
  loadOffPending(): boolean | null {
    return this.loadOffs.length > 0;
  }
  mainsOnline(): boolean {
    return this.mains;
  }
}

export interface Rig {
  cfg: ShutdownConfig;
  cluster: SimCluster;
  journal: RunsStore;
  runner: ShutdownRunner;
  ups: FakeUps;
  plan: ResolvedPlan;
  events: { type: UpsEventType; message: string }[];
  estimates: () => Estimates;
}

export async function rig(
  clock: ManualClock,
  input: unknown = clusterInput(),
  persistence: SimClusterPersistence = memoryPersistence(),
  dbPath = ':memory:',
): Promise<Rig> {
  const cfg = shutdownConfig(input);
  const cluster = new SimCluster(cfg.sim_cluster!, clock, persistence);
  const db = openDatabase(dbPath);
  const journal = new RunsStore(db);
  const driver = new SimDriver('sim', cluster, clock, cfg.sim_cluster!.call_latency_ms);
  const ups = new FakeUps(clock);
  const events: { type: UpsEventType; message: string }[] = [];
  const runner = new ShutdownRunner({
    journal,
    drivers: new Map([['sim', driver]]),
    clock,
    log: createLogger({ level: 'silent' }),
    ups,
    timings: {
      pollIntervalMs: cfg.poll_interval_ms,
      callTimeoutMs: cfg.call_timeout_ms,
      hardOffTimeoutMs: cfg.hard_off_timeout_s * 1000,
    },
    estimateSamples: 20,
    notify: (type, _ups, message) => events.push({ type, message }),
  });
  const estimates = (): Estimates => new Estimates(journal.durations(), { vm: 60_000, host: 30_000 });
  const targets = await driver.discover();
  const plan = resolvePlan(cfg, targets, { macs: ['02:00:00:00:00:01'], hostname: 'x' }, estimates(), 'ups1');
  return { cfg, cluster, journal, runner, ups, plan, events, estimates };
}

/** Advances the manual clock in small steps, letting promises settle between them, until `p` settles. */
export async function drive<T>(clock: ManualClock, p: Promise<T>, stepMs = 100, maxMs = 3_600_000): Promise<T> {
  const state = { settled: false };
  p.then(
    () => (state.settled = true),
    () => (state.settled = true),
  );
  for (let t = 0; !state.settled && t < maxMs; t += stepMs) {
    for (let i = 0; i < 5; i++) await new Promise((r) => setImmediate(r));
    // eslint-disable-next-line @typescript-eslint/no-unnecessary-condition -- set by the promise callbacks above
    if (!state.settled) clock.advance(stepMs);
  }
  return p;
}
