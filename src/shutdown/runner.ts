import { ErrorCode, UpsguardError, errorMessage } from '../errors.js';
import type { Logger } from '../log.js';
import type { RunMode, RunRow, ShutdownJournal, StepRow } from './journal.js';
import type { UpsEventType } from '../ups/events.js';
import type { Clock } from '../util/clock.js';
import { Listeners } from '../util/listeners.js';
import { dryDriver, type ShutdownDriver, type Target } from './drivers/driver.js';
import { Limiter, sleep, withClockTimeout } from './limits.js';
import { initialMainsReturn, mainsReturn } from './mains-return.js';
import type { ResolvedPlan } from './plan.js';
import { abortSummary } from './run-abort.js';
import { recordTargetsBefore } from './restore/record-before.js';
import { progressJournal } from './run-progress.js';
import { runTarget, type TargetOutcome } from './run-target.js';

/** The few things the runner asks of the UPS side; they go through the one object that owns the device. */
export interface UpsControl {
  /** `shutdown.return`: cut the output after `offDelayS`, restore it `onDelayS` after mains is back. */
  loadOff(ups: string, offDelayS: number, onDelayS: number): Promise<void>;
  /** Whether the UPS's own shutdown countdown runs now (ups.timer.shutdown), or null when unknown. */
  loadOffPending(ups: string): boolean | null;
  /** Whether mains feeds the UPS now. */
  mainsOnline(ups: string): boolean;
  /** Raises FSD for the NUT server's clients (upsmon secondaries); a hook until the NUT server exists. */
  setFsd?(ups: string): Promise<void>;
}

export interface RunnerTimings {
  readonly pollIntervalMs: number;
  readonly callTimeoutMs: number;
  readonly hardOffTimeoutMs: number;
}

export interface RunnerDeps {
  readonly journal: ShutdownJournal;
  readonly drivers: ReadonlyMap<string, ShutdownDriver>;
  readonly clock: Clock;
  readonly log: Logger;
  readonly ups: UpsControl;
  readonly timings: RunnerTimings;
  readonly estimateSamples: number;
  readonly notify: (type: UpsEventType, ups: string, message: string) => void;
}

export interface StartOptions {
  readonly mode: RunMode;
  readonly reason: string;
  readonly subset?: readonly string[] | null;
  readonly estimateS?: number | null;
  readonly runtimeLeftS?: number | null;
}

export type RunnerEvents = {
  step: [runId: number];
  finished: [run: RunRow];
  /** A run started, went into a new phase, or ended; `phase` is the phase of its newest step. */
  runChanged: [run: RunRow, phase: string | null];
  /** A step began or ended (the row as written). */
  stepChanged: [step: StepRow];
};

/** What restarting targets after a test did: the names started, and those that failed with why. */
export interface RestartResult {
  readonly restored: readonly string[];
  readonly failed: readonly { readonly name: string; readonly driver: string; readonly error: string }[];
}

/**
 * Executes plans: phases in order, targets in parallel within the phase's and each driver's limits, the UPS's
 * delayed load-off just before the final hosts halt. Real runs resume after a crash from the journal. Before the
 * point of no return, mains coming back stops the run and starts again what it shed; after it, the run completes.
 */
export class ShutdownRunner {
  readonly events: Listeners<RunnerEvents>;
  private readonly active = new Map<number, Promise<RunRow>>();
  /** Runs a person asked to stop, with who asked. */
  private readonly aborts = new Map<number, string>();
  private halted = false;
  /** The run whose restore is going, if one is: one restore at a time. */
  private restoring: number | null = null;
  /** The journal every run writes through: each write is told to the live page as it happens. */
  private readonly progress: ShutdownJournal;

  get journal(): ShutdownJournal {
    return this.deps.journal;
  }

  constructor(private readonly deps: RunnerDeps) {
    this.events = new Listeners<RunnerEvents>((event, err) => {
      deps.log.error({ event, err: errorMessage(err) }, 'runner listener failed');
    });
    this.progress = progressJournal(deps.journal, {
      run: (row, phase) => {
        this.events.emit('runChanged', row, phase);
      },
      step: (row) => {
        this.events.emit('stepChanged', row);
      },
    });
  }

  activeRuns(): number[] {
    return [...this.active.keys()];
  }

