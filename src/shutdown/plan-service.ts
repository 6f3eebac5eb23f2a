import { hostname, networkInterfaces } from 'node:os';
import type { Config } from '../config/schema.js';
import type { ShutdownConfig } from '../config/shutdown-schema.js';
import { errorMessage } from '../errors.js';
import type { Logger } from '../log.js';
import type { Clock } from '../util/clock.js';
import { checkDriver, type DriverReport } from './driver-report.js';
import { withBmcHardOff } from './drivers/bmc-fallback.js';
import type { ShutdownDriver, Target } from './drivers/driver.js';
import { createDrivers } from './drivers/registry.js';
import { Estimates } from './estimates.js';
import type { ShutdownJournal } from './journal.js';
import { withClockTimeout } from './limits.js';
import {
  PlanError,
  estimatePlan,
  resolvePlan,
  type Identity,
  type PlanEstimate,
  type PlanProblem,
  type ResolvedPlan,
} from './plan.js';
import type { WatchedSource } from './watched-sources.js';

export interface PlanView {
  readonly plan: ResolvedPlan | null;
  readonly estimate: PlanEstimate | null;
  readonly problems: readonly PlanProblem[];
  /** Drivers whose discovery failed: they contribute no targets; the plan is shown with the rest. */
  readonly unreachable: readonly UnreachableDriver[];
}

export interface UnreachableDriver {
  readonly driver: string;
  readonly error: string;
}

export interface PlanServiceDeps {
  readonly config: Readonly<Config>;
  /** The config in force when the plan can change without a restart (the page's editor); else `config`. */
  readonly current?: () => Readonly<Config>;
  readonly journal: Pick<ShutdownJournal, 'durations'>;
  readonly clock: Clock;
  readonly log: Logger;
  readonly sources: readonly WatchedSource[];
  readonly identity?: Identity;
  readonly baseDir?: string;
  /** Drivers built by the caller (sim, nut-secondaries, tests): they take the place of configured ones of that name. */
  readonly given: ReadonlyMap<string, ShutdownDriver>;
}

function localIdentity(): Identity {
  const macs = Object.values(networkInterfaces())
    .flatMap((l) => l ?? [])
    .map((i) => i.mac.toLowerCase())
    .filter((m) => m !== '00:00:00:00:00:00');
  return { macs, hostname: hostname() };
}

const EMPTY: PlanView = { plan: null, estimate: null, problems: [], unreachable: [] };

/**
 * The drivers and what they find: discovery per driver (one that cannot be reached is named, not fatal), the resolved
 * plan and its estimate for the page and the CLI, and each driver's last check.
 */
export class PlanService {
  /** Every driver by name, once loaded; the runner reads this same map. */
  readonly drivers = new Map<string, ShutdownDriver>();
  private loaded: Promise<void> | null = null;
  private view: PlanView = EMPTY;
  private reports: readonly DriverReport[] = [];
  private lastDiscovery: { targets: Target[]; unreachable: UnreachableDriver[] } | null = null;

  constructor(private readonly d: PlanServiceDeps) {}

  /** The real platforms' drivers, loaded once for the kinds configured. */
  ensureDrivers(): Promise<void> {
    const { config, given } = this.d;
    this.loaded ??= createDrivers(
      config.shutdown.drivers.filter((x) => !given.has(x.name)),
      { clock: this.d.clock, log: this.d.log.child({ part: 'driver' }), baseDir: this.d.baseDir ?? process.cwd() },
    ).then((made) => {
      const bmc = { log: this.d.log.child({ part: 'driver' }), callTimeoutMs: config.shutdown.call_timeout_ms };
      for (const [name, x] of [...given, ...made]) this.drivers.set(name, withBmcHardOff(x, config.restore, bmc));
    });
    return this.loaded;
  }

  private closed = false;

  plan(): PlanView {
    return this.view;
  }

  estimates(): Estimates {
    const d = this.d.config.shutdown.default_estimate_s;
    return new Estimates(this.d.journal.durations(), { vm: d.vm * 1000, host: d.host * 1000 });
  }

