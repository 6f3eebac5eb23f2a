import type { Config } from '../config/schema.js';
import type { ShutdownConfig } from '../config/shutdown-schema.js';
import type { RestoreHostConfig } from '../config/restore-schema.js';
import { errorMessage } from '../errors.js';
import type { Logger } from '../log.js';
import type { NewUpsEvent, UpsEventType, UpsSnapshot } from '../ups/events.js';
import type { Clock } from '../util/clock.js';
import type { DriverReport } from './driver-report.js';
import type { ShutdownDriver } from './drivers/driver.js';
import { NUT_SECONDARIES_DRIVER, NutSecondariesDriver, type NutSecondariesServer } from './drivers/nut-secondaries.js';
import { SimDriver } from './drivers/sim.js';
import type { Estimates } from './estimates.js';
import type { RunMode, RunRow, ShutdownJournal } from './journal.js';
import { PlanError, subsetPlan, type Identity } from './plan.js';
import { PlanService, type PlanView } from './plan-service.js';
import type { Decision, PolicyState } from './policy.js';
import { PolicyWatcher } from './policy-watcher.js';
import type { HostPower } from './restore/host-power.js';
import { hostPowerFor } from './restore/host-power-factory.js';
import { RestoreRunner, type RestoreUps } from './restore/restore-runner.js';
import { selfAutostartProblem } from './restore/self-autostart.js';
import { restoreSummary, type RestoreSnapshot } from './restore/restore-summary.js';
import { numberOf } from './restore/return-conditions.js';
import { ShutdownRunner, type UpsControl } from './runner.js';
import { progressJournal } from './run-progress.js';
import { SimCluster, type SimClusterPersistence } from './sim-cluster.js';
import type { WatchedSource } from './watched-sources.js';

/** Mains feeds the UPS, as its last snapshot says (the output may still be off after a load-off). */
function mainsPresent(s: UpsSnapshot): boolean {
  return s.comms === 'ok' && s.status.includes('OL') && !s.status.includes('OB');
}

export type { PlanView, UnreachableDriver } from './plan-service.js';
export type { WatchedSource } from './watched-sources.js';

export interface ShutdownServiceOptions {
  readonly config: Readonly<Config>;
  /** The config in force, whose policy and plan the page may change without a restart (config/live-config.ts). */
  readonly current?: () => Readonly<Config>;
  readonly journal: ShutdownJournal;
  readonly simPersistence: SimClusterPersistence;
  readonly clock: Clock;
  readonly log: Logger;
  readonly sources: readonly WatchedSource[];
  /** Writes an event (store, live page, notifications). */
  readonly recordEvent: (e: NewUpsEvent) => void;
  readonly identity?: Identity;
  /** The config file's directory, for drivers' relative paths. */
  readonly baseDir?: string;
  /** Raises FSD on the NUT server for its clients (upsmon secondaries) when a real run starts. */
  readonly setFsd?: (ups: string) => void;
  /** Clears FSD on the NUT server once the restore after the outage begins. */
  readonly clearFsd?: (ups: string) => void;
  /** Out-of-band power (Wake-on-LAN, IPMI) for a host of `restore.hosts`; tests pass a fake; else host-power-factory's. */
  readonly hostPower?: (h: RestoreHostConfig) => HostPower;
  /** The NUT server, for the `nut-secondaries` target kind; null while it is not running. */
  readonly nutServer?: () => NutSecondariesServer | null;
  /** Drivers built elsewhere (tests), by name: they take the place of configured drivers of the same name. */
  readonly drivers?: ReadonlyMap<string, ShutdownDriver>;
}

/**
 * The shutdown side behind one façade: the policy watcher (decisions, the outage latch, the trigger), the plan service
 * (drivers, discovery, the plan view, estimates, driver reports) and the runner. The API, the page, the CLI and the
 * scheduled dry run come through here.
 */
export class ShutdownService {
  readonly cluster: SimCluster | null;
  readonly runner: ShutdownRunner;
  /** The restore after an outage (restore/restore-runner.ts). */
  readonly restore: RestoreRunner;
  private readonly plans: PlanService;
  private readonly policy: PolicyWatcher;
  private unsubscribe: (() => void)[] = [];