  /** Starts a run; a real run may start while a dry run is going, nothing else may overlap. */
  start(plan: ResolvedPlan, opts: StartOptions): { runId: number; done: Promise<RunRow> } {
    const running = [...this.active.keys()].map((id) => this.deps.journal.run(id)).filter((r) => r !== undefined);
    if (running.some((r) => r.mode === 'real') || (opts.mode === 'dry' && running.length > 0)) {
      throw new UpsguardError(ErrorCode.RunConflict, `run ${running[0]?.id ?? '?'} is in progress`);
    }
    const runId = this.deps.journal.createRun({
      plan: plan.name,
      mode: opts.mode,
      reason: opts.reason,
      startedAt: this.deps.clock.now(),
      estimateS: opts.estimateS ?? null,
      runtimeLeftS: opts.runtimeLeftS ?? null,
      subset: opts.subset && opts.subset.length > 0 ? opts.subset : null,
      planJson: JSON.stringify(plan),
    });
    this.deps.log.info(
      { run: runId, mode: opts.mode, plan: plan.name },
      `shutdown run ${runId} (${opts.mode}) of plan ${plan.name} started: ${opts.reason}`,
    );
    const row = this.deps.journal.run(runId);
    if (row) this.events.emit('runChanged', row, null);
    return { runId, done: this.track(runId, this.execute(runId, plan, opts.mode, false)) };
  }

  /** Resumes every real run the journal shows unfinished (after a crash or restart). */
  resume(): Promise<RunRow>[] {
    return this.deps.journal.unfinished('real').map((r) => {
      this.deps.log.warn(
        { run: r.id, plan: r.plan },
        `shutdown run ${r.id} (real) of plan ${r.plan} resumed after a restart${r.passedPonr ? ', past the point of no return' : ''}`,
      );
      return this.track(r.id, this.execute(r.id, JSON.parse(r.planJson) as ResolvedPlan, 'real', r.passedPonr));
    });
  }

  /**
   * The appliance is stopping (SIGTERM): no new step begins and no run is closed from now on, so an unfinished real
   * run stays open in the journal and the next start resumes it. Steps already in flight still record what they did.
   * Every action is journaled before it is acted on, so refusing to begin a step is refusing to act.
   */
  halt(): void {
    if (this.halted) return;
    this.halted = true;
    if (this.active.size > 0) {
      this.deps.log.warn(
        { runs: [...this.active.keys()] },
        'stopping: the shutdown run is left open to resume at the next start',
      );
    }
  }

  /**
   * A person stops a run: no new step begins, steps in flight finish their current call and waits end at their next
   * look, nothing shed is started again, no load-off is sent, and the run closes as aborted by them. Who may abort
   * which run is the caller's rule (run-abort.ts); here only a run past the point of no return is refused.
   */
  abort(runId: number, by: string): Promise<RunRow> {
    const done = this.active.get(runId);
    const row = this.deps.journal.run(runId);
    if (!done || !row) throw new UpsguardError(ErrorCode.RunConflict, `run ${runId} is not in progress`);
    if (row.passedPonr) {
      throw new UpsguardError(ErrorCode.RunConflict, `run ${runId} has passed the point of no return`);
    }
    if (!this.aborts.has(runId)) {
      this.aborts.set(runId, by);
      this.deps.log.warn({ run: runId, by }, `shutdown run ${runId} of plan ${row.plan}: abort requested by ${by}`);
    }
    return done;
  }

  /**
   * Starts again targets a finished test run shut down, in the order given (the caller's: later phases first); hosts
   * before their VMs, as after a mains return. Each power-on is journaled on that run, phase `(restore)`.
   */
  async restartTargets(runId: number, targets: readonly Target[]): Promise<RestartResult> {
    if (this.halted) throw new UpsguardError(ErrorCode.RunConflict, 'the appliance is stopping');
    if (this.active.size > 0) {
      throw new UpsguardError(ErrorCode.RunConflict, `run ${this.activeRuns()[0] ?? '?'} is in progress`);
    }
    if (this.restoring !== null) {
      throw new UpsguardError(ErrorCode.RunConflict, `a restore after run ${this.restoring} is in progress`);
    }
    this.restoring = runId;
    try {
      return await this.restart(runId, targets);
    } finally {
      this.restoring = null;
    }
  }

