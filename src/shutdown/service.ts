import { networkInterfaces, hostname } from 'node:os';
import type { Config } from '../config/schema.js';
import { errorMessage } from '../errors.js';
import type { Logger } from '../log.js';
import type { RunMode, RunRow, RunsStore } from '../store/shutdown-runs.js';
import type { NewUpsEvent, UpsEventType, UpsSnapshot } from '../ups/events.js';
import type { UpsSource } from '../ups/ups-source.js';
import type { Clock } from '../util/clock.js';
import type { ShutdownDriver, Target } from './drivers/driver.js';
import { NUT_SECONDARIES_DRIVER, NutSecondariesDriver, type NutSecondariesServer } from './drivers/nut-secondaries.js';
import { checkDriver, type DriverReport } from './driver-report.js';
import { createDrivers } from './drivers/registry.js';
import { SimDriver } from './drivers/sim.js';
import { Estimates } from './estimates.js';
import {
  PlanError,
  estimatePlan,
  resolvePlan,
  subsetPlan,
  type Identity,
  type PlanEstimate,
  type PlanProblem,
  type ResolvedPlan,
} from './plan.js';
import { decide, describeDecision, trackAll, type Decision, type PolicyState } from './policy.js';
import { ShutdownRunner, type UpsControl } from './runner.js';
import { SimCluster, type SimClusterPersistence } from './sim-cluster.js';

export interface WatchedSource {
  readonly name: string;
  readonly source: UpsSource;
  snapshot(): UpsSnapshot;
}

export interface ShutdownServiceOptions {
  readonly config: Readonly<Config>;
  readonly journal: RunsStore;
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
  /** The NUT server, for the `nut-secondaries` target kind; null while it is not running. */
  readonly nutServer?: () => NutSecondariesServer | null;
}

export interface PlanView {
  readonly plan: ResolvedPlan | null;
  readonly estimate: PlanEstimate | null;
  readonly problems: readonly PlanProblem[];
}

function localIdentity(): Identity {
  const macs = Object.values(networkInterfaces())
    .flatMap((l) => l ?? [])
    .map((i) => i.mac.toLowerCase())
    .filter((m) => m !== '00:00:00:00:00:00');
  return { macs, hostname: hostname() };
}

/**
 * Ties the policy, the plan and the runner to the running appliance: every snapshot goes through the policy; a
 * critical decision starts the real run once per outage; the API and the scheduled dry run come through here.
 */
export class ShutdownService {
  readonly cluster: SimCluster | null;
  readonly runner: ShutdownRunner;
  private readonly drivers = new Map<string, ShutdownDriver>();
  private policyState: PolicyState = {};
  private last: Decision | null = null;
  private tripped = false;
  /** Off until unfinished runs have been resumed, so a restart never starts a second run beside the first. */
  private ready = false;
  private view: PlanView = { plan: null, estimate: null, problems: [] };
  private unsubscribe: (() => void)[] = [];
  private lastReports: readonly DriverReport[] = [];
  private driversLoaded: Promise<void> | null = null;