  constructor(private readonly o: ShutdownServiceOptions) {
    const sc = o.config.shutdown.sim_cluster;
    this.cluster = sc ? new SimCluster(sc, o.clock, o.simPersistence) : null;
    const given = new Map<string, ShutdownDriver>();
    if (this.cluster) given.set('sim', new SimDriver('sim', this.cluster, o.clock, sc?.call_latency_ms ?? 0));
    if (o.nutServer) {
      const names = o.config.ups.map((u) => u.name);
      given.set(NUT_SECONDARIES_DRIVER, new NutSecondariesDriver(o.nutServer, names, o.clock));
    }
    for (const [name, d] of o.drivers ?? []) given.set(name, d);
    this.plans = new PlanService({
      config: o.config,
      ...(o.current ? { current: o.current } : {}),
      journal: o.journal,
      clock: o.clock,
      log: o.log,
      sources: o.sources,
      given,
      ...(o.identity ? { identity: o.identity } : {}),
      ...(o.baseDir !== undefined ? { baseDir: o.baseDir } : {}),
    });
    this.runner = new ShutdownRunner({
      journal: o.journal,
      drivers: this.plans.drivers,
      clock: o.clock,
      log: o.log.child({ part: 'runner' }),
      ups: this.upsControl(),
      timings: {
        pollIntervalMs: o.config.shutdown.poll_interval_ms,
        callTimeoutMs: o.config.shutdown.call_timeout_ms,
        hardOffTimeoutMs: o.config.shutdown.hard_off_timeout_s * 1000,
      },
      estimateSamples: o.config.shutdown.estimate_samples,
      notify: (type, ups, message) => {
        this.event(type, ups, message);
      },
    });
    this.restore = new RestoreRunner({
      // The restore's steps go on the outage run and reach the live page as that run's steps.
      journal: progressJournal(o.journal, {
        run: (row, phase) => {
          this.runner.events.emit('runChanged', row, phase);
        },
        step: (row) => {
          this.runner.events.emit('stepChanged', row);
        },
      }),
      drivers: this.plans.drivers,
      clock: o.clock,
      log: o.log.child({ part: 'restore' }),
      config: () => this.config().restore,
      ups: this.restoreUps(),
      hostPower:
        o.hostPower ??
        ((h) =>
          hostPowerFor(h, {
            log: o.log.child({ part: 'host-power' }),
            callTimeoutMs: o.config.shutdown.call_timeout_ms,
          })),
      timings: { pollIntervalMs: o.config.shutdown.poll_interval_ms, callTimeoutMs: o.config.shutdown.call_timeout_ms },
      realRunActive: () => this.realRunActive(),
      latched: () => this.policy.isLatched(),
      notify: (type, ups, message) => {
        this.event(type, ups, message);
      },
    });
    this.policy = new PolicyWatcher({
      config: o.config,
      ...(o.current ? { current: o.current } : {}),
      latch: o.journal,
      clock: o.clock,
      log: o.log,
      planEstimateS: () => this.plans.plan().estimate?.totalS ?? null,
      realRunActive: () => this.realRunActive(),
      trigger: (reason) => {
        this.trigger(reason);
      },
      event: (type, ups, message) => {
        this.event(type, ups, message);
      },
    });
  }

  async start(): Promise<void> {
    await this.plans.ensureDrivers();
    // The clock's timers are unref'd; until the web server listens, nothing else keeps the process alive.
    const hold = setInterval(() => undefined, 1000);
    try {
      await this.refreshPlan();
    } finally {
      clearInterval(hold);
    }
    // A run left unfinished was started by an outage: that outage is still latched, whatever this process remembers.
    const unfinished = this.o.journal.unfinished('real');
    if (unfinished.length > 0) this.policy.latch(`run ${unfinished[0]?.id ?? '?'} resumed`);
    for (const p of this.runner.resume()) void p.then(() => this.refreshPlan());
    // The page shows what each driver found from the start, not only after the first daily check.
    void this.checkDrivers();
    this.policy.arm();
    // After the resumed runs: a restore the last outage left unfinished (upsguard went down with its VM) goes on.
    this.restore.start();
    this.unsubscribe.push(
      this.runner.events.on('finished', () => {
        void this.refreshPlan();
      }),
    );
  }

  /** Stops reacting; a run in progress begins no new step and stays open in the journal for the next start. */
  stop(): void {
    for (const u of this.unsubscribe) u();
    this.unsubscribe = [];
    this.restore.stop();
    this.runner.halt();
    this.plans.close();
  }

  decision(): Decision | null {
    return this.policy.decision();
  }

  /** The config in force (policy and plan as edited on the page). */
  config(): Readonly<Config> {
    return this.o.current?.() ?? this.o.config;
  }

  /** What the policy knows of each UPS now. */
  policyState(): PolicyState {
    return this.policy.tracked();
  }

  /** The outage tripped the trigger and it is not re-armed yet. */
  latched(): boolean {
    return this.policy.isLatched();
  }

  /** A candidate plan resolved against the last discovery, without touching the plan in force. */
  previewPlan(cfg: ShutdownConfig): Promise<PlanView> {
    return this.plans.previewPlan(cfg);
  }

  /** Feeds the policy; a critical decision starts the real run once per outage. */
  onSnapshot(s: UpsSnapshot): void {
    this.restore.observe(s.ups, mainsPresent(s));
    this.policy.onSnapshot(s);
  }

  /** Where the restore after the outage stands. */
  restoreSnapshot(): RestoreSnapshot {
    return this.restore.snapshot();
  }