  private async restart(
    runId: number,
    targets: readonly Target[],
    phase = '(restore)',
    why = `restore after test run ${runId}`,
  ): Promise<RestartResult> {
    const journal = this.haltable(this.progress);
    const { clock } = this.deps;
    const errors = new Map<string, string>();
    const driverOf = new Map(targets.map((t) => [t.name, t.driver]));
    const journaled = async (
      phase: string,
      target: string,
      action: 'power_on',
      fn: () => Promise<string | undefined>,
    ): Promise<boolean> => {
      const driver = driverOf.get(target) ?? 'ups';
      const id = journal.beginStep({ runId, phase, target, driver, action, at: clock.now() });
      try {
        const detail = await withClockTimeout(clock, fn(), this.deps.timings.callTimeoutMs, `${action} ${target}`);
        journal.finishStep(id, clock.now(), 'ok', null, detail);
        return true;
      } catch (err) {
        journal.finishStep(id, clock.now(), 'failed', errorMessage(err));
        errors.set(target, errorMessage(err));
        return false;
      }
    };
    const missing = targets.filter((t) => !this.deps.drivers.has(t.driver));
    for (const t of missing) errors.set(t.name, `no driver ${t.driver}`);
    const prior = journal.steps(runId).filter((s) => s.phase === phase);
    const restart = (list: readonly Target[]): Promise<Target[]> =>
      this.restartShed(list, prior, this.deps.drivers, journaled, phase, why);
    // A VM starts only on a running host: the hosts first, each waited for until it is on, then the VMs.
    const hosts = await restart(targets.filter((t) => t.kind === 'host'));
    const up = new Set<string>();
    for (const h of hosts) {
      if (await this.waitOn(runId, h, journal, phase)) up.add(h.name);
      else errors.set(h.name, `${h.name} did not come on within ${RESTORE_BOOT_WAIT_MS / 1000} s`);
    }
    const vms = targets.filter((t) => t.kind !== 'host');
    for (const v of vms) {
      if (v.host !== undefined && hosts.some((h) => h.name === v.host) && !up.has(v.host)) {
        errors.set(v.name, `its host ${v.host} did not come on`);
      }
    }
    const started = [...hosts, ...(await restart(vms.filter((v) => !errors.has(v.name))))];
    const failed = targets
      .filter((t) => errors.has(t.name))
      .map((t) => ({ name: t.name, driver: t.driver, error: errors.get(t.name) ?? 'failed' }));
    return { restored: started.map((t) => t.name), failed };
  }

  /** Polls a host started by a restore until it is on, journaled as one wait step; false when it stays off. */
  private async waitOn(runId: number, host: Target, journal: ShutdownJournal, phase: string): Promise<boolean> {
    const { clock } = this.deps;
    const d = this.deps.drivers.get(host.driver);
    if (!d) return false;
    const id = journal.beginStep({
      runId,
      phase,
      target: host.name,
      driver: host.driver,
      action: 'wait',
      at: clock.now(),
    });
    const deadline = clock.now() + RESTORE_BOOT_WAIT_MS;
    let state = 'unknown';
    while (clock.now() < deadline) {
      try {
        state = await withClockTimeout(clock, d.powerState(host), this.deps.timings.callTimeoutMs, `read ${host.name}`);
      } catch {
        state = 'unknown';
      }
      if (state === 'on') break;
      await sleep(clock, this.deps.timings.pollIntervalMs);
    }
    const on = state === 'on';
    journal.finishStep(id, clock.now(), on ? 'ok' : 'timeout', on ? null : `still ${state}`, `power ${state}`);
    return on;
  }

  private track(runId: number, p: Promise<RunRow>): Promise<RunRow> {
    const done = p.then(
      (row) => {
        this.active.delete(runId);
        this.aborts.delete(runId);
        this.events.emit('finished', row);
        return row;
      },
      (err: unknown) => {
        this.active.delete(runId);
        this.aborts.delete(runId);
        const row = this.deps.journal.run(runId);
        if (err instanceof RunHalted && row) return row;
        throw err;
      },
    );
    this.active.set(runId, done);
    return done;
  }

  /** The journal as a run sees it: once halted, nothing new begins and nothing is closed. */
  private haltable(journal: ShutdownJournal): ShutdownJournal {
    const refuse = (what: string): void => {
      if (this.halted) throw new RunHalted(what);
    };
    return new Proxy(journal, {
      get: (target, prop, receiver) => {
        const v = Reflect.get(target, prop, receiver) as unknown;
        if (typeof v !== 'function') return v;
        const fn = v as (...a: unknown[]) => unknown;
        if (prop === 'beginStep' || prop === 'finishRun' || prop === 'markPonr') {
          return (...a: unknown[]) => {
            refuse(prop);
            return fn.apply(target, a);
          };
        }
        return fn.bind(target);
      },
    });
  }