  /** Checks every driver (credentials, reachability, discovery, power states); the last result is kept for the page. */
  async checkDrivers(): Promise<readonly DriverReport[]> {
    await this.ensureDrivers();
    const reports: DriverReport[] = [];
    for (const x of this.drivers.values()) {
      reports.push(await checkDriver(x, () => this.d.clock.now(), this.d.config.shutdown.call_timeout_ms));
    }
    this.reports = reports;
    for (const r of reports.filter((x) => !x.ok)) {
      const failed = r.checks.filter((c) => !c.ok).map((c) => (c.target ? `${c.target}: ${c.message}` : c.message));
      this.d.log.warn({ driver: r.driver }, `driver check failed: ${r.driver}: ${failed.join('; ')}`);
    }
    return reports;
  }

  /** The last driver check, or an empty list before the first. */
  driverReports(): readonly DriverReport[] {
    return this.reports;
  }

  /** Discovers targets and resolves the plan again; problems are kept for the page and the CLI. */
  async refreshPlan(): Promise<PlanView> {
    await this.ensureDrivers();
    const cfg = (this.d.current?.() ?? this.d.config).shutdown;
    if (!cfg.plan) {
      this.view = EMPTY;
      return this.view;
    }
    const found = await this.discover();
    // A discovery that outlives the service must not reach into a store that has been closed meanwhile.
    if (this.closed) return this.view;
    this.lastDiscovery = found;
    this.view = this.resolve(cfg, found, true);
    return this.view;
  }

  /** Ends background work: a plan refresh still discovering when the service stops resolves nothing afterwards. */
  close(): void {
    this.closed = true;
  }

  /**
   * A candidate plan resolved against the last discovery (discovering once if there was none) and estimated, without
   * touching the plan in force: the editor's preview.
   */
  async previewPlan(cfg: ShutdownConfig): Promise<PlanView> {
    await this.ensureDrivers();
    if (!cfg.plan) return EMPTY;
    this.lastDiscovery ??= await this.discover();
    return this.resolve(cfg, this.lastDiscovery, false);
  }

  private resolve(
    cfg: ShutdownConfig,
    { targets, unreachable }: { targets: Target[]; unreachable: UnreachableDriver[] },
    logProblems: boolean,
  ): PlanView {
    const estimates = this.estimates();
    try {
      const plan = resolvePlan(
        cfg,
        targets,
        this.d.identity ?? localIdentity(),
        estimates,
        this.d.config.ups[0]?.name ?? null,
        new Set(unreachable.map((u) => u.driver)),
      );
      const lo = plan.loadOff;
      const honours = lo ? this.d.sources.find((u) => u.name === lo.ups)?.loadOffHonoursDelay() : undefined;
      const notes =
        lo && honours === false
          ? [
              ...plan.notes,
              `warning: UPS ${lo.ups} cannot delay its load-off (its only load-off cuts the output at once), so ${plan.finalHosts.map((h) => h.name).join(', ')} may lose power while halting; use a UPS with shutdown-delay registers for the final hosts`,
            ]
          : plan.notes;
      const resolved = { ...plan, notes };
      return {
        plan: resolved,
        estimate: estimatePlan(resolved, estimates, cfg.hard_off_timeout_s * 1000),
        problems: [],
        unreachable,
      };
    } catch (err) {
      const problems =
        err instanceof PlanError ? err.problems : [{ rule: 'resolve', targets: [], message: errorMessage(err) }];
      if (logProblems) this.d.log.error({ problems: problems.map((p) => p.message) }, 'the shutdown plan is invalid');
      return { plan: null, estimate: null, problems, unreachable };
    }
  }

  /** Per driver: one that cannot be reached contributes no targets and is named with its error. */
  private async discover(): Promise<{ targets: Target[]; unreachable: UnreachableDriver[] }> {
    const targets: Target[] = [];
    const unreachable: UnreachableDriver[] = [];
    const ms = this.d.config.shutdown.call_timeout_ms;
    for (const x of this.drivers.values()) {
      try {
        targets.push(...(await withClockTimeout(this.d.clock, x.discover(), ms, `${x.name} discovery`)));
      } catch (err) {
        unreachable.push({ driver: x.name, error: errorMessage(err) });
      }
    }
    if (unreachable.length > 0) {
      this.d.log.warn(
        { drivers: unreachable.map((u) => `${u.driver}: ${u.error}`) },
        `discovery failed for ${unreachable.map((u) => u.driver).join(', ')}: the plan leaves their targets out`,
      );
    }
    return { targets, unreachable };
  }
}