  /** One line for `upsguard status`: "as before the outage", or what is not back and why. */
  restoreSummary(): string {
    return restoreSummary(this.restore.snapshot());
  }

  evaluate(): Decision {
    return this.policy.evaluate();
  }

  /** Checks every driver (credentials, reachability, discovery, power states); the last result is kept for the page. */
  checkDrivers(): Promise<readonly DriverReport[]> {
    return this.plans.checkDrivers();
  }

  /** Where a driver can tell: a problem when upsguard's own VM is not set to autostart (the daily check says so). */
  selfAutostartProblem(): Promise<string | null> {
    return selfAutostartProblem({
      selfVm: this.plans.plan().plan?.self.vm ?? null,
      reports: this.plans.driverReports(),
      drivers: this.plans.drivers,
      clock: this.o.clock,
      timeoutMs: this.o.config.shutdown.call_timeout_ms,
    });
  }

  /** The last driver check, or an empty list before the first. */
  driverReports(): readonly DriverReport[] {
    return this.plans.driverReports();
  }

  plan(): PlanView {
    return this.plans.plan();
  }

  /** Discovers targets and resolves the plan again; problems are kept for the page and the CLI. */
  refreshPlan(): Promise<PlanView> {
    return this.plans.refreshPlan();
  }

  estimates(): Estimates {
    return this.plans.estimates();
  }

  /** Starts a run now (API, test button, scheduled dry run). A subset is refused when empty or naming the unknown. */
  async startRun(
    mode: RunMode,
    reason: string,
    subset: readonly string[] | null = null,
  ): Promise<{ runId: number; done: Promise<RunRow> }> {
    const view = await this.refreshPlan();
    if (!view.plan) throw new PlanError(this.config().shutdown.plan?.name ?? '(none)', view.problems);
    const plan = subsetPlan(view.plan, subset);
    const ups = plan.loadOff?.ups ?? this.o.config.ups[0]?.name;
    const runtime = this.o.sources.find((x) => x.name === ups)?.snapshot().variables['battery.runtime'];
    const started = this.runner.start(plan, {
      mode,
      reason,
      subset,
      estimateS: view.estimate?.totalS ?? null,
      runtimeLeftS: runtime === undefined ? null : Number(runtime),
    });
    if (mode === 'real') this.event('SHUTDOWN', ups ?? '', `shutdown run ${started.runId} started: ${reason}`);
    return started;
  }

  private trigger(reason: string): void {
    if (!this.config().shutdown.plan) return;
    if (this.realRunActive()) return;
    this.startRun('real', reason).then(
      (r) => void r.done.catch((err: unknown) => this.o.log.error({ err: errorMessage(err) }, 'shutdown run failed')),
      (err: unknown) => {
        this.o.log.error({ err: errorMessage(err) }, 'cannot start the shutdown run');
        this.event('SHUTDOWN_CHECK_FAILED', '', `cannot start the shutdown run: ${errorMessage(err)}`);
      },
    );
  }

  /** The few things the runner asks of the UPS side, through each UPS's one source. */
  private upsControl(): UpsControl {
    return {
      loadOff: async (ups, off, on) => {
        await this.source(ups).command('shutdown.return', { offDelay: off, onDelay: on });
      },
      loadOffPending: (ups) => {
        const v = this.source(ups).snapshot().variables['ups.timer.shutdown'];
        return v === undefined ? null : Number(v) >= 0;
      },
      setFsd: (ups) => {
        this.o.setFsd?.(ups);
        return Promise.resolve();
      },
      mainsOnline: (ups) => mainsPresent(this.source(ups).snapshot()),
    };
  }

  /** What the restore asks of the UPS side: mains, the battery, and the FSD latch to clear. */
  private restoreUps(): RestoreUps {
    return {
      mainsOnline: (ups) => mainsPresent(this.source(ups).snapshot()),
      battery: (ups) => {
        const v = this.source(ups).snapshot().variables;
        return { chargePct: numberOf(v['battery.charge']), runtimeS: numberOf(v['battery.runtime']) };
      },
      clearFsd: (ups) => {
        this.o.clearFsd?.(ups);
        return Promise.resolve();
      },
    };
  }

  private realRunActive(): boolean {
    return this.runner.activeRuns().some((id) => this.o.journal.run(id)?.mode === 'real');
  }

  private source(name: string): WatchedSource {
    const s = this.o.sources.find((x) => x.name === name) ?? this.o.sources[0];
    if (!s) throw new Error('no UPS source');
    return s;
  }

  private event(type: UpsEventType, ups: string, message: string): void {
    try {
      this.o.recordEvent({ at: this.o.clock.now(), type, ups, message });
    } catch (err) {
      this.o.log.error({ err: errorMessage(err) }, 'cannot record a shutdown event');
    }
  }
}