  private async execute(runId: number, plan: ResolvedPlan, mode: RunMode, passedPonr: boolean): Promise<RunRow> {
    const { clock, log } = this.deps;
    const journal = this.haltable(this.progress);
    const prior = journal.steps(runId);
    let ponr = passedPonr;
    const failures: string[] = [];
    // What the journal says was already shut down before a restart counts as shed, as what this attempt sheds.
    const shed = new Map<string, Target>(shedInJournal(plan, prior).map((t) => [t.name, t]));
    const ups = plan.loadOff?.ups ?? '';
    // Mains is read only when it can matter: a dry run or a subset never stops for it.
    const watchMains = mode === 'real' && plan.loadOff !== null;
    let mains = initialMainsReturn(prior.length > 0, !watchMains || this.deps.ups.mainsOnline(ups));
    const stopping = (): boolean => this.aborts.has(runId) || mainsStopping();
    const mainsStopping = (): boolean => {
      if (!watchMains || ponr) return false;
      const r = mainsReturn(mains, {
        dry: false,
        passedPonr: false,
        hasLoadOff: true,
        mainsOnline: this.deps.ups.mainsOnline(ups),
      });
      mains = r.state;
      if (r.justStopped) log.warn({ run: runId }, 'mains returned before the point of no return: stopping the run');
      return r.stopping;
    };
    const drivers = new Map<string, ShutdownDriver>();
    for (const [name, d] of this.deps.drivers) drivers.set(name, mode === 'dry' ? dryDriver(d, () => undefined) : d);
    const driverLimiters = new Map<string, Limiter>();
    for (const name of drivers.keys()) driverLimiters.set(name, new Limiter(plan.driverLimits[name] ?? Infinity));

    const journaled = async (
      phase: string,
      target: string,
      action: 'fsd' | 'load_off' | 'check' | 'power_on',
      fn: () => Promise<string | undefined>,
    ): Promise<boolean> => {
      const id = journal.beginStep({ runId, phase, target, driver: 'ups', action, at: clock.now() });
      try {
        const detail = await withClockTimeout(clock, fn(), this.deps.timings.callTimeoutMs, `${action} ${target}`);
        journal.finishStep(id, clock.now(), mode === 'dry' && action !== 'check' ? 'dry' : 'ok', null, detail);
        return true;
      } catch (err) {
        journal.finishStep(id, clock.now(), 'failed', errorMessage(err));
        failures.push(`${action} ${target}: ${errorMessage(err)}`);
        return false;
      } finally {
        this.events.emit('step', runId);
      }
    };

    const target = async (
      t: Target,
      phase: string,
      method: 'graceful' | 'hard',
      timeoutMs: number,
      phaseLimit: Limiter | null,
    ): Promise<void> => {
      const driver = drivers.get(t.driver);
      if (!driver) {
        failures.push(`${t.name}: no driver ${t.driver}`);
        return;
      }
      const releasePhase = phaseLimit ? await phaseLimit.acquire() : () => undefined;
      const releaseDriver = await driverLimiters.get(t.driver)!.acquire();
      try {
        const r = await runTarget(t, {
          runId,
          phase,
          mode,
          method,
          timeoutMs,
          driver,
          journal,
          clock,
          ...this.deps.timings,
          stopping,
          learn: (x, source, ms) => {
            journal.addDuration(x.name, source, ms, clock.now(), this.deps.estimateSamples);
          },
          prior: prior.filter((s) => s.target === t.name && s.phase === phase),
          log,
        });
        if (isShed(r.outcome)) shed.set(t.name, t);
        if (r.outcome === 'failed') {
          failures.push(`${t.name}: ${r.error ?? 'failed'}`);
          this.deps.notify('SHUTDOWN_TARGET_FAILED', ups, `${t.name} (${phase}): ${r.error ?? 'failed'}`);
        }
      } finally {
        releaseDriver();
        releasePhase();
        this.events.emit('step', runId);
      }
    };

    // What was running before anything is touched: the restore after the outage brings back exactly that.
    if (mode === 'real' && prior.length === 0 && journal.before(runId).length === 0) {
      const budgetMs = this.deps.timings.callTimeoutMs;
      await recordTargetsBefore({ runId, plan, drivers, journal, clock, log, budgetMs });
    }

    if (mode === 'dry') {
      for (const [name, d] of drivers) {
        await journaled('(checks)', name, 'check', async () => {
          const results = await d.check();
          const bad = results.filter((r) => !r.ok);
          if (bad.length > 0) throw new Error(bad.map((b) => b.message).join('; '));
          return `${results.length} checks ok`;
        });
      }
    } else if (plan.loadOff && this.deps.ups.setFsd && latest(prior, (s) => s.action === 'fsd')?.result !== 'ok') {
      const setFsd = this.deps.ups.setFsd.bind(this.deps.ups);
      // Raising FSD again is harmless; a row left open by a crash is closed so the journal has no step without a result.
      const open = latest(prior, (s) => s.action === 'fsd');
      if (open && open.finishedAt === null) journal.finishStep(open.id, clock.now(), 'interrupted');
      const ok = await journaled('(start)', ups, 'fsd', async () => {
        await setFsd(ups);
        return 'FSD raised for NUT clients';
      });
      if (ok) log.warn({ run: runId, ups }, `FSD raised on ${ups} for the NUT clients (upsmon secondaries shut down)`);
    }

    for (const phase of plan.phases) {
      if (phase.name === plan.pointOfNoReturn && mode === 'real' && !ponr && !stopping()) {
        ponr = true;
        journal.markPonr(runId);
      }
      if (stopping()) break;
      const limit = new Limiter(phase.concurrency);
      await Promise.all(phase.targets.map((t) => target(t, phase.name, phase.method, phase.timeoutMs, limit)));
    }
    if (!stopping() && plan.phases.length === 0 && mode === 'real' && plan.loadOff && !ponr) {
      ponr = true;
      journal.markPonr(runId);
    }

    const abortedBy = this.aborts.get(runId);
    if (abortedBy !== undefined) {
      // Nothing shed is started again here: the page offers that (restore after a test), and the load-off never goes.
      const total = plan.phases.reduce((n, p) => n + p.targets.length, 0) + plan.finalHosts.length;
      return this.close(runId, 'aborted', abortSummary(abortedBy, shed.size, total), true);
    }
    if (stopping()) {
      // Hosts first, each waited for until it is on (a VM on a host still booting is refused), then the VMs, the
      // later phases before the earlier.
      if (plan.restartShed)
        await this.restart(runId, [...shed.values()].reverse(), '(restart)', 'restarting what was shed');
      return this.close(runId, 'aborted', `mains returned before the point of no return; ${shed.size} targets shed`);
    }

    if (plan.loadOff) {
      const lo = plan.loadOff;
      // The latest load-off row decides: an earlier one interrupted by a crash was followed by one that went out.
      const sent = latest(prior, (s) => s.action === 'load_off');
      const pending = mode === 'real' && sent && sent.finishedAt === null ? this.deps.ups.loadOffPending(lo.ups) : null;
      if (sent?.result === 'ok' || sent?.result === 'took_effect' || (sent?.finishedAt === null && pending === true)) {
        if (sent.finishedAt === null)
          journal.finishStep(sent.id, clock.now(), 'took_effect', null, 'UPS countdown running');
      } else {
        if (sent && sent.finishedAt === null) journal.finishStep(sent.id, clock.now(), 'interrupted');
        const delays = `output off in ${lo.offDelayS} s, back ${lo.onDelayS} s after mains returns`;
        if (mode === 'real') log.info({ run: runId, ups: lo.ups }, `UPS ${lo.ups} load-off: sending (${delays})`);
        const ok = await journaled('(final)', lo.ups, 'load_off', async () => {
          if (mode === 'real') await this.deps.ups.loadOff(lo.ups, lo.offDelayS, lo.onDelayS);
          return `off in ${lo.offDelayS} s, on ${lo.onDelayS} s after mains returns`;
        });
        if (mode === 'real') {
          if (ok) log.warn({ run: runId, ups: lo.ups }, `UPS ${lo.ups} load-off sent: ${delays}`);
          else log.error({ run: runId, ups: lo.ups }, `UPS ${lo.ups} load-off failed`);
        }
        if (ok && mode === 'real') {
          this.deps.notify(
            'LOAD_OFF',
            lo.ups,
            `UPS output off in ${lo.offDelayS} s, back ${lo.onDelayS} s after mains`,
          );
        }
      }
    }
    // The final hosts one by one: the appliance's own host is last, as halting it ends this process.
    for (const h of plan.finalHosts) await target(h, '(final)', plan.finalMethod, plan.finalTimeoutMs, null);

    const status = failures.length > 0 ? 'failed' : 'completed';
    return this.close(runId, status, failures.length > 0 ? failures.join('; ') : 'all targets done');
  }