  constructor(private readonly o: ShutdownServiceOptions) {
    const sc = o.config.shutdown.sim_cluster;
    this.cluster = sc ? new SimCluster(sc, o.clock, o.simPersistence) : null;
    if (this.cluster) this.drivers.set('sim', new SimDriver('sim', this.cluster, o.clock, sc?.call_latency_ms ?? 0));
    if (o.nutServer) {
      this.drivers.set(
        NUT_SECONDARIES_DRIVER,
        new NutSecondariesDriver(
          o.nutServer,
          o.config.ups.map((u) => u.name),
          () => o.clock.now(),
        ),
      );
    }
    const control: UpsControl = {
      loadOff: async (ups, off, on) => {
        await this.source(ups).source.command('shutdown.return', { offDelay: off, onDelay: on });
      },
      loadOffPending: (ups) => {
        const v = this.source(ups).snapshot().variables['ups.timer.shutdown'];
        return v === undefined ? null : Number(v) >= 0;
      },
      setFsd: (ups) => {
        o.setFsd?.(ups);
        return Promise.resolve();
      },
      mainsOnline: (ups) => {
        const s = this.source(ups).snapshot();
        return s.comms === 'ok' && s.status.includes('OL') && !s.status.includes('OB');
      },
    };
    this.runner = new ShutdownRunner({
      journal: o.journal,
      drivers: this.drivers,
      clock: o.clock,
      log: o.log.child({ part: 'runner' }),
      ups: control,
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
  }

  /** The real platforms' drivers, loaded once for the kinds configured; the runner reads this same map. */
  private ensureDrivers(): Promise<void> {
    this.driversLoaded ??= createDrivers(this.o.config.shutdown.drivers, {
      clock: this.o.clock,
      log: this.o.log.child({ part: 'driver' }),
      baseDir: this.o.baseDir ?? process.cwd(),
    }).then((made) => {
      for (const [name, d] of made) this.drivers.set(name, d);
    });
    return this.driversLoaded;
  }

  async start(): Promise<void> {
    await this.ensureDrivers();
    // The clock's timers are unref'd; until the web server listens, nothing else keeps the process alive.
    const hold = setInterval(() => undefined, 1000);
    try {
      await this.refreshPlan();
    } finally {
      clearInterval(hold);
    }
    for (const p of this.runner.resume()) void p.then(() => this.refreshPlan());
    // The page shows what each driver found from the start, not only after the first daily check.
    void this.checkDrivers();
    this.ready = true;
    this.unsubscribe.push(
      this.runner.events.on('finished', () => {
        void this.refreshPlan();
      }),
    );
  }

  stop(): void {
    for (const u of this.unsubscribe) u();
    this.unsubscribe = [];
  }

  decision(): Decision | null {
    return this.last;
  }

  /** Checks every driver (credentials, reachability, discovery, power states); the last result is kept for the page. */
  async checkDrivers(): Promise<readonly DriverReport[]> {
    await this.ensureDrivers();
    const reports: DriverReport[] = [];
    for (const d of this.drivers.values()) {
      reports.push(await checkDriver(d, () => this.o.clock.now(), this.o.config.shutdown.call_timeout_ms));
    }
    this.lastReports = reports;
    return reports;
  }

  /** The last driver check, or an empty list before the first. */
  driverReports(): readonly DriverReport[] {
    return this.lastReports;
  }

  plan(): PlanView {
    return this.view;
  }

  /** Discovers targets and resolves the plan again; problems are kept for the page and the CLI. */
  async refreshPlan(): Promise<PlanView> {
    await this.ensureDrivers();
    const cfg = this.o.config.shutdown;
    if (!cfg.plan) {
      this.view = { plan: null, estimate: null, problems: [] };
      return this.view;
    }
    const estimates = this.estimates();
    try {
      const targets: Target[] = [];
      for (const d of this.drivers.values()) targets.push(...(await d.discover()));
      const plan = resolvePlan(
        cfg,
        targets,
        this.o.identity ?? localIdentity(),
        estimates,
        this.o.config.ups[0]?.name ?? null,
      );
      const lo = plan.loadOff;
      const honours = lo ? this.o.sources.find((u) => u.name === lo.ups)?.source.loadOffHonoursDelay?.() : undefined;
      const notes =
        lo && honours === false
          ? [
              ...plan.notes,
              `warning: UPS ${lo.ups} cannot delay its load-off (its only load-off cuts the output at once), so ${plan.finalHosts.map((h) => h.name).join(', ')} may lose power while halting; use a UPS with shutdown-delay registers for the final hosts`,
            ]
          : plan.notes;
      const resolved = { ...plan, notes };
      this.view = {
        plan: resolved,
        estimate: estimatePlan(resolved, estimates, cfg.hard_off_timeout_s * 1000),
        problems: [],
      };
    } catch (err) {
      const problems =
        err instanceof PlanError
          ? err.problems
          : [{ rule: 'discovery', targets: [], message: `discovery failed: ${errorMessage(err)}` }];
      this.o.log.error({ problems: problems.map((p) => p.message) }, 'the shutdown plan is invalid');
      this.view = { plan: null, estimate: null, problems };
    }
    return this.view;
  }

  /** Feeds the policy; a critical decision starts the real run once per outage. */
  onSnapshot(s: UpsSnapshot): void {
    this.policyState = trackAll(this.policyState, s);
    this.evaluate();
  }

  evaluate(): Decision {
    const d = decide(this.policyState, this.o.config.policy, this.o.clock.now(), this.view.estimate?.totalS ?? null);
    const prev = this.last;
    this.last = d;
    if (prev?.level !== d.level) {
      const type: UpsEventType =
        d.level === 'critical' ? 'POLICY_CRITICAL' : d.level === 'warning' ? 'POLICY_WARNING' : 'POLICY_NORMAL';
      if (prev !== null || d.level !== 'normal') this.event(type, d.reasons[0]?.ups ?? '', describeDecision(d));
    }
    if (d.level === 'critical' && !this.tripped && this.ready) {
      this.tripped = true;
      this.trigger(describeDecision(d));
    } else if (d.level === 'normal' && this.tripped && !this.realRunActive() && this.allOnLine()) {
      this.tripped = false;
    }
    return d;
  }

  /** Starts a run now (API, test button, scheduled dry run). */
  async startRun(
    mode: RunMode,
    reason: string,
    subset: readonly string[] | null = null,
  ): Promise<{ runId: number; done: Promise<RunRow> }> {
    const view = await this.refreshPlan();
    if (!view.plan) throw new PlanError(this.o.config.shutdown.plan?.name ?? '(none)', view.problems);
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
    if (!this.o.config.shutdown.plan) return;
    if (this.realRunActive()) return;
    this.startRun('real', reason).then(
      (r) => void r.done.catch((err: unknown) => this.o.log.error({ err: errorMessage(err) }, 'shutdown run failed')),
      (err: unknown) => {
        this.o.log.error({ err: errorMessage(err) }, 'cannot start the shutdown run');
        this.event('SHUTDOWN_CHECK_FAILED', '', `cannot start the shutdown run: ${errorMessage(err)}`);
      },
    );
  }

  /** Re-arm only once mains is back on every UPS with its output on: not while a load-off has left it dark. */
  private allOnLine(): boolean {
    return Object.values(this.policyState).every((t) => t.status.includes('OL') && !t.status.includes('OFF'));
  }

  private realRunActive(): boolean {
    return this.runner.activeRuns().some((id) => this.o.journal.run(id)?.mode === 'real');
  }

  estimates(): Estimates {
    const d = this.o.config.shutdown.default_estimate_s;
    return new Estimates(this.o.journal.durations(), { vm: d.vm * 1000, host: d.host * 1000 });
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