  private async restartShed(
    shed: readonly Target[],
    prior: readonly StepRow[],
    drivers: ReadonlyMap<string, ShutdownDriver>,
    journaled: (
      phase: string,
      target: string,
      action: 'power_on',
      fn: () => Promise<string | undefined>,
    ) => Promise<boolean>,
    phase = '(restart)',
    why = 'restarting what was shed',
  ): Promise<Target[]> {
    const started: Target[] = [];
    const already = new Set(prior.filter((s) => s.action === 'power_on' && s.result === 'ok').map((s) => s.target));
    // Hosts first, then their VMs: the reverse of the shutdown order.
    const order = [...shed].sort((a, b) => (a.kind === b.kind ? 0 : a.kind === 'host' ? -1 : 1));
    for (const t of order) {
      if (already.has(t.name)) continue;
      const d = drivers.get(t.driver);
      if (!d) continue;
      const what = `power on of ${t.kind} ${t.name} (${t.driver}, ${why})`;
      this.deps.log.info({ target: t.name, driver: t.driver }, `${what}: sending`);
      const ok = await journaled(phase, t.name, 'power_on', async () => {
        await d.powerOn(t);
        return `${t.driver}: power on`;
      });
      if (ok) {
        started.push(t);
        this.deps.log.info({ target: t.name, driver: t.driver }, `${what}: accepted`);
      } else this.deps.log.warn({ target: t.name, driver: t.driver }, `${what}: failed`);
    }
    return started;
  }

  private close(runId: number, status: 'completed' | 'aborted' | 'failed', summary: string, byPerson = false): RunRow {
    const { clock } = this.deps;
    const journal = this.haltable(this.progress);
    journal.finishRun(runId, status, clock.now(), summary);
    const row = journal.run(runId)!;
    const line = `shutdown run ${runId} of plan ${row.plan} ${status}: ${summary}`;
    if (status === 'completed') this.deps.log.info({ run: runId, status }, line);
    else this.deps.log.warn({ run: runId, status }, line);
    const ups = (JSON.parse(row.planJson) as ResolvedPlan).loadOff?.ups ?? '';
    // Dry runs report through the scheduled check (SHUTDOWN_CHECK_FAILED), not as shutdowns; a person's abort of any
    // run is worth its own event.
    if (row.mode === 'real' || byPerson) {
      const type = status === 'aborted' ? 'SHUTDOWN_ABORTED' : 'SHUTDOWN_DONE';
      this.deps.notify(type, ups, `run ${runId} of plan ${row.plan} ${status}: ${summary}`);
    }
    return row;
  }
}

/** How long a restore waits for a host it started to be on before starting its VMs. */
const RESTORE_BOOT_WAIT_MS = 10 * 60_000;

/** Thrown inside a run once the runner is halted; the run is left open, never closed as failed. */
class RunHalted extends Error {
  constructor(what: string) {
    super(`the runner is stopping: ${what} refused`);
  }
}

/** The latest journal row that matches. */
function latest(rows: readonly StepRow[], match: (s: StepRow) => boolean): StepRow | undefined {
  for (let i = rows.length - 1; i >= 0; i--) if (match(rows[i]!)) return rows[i];
  return undefined;
}

/**
 * The targets of the plan the journal shows as shut down or asked to: a final outcome off or hard off, or a
 * graceful shutdown or hard power-off that went out (ok) or took effect.
 */
export function shedInJournal(plan: ResolvedPlan, prior: readonly StepRow[]): Target[] {
  const out: Target[] = [];
  for (const phase of plan.phases) {
    for (const t of phase.targets) {
      const rows = prior.filter((s) => s.target === t.name && s.phase === phase.name);
      const outcome = latest(rows, (s) => s.outcome !== null)?.outcome ?? undefined;
      const acted = rows.some(
        (s) =>
          (s.action === 'graceful' || s.action === 'hard_off') && (s.result === 'ok' || s.result === 'took_effect'),
      );
      if (outcome === 'off' || outcome === 'hard_off' || (outcome === undefined && acted)) out.push(t);
    }
  }
  return out;
}

function isShed(o: TargetOutcome): boolean {
  return o === 'off' || o === 'hard_off';
}
